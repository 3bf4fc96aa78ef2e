/**
 * The schedule's arithmetic (src/config/schedule.ts), called directly: windows parsed and refused with the
 * reason, the cron expressions EventBridge Scheduler runs, the phase at an instant in the zone's local time
 * (daylight saving included), and what the schedules at AWS have asleep. The stack on a schedule, on the fake:
 * test/schedule.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ACTIONS, awakeHoursPerWeek, cronExpressions, cronMinutes, daylightSavingWarning, label, livePhaseAt, minuteOfWeek, parseWindow, phaseAt,
  scheduleViolations, skippedByDaylightSaving, utcOffsetMin, validTimeZone,
} from "../src/config/schedule.js";
import { SpecSchema } from "../src/config/schema.js";

const HOUR = 3_600_000;
const PARIS = { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" };
/** Thursday 26 March 2026, 10:00 in Paris (CET, UTC+1); Paris moves to CEST (UTC+2) on Sunday 29 March at 01:00 UTC. */
const THU_10 = Date.UTC(2026, 2, 26, 9, 0);
/** Havana moves its clocks from 00:00 to 01:00 on Sunday 8 March 2026: a 00:30 wake does not exist that day. */
const JAN = Date.UTC(2026, 0, 15);

const issues = (value: object) => {
  const r = SpecSchema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("schedule spec", () => {
  it("accepts days, ranges, lists and an IANA zone; refuses bad days, times and zones with the reason", () => {
    assert.deepEqual(issues({ schedule: PARIS }), []);
    assert.deepEqual(issues({ schedule: { awake: ["Mon,Wed-Fri 07:30-24:00", "Sat 09:00-12:00"], timezone: "America/New_York" } }), []);
    assert.match(issues({ schedule: { awake: "Mon-Fry 08:00-20:00", timezone: "UTC" } }).join(), /schedule: "Mon-Fry 08:00-20:00" is not like/);
    assert.match(issues({ schedule: { awake: "Mon 08:00-25:00", timezone: "UTC" } }).join(), /times run from 00:00 to 24:00/);
    assert.match(issues({ schedule: { awake: "Mon 20:00-08:00", timezone: "UTC" } }).join(), /must end after it starts/);
    assert.match(issues({ schedule: { awake: "Mon 08:00-20:00", timezone: "Europe/Pariss" } }).join(), /not an IANA time zone/);
  });

  it("refuses a sleep that keeps the DB stopped more than 7 days (RDS restarts it), daylight-saving shift included", () => {
    // One 30-minute window a week: 7 days less 30 min asleep, the DB stopped 20 min less, plus the 1 h DST shift.
    assert.match(issues({ schedule: { awake: "Mon 08:00-08:30", timezone: "Europe/Paris" } }).join(), /longer than 7 days: RDS starts a stopped DB by itself after 7 days/);
    // Without DST (UTC) the same window fits; an hour-long window fits in Paris too.
    assert.deepEqual(issues({ schedule: { awake: "Mon 08:00-08:30", timezone: "UTC" } }), []);
    assert.deepEqual(issues({ schedule: { awake: "Mon 08:00-09:00", timezone: "Europe/Paris" } }), []);
  });

  it("refuses a schedule that never sleeps (awake all week): no schedule would be made, and up would wait for them (issue 24 item 20)", () => {
    assert.match(issues({ schedule: { awake: "Mon-Sun 00:00-24:00", timezone: "UTC" } }).join(), /schedule: the awake windows cover the whole week, so the stack never sleeps: remove `schedule`/);
    assert.match(issues({ schedule: { awake: ["Mon-Fri 00:00-24:00", "Sat,Sun 00:00-24:00"], timezone: "UTC" } }).join(), /never sleeps/);
  });
});

describe("the schedules EventBridge Scheduler runs", () => {
  it("turns windows into one cron per action and time of day: the DB stops after the service and starts before it", () => {
    const days = "MON,TUE,WED,THU,FRI";
    assert.deepEqual(cronExpressions(PARIS, "service-sleep"), [`cron(0 20 ? * ${days} *)`]);
    assert.deepEqual(cronExpressions(PARIS, "database-stop"), [`cron(5 20 ? * ${days} *)`]);
    assert.deepEqual(cronExpressions(PARIS, "database-start"), [`cron(45 7 ? * ${days} *)`]);
    assert.deepEqual(cronExpressions(PARIS, "service-wake"), [`cron(0 8 ? * ${days} *)`]);
    // A window starting at midnight: the DB starts the evening before.
    assert.deepEqual(cronExpressions({ awake: "Tue 00:00-06:00", timezone: "UTC" }, "database-start"), ["cron(45 23 ? * MON *)"]);
    assert.deepEqual(phaseAt(PARIS, Date.UTC(2026, 2, 27, 19, 30)), { service: true, database: true, next: "Mon 08:00", since: "Fri 20:00" });
  });
});

describe("the phase of the schedules AWS has", () => {
  it("reads the cron expressions the tool writes, and hand-written ones, as minutes of the local week", () => {
    assert.deepEqual(cronMinutes("cron(0 20 ? * MON,WED *)"), [20 * 60, 2 * 1440 + 20 * 60]);
    assert.deepEqual(cronMinutes("cron(0 23 ? * FRI-MON *)"), [4, 5, 6, 0].map((d) => d * 1440 + 23 * 60));
    assert.deepEqual(cronMinutes("cron(30 8 ? * 1 *)"), [6 * 1440 + 8 * 60 + 30], "1 is Sunday");
    assert.equal(cronMinutes("cron(0 8 * * ? *)")?.length, 7);
    for (const other of ["rate(1 hour)", "at(2026-03-01T08:00:00)", "cron(0 8 1 * ? *)", "cron(0 25 ? * MON *)", "cron(0 8 ? * 0 *)"]) assert.equal(cronMinutes(other), undefined, other);
  });

  it("agrees with the spec's phase across a week and a daylight-saving change (every 35 min: each 5-minute offset in turn)", () => {
    const spec = { awake: ["Mon-Fri 08:00-20:00", "Sat 09:00-12:00"], timezone: "Europe/Paris" };
    const live = ACTIONS.flatMap((action) => cronExpressions(spec, action).map((expression) => ({ action, expression, timezone: spec.timezone })));
    const wrong: string[] = [];
    for (let t = THU_10; t < THU_10 + 8 * 24 * HOUR; t += (35 * HOUR) / 60) {
      const { service, database } = phaseAt(spec, t);
      if (JSON.stringify(livePhaseAt(live, t)) !== JSON.stringify({ service, database })) wrong.push(new Date(t).toISOString());
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual(livePhaseAt([], THU_10 + 12 * HOUR), { service: false, database: false }, "no schedule: awake");
  });
});


describe("awake windows", () => {
  it("days as ranges (wrapping past Sunday) and lists, once each, Monday first; times in minutes", () => {
    assert.deepEqual(parseWindow("Mon-Fri 08:00-20:00"), { days: [0, 1, 2, 3, 4], start: 480, end: 1200 });
    assert.deepEqual(parseWindow(" Sat-Mon 08:15-09:00 "), { days: [0, 5, 6], start: 495, end: 540 });
    assert.deepEqual(parseWindow("Wed,Mon,Mon-Tue 00:00-24:00"), { days: [0, 1, 2], start: 0, end: 1440 });
    assert.deepEqual(parseWindow("Sun 23:59-24:00"), { days: [6], start: 1439, end: 1440 });
    assert.deepEqual(parseWindow("Tue 07:30-08:59"), { days: [1], start: 450, end: 539 });
  });

  it("refuses a window that is not a window, with the reason and the way to write one", () => {
    const shape = '"Mon 8:00-20:00" is not like "Mon-Fri 08:00-20:00" (days Mon..Sun, ranges with -, lists with ",", 24-hour times)';
    assert.equal(parseWindow("Mon 8:00-20:00"), shape);
    for (const text of ["mon 08:00-20:00", "Mon-Fri08:00-20:00", "Mon, Tue 08:00-20:00", "Mon 08:00-20:00 x", "x Mon 08:00-20:00", "Mon-Tue-Wed 08:00-09:00", "Mon,", "08:00-20:00"]) {
      assert.match(parseWindow(text) as string, /is not like "Mon-Fri 08:00-20:00"/, text);
    }
    for (const text of ["Mon 24:00-24:00", "Mon 08:60-09:00", "Mon 08:00-09:60", "Mon 08:00-24:01", "Mon 08:00-25:00"]) {
      assert.equal(parseWindow(text), `"${text}": times run from 00:00 to 24:00`);
    }
    for (const text of ["Mon 08:00-08:00", "Mon 20:00-08:00", "Mon 08:01-08:00"]) {
      assert.equal(parseWindow(text), `"${text}": the window must end after it starts on the same day (use 24:00 for midnight, and a second window for the next morning)`);
    }
  });

  it("time zones: IANA names only, with the nearest one for a typo", () => {
    for (const zone of ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"]) assert.equal(validTimeZone(zone), true, zone);
    for (const zone of ["", "Mars/Base", "Europe/Pariss"]) assert.equal(validTimeZone(zone), false, zone);
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-20:00", timezone: "Europe/Pari" }), ['timezone "Europe/Pari" is not an IANA time zone like Europe/Paris: did you mean "Europe/Paris"?']);
    // Every problem of the windows and the zone at once; the rest needs valid ones.
    assert.deepEqual(scheduleViolations({ awake: ["Mon 9:00-10:00", "Tue 08:00-20:00"], timezone: "Nowhere/At_All" }), [
      '"Mon 9:00-10:00" is not like "Mon-Fri 08:00-20:00" (days Mon..Sun, ranges with -, lists with ",", 24-hour times)',
      'timezone "Nowhere/At_All" is not an IANA time zone like Europe/Paris',
    ]);
  });

  it("a sleep shorter than an hour is not worth a stop and start of the DB", () => {
    assert.deepEqual(scheduleViolations({ awake: ["Mon 08:00-12:00", "Mon 12:30-20:00"], timezone: "UTC" }), ["the sleep at Mon 12:00 lasts 30 min: windows less than 60 min apart should be one window"]);
    assert.deepEqual(scheduleViolations({ awake: ["Mon 08:00-12:00", "Mon 13:00-20:00"], timezone: "UTC" }), []);
    assert.deepEqual(scheduleViolations({ awake: ["Mon 00:00-12:00", "Sun 23:30-24:00"], timezone: "UTC" }), [], "windows meeting at Sunday midnight leave no gap");
  });

  it("the DB stopped at most 7 days: the stop delay, the start lead and the zone's daylight-saving shift counted, to the minute", () => {
    // Paris: a sleep of 7 days less 40 min keeps the DB stopped 7 days less 60 min, plus the 60 min shift: exactly 7 days.
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-08:40", timezone: "Europe/Paris" }), []);
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-08:39", timezone: "Europe/Paris" }), [
      "the sleep from Mon 08:39 keeps the database stopped 168.0 h (with the daylight-saving shift), longer than 7 days: RDS starts a stopped DB by itself after 7 days (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html); add an awake window",
    ]);
    // Lord Howe shifts by 30 min, and UTC not at all.
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-08:10", timezone: "Australia/Lord_Howe" }), []);
    assert.equal(scheduleViolations({ awake: "Mon 08:00-08:09", timezone: "Australia/Lord_Howe" }).length, 1);
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-08:09", timezone: "UTC" }), []);
    assert.deepEqual(scheduleViolations({ awake: "Mon 08:00-08:09", timezone: "Asia/Kolkata" }), [], "a fixed offset, however odd, shifts nothing");
  });

  it("a minute of the local week in words, any number of weeks either way", () => {
    assert.deepEqual([0, 1439, 1440 + 61, 6 * 1440 + 1439, 10080, -1, 3 * 10080 + 5].map(label), ["Mon 00:00", "Mon 23:59", "Tue 01:01", "Sun 23:59", "Mon 00:00", "Sun 23:59", "Mon 00:05"]);
  });
});

describe("the schedules' cron expressions", () => {
  it("one expression per time of day, earliest first, its days listed Monday first; a run past Sunday midnight on Monday", () => {
    const s = { awake: ["Mon-Fri 08:00-12:00", "Fri,Wed,Mon,Thu,Tue 13:00-20:00", "Sun 08:00-23:58"], timezone: "UTC" };
    assert.deepEqual(cronExpressions(s, "database-stop"), ["cron(3 0 ? * MON *)", "cron(5 12 ? * MON,TUE,WED,THU,FRI *)", "cron(5 20 ? * MON,TUE,WED,THU,FRI *)"]);
    assert.deepEqual(cronExpressions(s, "service-sleep"), ["cron(0 12 ? * MON,TUE,WED,THU,FRI *)", "cron(0 20 ? * MON,TUE,WED,THU,FRI *)", "cron(58 23 ? * SUN *)"]);
    assert.deepEqual(cronExpressions(s, "database-start"), ["cron(45 7 ? * MON,TUE,WED,THU,FRI,SUN *)", "cron(45 12 ? * MON,TUE,WED,THU,FRI *)"]);
    assert.deepEqual(cronExpressions(s, "service-wake"), ["cron(0 8 ? * MON,TUE,WED,THU,FRI,SUN *)", "cron(0 13 ? * MON,TUE,WED,THU,FRI *)"]);
    // Sunday's stop runs on Monday, listed first like any Monday.
    assert.deepEqual(cronExpressions({ awake: "Mon-Sun 08:00-23:58", timezone: "UTC" }, "database-stop"), ["cron(3 0 ? * MON,TUE,WED,THU,FRI,SAT,SUN *)"]);
    // The only window starts Monday at midnight: the DB starts on Sunday evening, the end of the same local week.
    assert.deepEqual(cronExpressions({ awake: "Mon 00:00-06:00", timezone: "UTC" }, "database-start"), ["cron(45 23 ? * SUN *)"]);
  });

  it("reads back every form the tool writes and the ones a hand may write; any other is unreadable", () => {
    assert.deepEqual(cronMinutes("cron(0,30 8,9 ? * MON *)"), [480, 510, 540, 570]);
    assert.deepEqual(cronMinutes("cron(59 23 ? * SUN *)"), [10079]);
    assert.deepEqual(cronMinutes("cron(0 0 ? * 7 *)"), [5 * 1440], "7 is Saturday");
    assert.deepEqual(cronMinutes("cron(0 0 ? * 2-3 *)"), [0, 1440], "2-3 is Monday to Tuesday");
    assert.deepEqual(cronMinutes("cron(0 1 ? * * *)"), [0, 1, 2, 3, 4, 5, 6].map((d) => d * 1440 + 60));
    for (const form of ["cron(0 8 * * * *)", "cron(60 8 ? * MON *)", "cron(0 24 ? * MON *)", "cron(0 8 ? * XYZ *)", "cron(0 8 ? * MON-XYZ *)", "cron(0 8 ? * 8 *)", "cron(0 8 ? * 17 *)", "cron(0 8 ? * 07 *)", "cron(0 8 ? * MON,,TUE *)", "cron(0 8 ? * MON)", " cron(0 8 ? * MON *)", "cron(0 8 ? * MON *) "]) {
      assert.equal(cronMinutes(form), undefined, form);
    }
  });

  it("the written expressions read back to the schedule's own minutes", () => {
    const s = { awake: ["Mon-Fri 08:00-12:00", "Sat 09:30-11:45"], timezone: "UTC" };
    const wakes = cronExpressions(s, "service-wake").flatMap((e) => cronMinutes(e)!).sort((a, b) => a - b);
    assert.deepEqual(wakes, [480, 1440 + 480, 2 * 1440 + 480, 3 * 1440 + 480, 4 * 1440 + 480, 5 * 1440 + 570]);
  });
});

describe("daylight saving", () => {
  it("the runs of the coming year that fall in a spring-forward gap, and the warning that names them", () => {
    const havana = { awake: "Mon-Sun 00:30-20:00", timezone: "America/Havana" };
    assert.deepEqual(skippedByDaylightSaving(havana, JAN), ["the database's start at Sun 00:15 on 2026-03-08", "the service's wake at Sun 00:30 on 2026-03-08"]);
    assert.deepEqual(skippedByDaylightSaving(PARIS, JAN), [], "Paris changes at 02:00, outside its windows' edges");
    assert.deepEqual(skippedByDaylightSaving({ awake: "Mon-Sun 00:30-20:00", timezone: "UTC" }, JAN), []);
    assert.equal(daylightSavingWarning(havana, JAN),
      "schedule: the database's start at Sun 00:15 on 2026-03-08; the service's wake at Sun 00:30 on 2026-03-08 fall in a daylight-saving gap of America/Havana (that local time does not exist that day): EventBridge Scheduler skips those runs; move the window's edge out of the gap");
    assert.equal(daylightSavingWarning({ awake: "Mon-Sun 01:00-20:00", timezone: "America/Havana" }, JAN),
      "schedule: the database's start at Sun 00:45 on 2026-03-08 falls in a daylight-saving gap of America/Havana (that local time does not exist that day): EventBridge Scheduler skips that run; move the window's edge out of the gap");
    assert.equal(daylightSavingWarning(PARIS, JAN), undefined);
    // A year ahead, not more: from April the next gap is March 2027's.
    assert.deepEqual(skippedByDaylightSaving({ awake: "Sun 00:30-20:00", timezone: "America/Havana" }, Date.UTC(2026, 3, 1)), ["the database's start at Sun 00:15 on 2027-03-14", "the service's wake at Sun 00:30 on 2027-03-14"]);
  });

  it("a zone's offset from UTC at an instant, and the minute of its local week", () => {
    assert.equal(utcOffsetMin("Europe/Paris", JAN), 60);
    assert.equal(utcOffsetMin("Europe/Paris", THU_10 + 7 * 24 * HOUR), 120);
    assert.equal(utcOffsetMin("America/New_York", JAN), -300);
    assert.equal(utcOffsetMin("Asia/Kolkata", JAN), 330);
    assert.equal(utcOffsetMin("UTC", JAN + 59_999), 0, "seconds do not count");
    assert.equal(minuteOfWeek("Europe/Paris", THU_10), 3 * 1440 + 600);
    assert.equal(minuteOfWeek("America/New_York", THU_10), 3 * 1440 + 300);
    assert.equal(minuteOfWeek("UTC", Date.UTC(2026, 2, 29, 23, 59)), 6 * 1440 + 1439);
  });
});

describe("the phase at an instant", () => {
  const utc = { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" };
  const at = (day: number, h: number, m = 0) => Date.UTC(2026, 2, 23 + day, h, m); // Monday 23 March 2026 + day

  it("awake in a window; the DB up from 15 min before a wake to 5 min after a sleep; when it changes next, and since when", () => {
    assert.deepEqual(phaseAt(utc, at(0, 10)), { service: false, database: false, next: "Mon 20:00", since: "Mon 08:00" });
    assert.deepEqual(phaseAt(utc, at(0, 7, 45)), { service: true, database: false, next: "Mon 08:00", since: "Fri 20:00" });
    assert.deepEqual(phaseAt(utc, at(0, 7, 44)), { service: true, database: true, next: "Mon 08:00", since: "Fri 20:00" });
    assert.deepEqual(phaseAt(utc, at(0, 20, 4)), { service: true, database: false, next: "Tue 08:00", since: "Mon 20:00" });
    assert.deepEqual(phaseAt(utc, at(0, 20, 5)), { service: true, database: true, next: "Tue 08:00", since: "Mon 20:00" });
    assert.deepEqual(phaseAt(utc, at(4, 19, 59)), { service: false, database: false, next: "Fri 20:00", since: "Fri 08:00" });
    const early = { awake: "Mon-Fri 00:05-20:00", timezone: "UTC" };
    assert.deepEqual(phaseAt(early, at(6, 23, 55)), { service: true, database: false, next: "Mon 00:05", since: "Fri 20:00" }, "the DB's lead wraps past Sunday");
    assert.deepEqual(phaseAt({ awake: "Sun 08:00-24:00", timezone: "UTC" }, at(7, 0, 4)), { service: true, database: false, next: "Sun 08:00", since: "Mon 00:00" }, "its stop delay too");
  });

  it("in the zone's local time, daylight saving included", () => {
    assert.deepEqual(phaseAt(PARIS, Date.UTC(2026, 2, 26, 7, 0)).service, false, "08:00 in Paris in winter");
    assert.deepEqual(phaseAt(PARIS, Date.UTC(2026, 2, 30, 6, 0)).service, false, "08:00 in Paris in summer");
    assert.deepEqual(phaseAt(PARIS, Date.UTC(2026, 2, 30, 5, 59)).service, true);
  });

  it("a schedule with no window never changes: asleep, with no next", () => {
    assert.deepEqual(phaseAt({ awake: [], timezone: "UTC" }, at(0, 10)), { service: true, database: true });
  });
});

describe("what the schedules at AWS have asleep", () => {
  const live = (action: (typeof ACTIONS)[number], expression: string, timezone = "UTC") => ({ action, expression, timezone });
  const mon = (h: number, m = 0) => Date.UTC(2026, 2, 23, h, m);

  it("the last run before now decides, for the service and the DB apart", () => {
    const schedules = [live("service-sleep", "cron(0 20 ? * MON *)"), live("service-wake", "cron(0 8 ? * MON *)"), live("database-stop", "cron(5 20 ? * MON *)"), live("database-start", "cron(45 7 ? * MON *)")];
    assert.deepEqual(livePhaseAt(schedules, mon(7, 50)), { service: true, database: false });
    assert.deepEqual(livePhaseAt(schedules, mon(8, 0)), { service: false, database: false }, "a run at this very minute has run");
    assert.deepEqual(livePhaseAt(schedules, mon(20, 3)), { service: true, database: false });
    assert.deepEqual(livePhaseAt(schedules, mon(21)), { service: true, database: true });
  });

  it("in each schedule's own zone; one in a zone that does not exist, or with an unreadable expression, counts for nothing", () => {
    const paris = [live("service-sleep", "cron(0 20 ? * MON *)", "Europe/Paris"), live("service-wake", "cron(0 8 ? * MON *)", "Europe/Paris")];
    assert.deepEqual(livePhaseAt(paris, mon(7, 30)), { service: false, database: false }, "08:30 in Paris");
    assert.deepEqual(livePhaseAt(paris, mon(19, 30)), { service: true, database: false }, "20:30 in Paris");
    assert.deepEqual(livePhaseAt([live("service-sleep", "cron(0 20 ? * MON *)", "Nowhere/At_All")], mon(21)), { service: false, database: false });
    assert.deepEqual(livePhaseAt([live("service-sleep", "rate(1 hour)")], mon(21)), { service: false, database: false });
    assert.deepEqual(livePhaseAt([live("service-sleep", "rate(1 hour)"), live("service-wake", "cron(0 8 ? * MON *)"), live("service-sleep", "cron(0 20 ? * MON *)")], mon(21)), { service: true, database: false });
  });
});

describe("hours awake for the cost", () => {
  it("the service's hours a week; the DB's with its start lead and stop delay per sleep, at most the whole week", () => {
    assert.deepEqual(awakeHoursPerWeek(PARIS), { service: 60, database: 60 + (5 * 20) / 60 });
    assert.deepEqual(awakeHoursPerWeek({ awake: ["Mon-Sun 00:00-23:50"], timezone: "UTC" }), { service: 7 * 23 + (7 * 50) / 60, database: 168 });
  });
});
