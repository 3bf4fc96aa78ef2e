/**
 * The spec's `schedule` (awake windows in a time zone) turned into what AWS runs and what the tool decides:
 * the cron expressions of EventBridge Scheduler, the phase (service/database asleep or not) at an instant,
 * the next transitions for `status`, and the hours per week awake for `cost`. Pure: no AWS, no clock.
 */
import { didYouMean } from "./catalog.js";

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
const CRON_DAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
const DAY_MIN = 24 * 60;
export const WEEK_MIN = 7 * DAY_MIN;

/** The service goes to 0 tasks first; its tasks have stopped (30 s deregistration) well before the DB stops. */
export const DB_STOP_AFTER_MIN = 5;
/** RDS takes minutes to start a stopped instance: the DB starts this long before the service comes back. */
export const DB_START_LEAD_MIN = 15;
/** Shorter sleeps are not worth a stop/start of the DB (and would overlap its own stop and start). */
export const MIN_SLEEP_MIN = 60;
/**
 * RDS starts a stopped instance by itself after 7 days:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html
 */
export const RDS_MAX_STOPPED_MIN = 7 * DAY_MIN;

export interface Schedule { awake: string | string[]; timezone: string }
/** One "Mon-Fri 08:00-20:00": days (0 = Monday) and minutes after local midnight, end > start. */
export interface AwakeWindow { days: number[]; start: number; end: number }

const DAY_RE = DAYS.join("|");
const WINDOW_RE = new RegExp(`^((?:${DAY_RE})(?:-(?:${DAY_RE}))?(?:,(?:${DAY_RE})(?:-(?:${DAY_RE}))?)*) (\\d\\d):(\\d\\d)-(\\d\\d):(\\d\\d)$`);

/** "Mon-Fri 08:00-20:00", "Sat 09:00-12:00", "Mon,Wed-Fri 07:30-24:00"; a string is the reason when it is not valid. */
export function parseWindow(text: string): AwakeWindow | string {
  const m = WINDOW_RE.exec(text.trim());
  if (!m) return `"${text}" is not like "Mon-Fri 08:00-20:00" (days Mon..Sun, ranges with -, lists with ",", 24-hour times)`;
  const [h1, m1, h2, m2] = m.slice(2).map(Number) as [number, number, number, number];
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 > 0)) return `"${text}": times run from 00:00 to 24:00`;
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  if (end <= start) return `"${text}": the window must end after it starts on the same day (use 24:00 for midnight, and a second window for the next morning)`;
  const days = new Set<number>();
  for (const item of m[1]!.split(",")) {
    const [from, to = from] = item.split("-").map((d) => DAYS.indexOf(d as (typeof DAYS)[number]));
    for (let d = from!; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return { days: [...days].sort(), start, end };
}

export const validTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone }); // throws a RangeError for "" too
    return true;
  } catch {
    return false;
  }
};

const windowsOf = (s: Schedule): AwakeWindow[] => [s.awake].flat().map(parseWindow).filter((w): w is AwakeWindow => typeof w !== "string");

/** Awake or not, for each minute of the local week (0 = Monday 00:00). */
function awakeMinutes(s: Schedule): Uint8Array {
  const awake = new Uint8Array(WEEK_MIN);
  for (const w of windowsOf(s)) for (const d of w.days) awake.fill(1, d * DAY_MIN + w.start, d * DAY_MIN + w.end);
  return awake;
}

/** The sleeps of a week: [start, length] in local minutes, wrapping past Sunday midnight. */
function sleeps(awake: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let m = 0; m < WEEK_MIN; m++) {
    if (awake[m] || !awake[(m + WEEK_MIN - 1) % WEEK_MIN]) continue;
    // A sleep starts after an awake minute, so an awake minute ends it within the week.
    let len = 0;
    while (!awake[(m + len) % WEEK_MIN]) len++;
    out.push([m, len]);
  }
  return out;
}

/** The largest shift of the zone's UTC offset over a year (daylight saving time): a sleep across it lasts that much longer. */
function dstShiftMin(zone: string, year = new Date().getUTCFullYear()): number {
  const offsets = Array.from({ length: 12 }, (_, month) => utcOffsetMin(zone, Date.UTC(year, month, 1)));
  return Math.max(...offsets) - Math.min(...offsets);
}

/** Why the schedule cannot work, one reason per problem; empty when it can. */
export function scheduleViolations(s: Schedule): string[] {
  const reasons = [s.awake].flat().map(parseWindow).filter((w): w is string => typeof w === "string");
  if (!validTimeZone(s.timezone)) reasons.push(`timezone "${s.timezone}" is not an IANA time zone like Europe/Paris${didYouMean(s.timezone, Intl.supportedValuesOf("timeZone"))}`);
  // No window at all is the schema's to say (at least one): it is not a week without sleep.
  if (reasons.length || !windowsOf(s).length) return reasons;
  const awake = awakeMinutes(s);
  // No sleep, no schedule to create: `up` would wait for schedules it never makes.
  if (!sleeps(awake).length) reasons.push("the awake windows cover the whole week, so the stack never sleeps: remove `schedule` (or leave a gap of at least 60 min)");
  for (const [start, len] of sleeps(awake)) {
    if (len < MIN_SLEEP_MIN) reasons.push(`the sleep at ${label(start)} lasts ${len} min: windows less than ${MIN_SLEEP_MIN} min apart should be one window`);
    const stopped = len - DB_STOP_AFTER_MIN - DB_START_LEAD_MIN + dstShiftMin(s.timezone);
    if (stopped > RDS_MAX_STOPPED_MIN) {
      reasons.push(`the sleep from ${label(start)} keeps the database stopped ${(stopped / 60).toFixed(1)} h (with the daylight-saving shift), longer than 7 days: RDS starts a stopped DB by itself after 7 days (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html); add an awake window`);
    }
  }
  return reasons;
}

/** "Mon 08:00" for a minute of the local week. */
export function label(minuteOfWeek: number): string {
  const m = ((minuteOfWeek % WEEK_MIN) + WEEK_MIN) % WEEK_MIN;
  const t = m % DAY_MIN;
  return `${DAYS[Math.floor(m / DAY_MIN)]} ${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`;
}

/** What each schedule does, in the order a sleep and a wake run them. */
export const ACTIONS = ["service-sleep", "database-stop", "database-start", "service-wake"] as const;
export type Action = (typeof ACTIONS)[number];

/** When each action runs in the local week: the service sleeps at a window's end, the DB stops a bit later; the DB starts a bit before a window, the service at its start. */
function actionMinutes(s: Schedule): Record<Action, number[]> {
  const out: Record<Action, number[]> = { "service-sleep": [], "database-stop": [], "database-start": [], "service-wake": [] };
  for (const [start, len] of sleeps(awakeMinutes(s))) {
    out["service-sleep"].push(start);
    out["database-stop"].push(start + DB_STOP_AFTER_MIN);
    out["database-start"].push(start + len - DB_START_LEAD_MIN);
    out["service-wake"].push(start + len);
  }
  return out;
}

/**
 * The cron expressions (EventBridge Scheduler's `cron(minutes hours day-of-month month day-of-week year)`, `?`
 * for the day of month when a day of week is given) for one action: one per time of day, listing its days.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
export function cronExpressions(s: Schedule, action: Action): string[] {
  const byTime = new Map<number, number[]>();
  for (const raw of actionMinutes(s)[action]) {
    const m = ((raw % WEEK_MIN) + WEEK_MIN) % WEEK_MIN;
    const t = m % DAY_MIN;
    byTime.set(t, [...(byTime.get(t) ?? []), Math.floor(m / DAY_MIN)]);
  }
  return [...byTime].sort(([a], [b]) => a - b).map(([t, days]) => `cron(${t % 60} ${Math.floor(t / 60)} ? * ${days.sort().map((d) => CRON_DAYS[d]).join(",")} *)`);
}

const ACTION_WORDS: Record<Action, string> = {
  "service-sleep": "the service's sleep", "database-stop": "the database's stop", "database-start": "the database's start", "service-wake": "the service's wake",
};

/**
 * The runs EventBridge Scheduler will skip in the coming year: a local time inside a spring-forward gap does
 * not exist, and its invocation is skipped (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time).
 * A zone that moves its clocks at midnight skips a 00:xx wake, and the stack stays asleep that day.
 */
export function skippedByDaylightSaving(s: Schedule, from: number): string[] {
  const times = ACTIONS.flatMap((action) => actionMinutes(s)[action].map((raw) => ({ action, m: ((raw % WEEK_MIN) + WEEK_MIN) % WEEK_MIN })));
  const out: string[] = [];
  for (let day = 0; day < 366; day++) {
    const noon = from + day * DAY_MIN * 60_000;
    const p = localParts(s.timezone, noon);
    for (const { action, m } of times) {
      if (Math.floor(m / DAY_MIN) !== p.weekday) continue;
      const t = m % DAY_MIN;
      const naive = Date.UTC(p.year, p.month - 1, p.day, Math.floor(t / 60), t % 60);
      // The wall-clock time exists if one of the day's two offsets (before and after a change) gives it back.
      const exists = [noon - 86_400_000, noon + 86_400_000].some((around) => {
        const q = localParts(s.timezone, naive - utcOffsetMin(s.timezone, around) * 60_000);
        return q.day === p.day && q.hour * 60 + q.minute === t;
      });
      if (!exists) out.push(`${ACTION_WORDS[action]} at ${label(m)} on ${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`);
    }
  }
  return out;
}

/** The warning for `validate` and `plan`, when a run of the schedule falls in a daylight-saving gap. */
export function daylightSavingWarning(s: Schedule, from: number): string | undefined {
  const skipped = skippedByDaylightSaving(s, from);
  if (!skipped.length) return undefined;
  return `schedule: ${skipped.join("; ")} ${skipped.length > 1 ? "fall" : "falls"} in a daylight-saving gap of ${s.timezone} (that local time does not exist that day): EventBridge Scheduler skips ${skipped.length > 1 ? "those runs" : "that run"}; move the window's edge out of the gap`;
}

/** Local time minus UTC, in minutes, at instant `t` in `zone`. */
export function utcOffsetMin(zone: string, t: number): number {
  const p = localParts(zone, t);
  return Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(t / 60_000) * 60_000) / 60_000);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(zone: string, t: number) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short", hourCycle: "h23" });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), weekday: DAYS.indexOf(parts.weekday as (typeof DAYS)[number]) };
}

/** The minute of the local week (0 = Monday 00:00) at instant `t`. */
export function minuteOfWeek(zone: string, t: number): number {
  const p = localParts(zone, t);
  return p.weekday * DAY_MIN + p.hour * 60 + p.minute;
}

export interface Phase {
  service: boolean;
  database: boolean;
  /** "Mon 08:00": when the service next wakes (asleep) or sleeps (awake); undefined when the schedule never changes it. */
  next?: string;
  /** "Thu 20:00": when the service last went to sleep (asleep) or woke (awake), with `next`. */
  since?: string;
}

/** What the schedule has asleep at instant `t` (the same local-clock rule EventBridge Scheduler follows). */
export function phaseAt(s: Schedule, t: number): Phase {
  const awake = awakeMinutes(s);
  const m = minuteOfWeek(s.timezone, t);
  const at = (k: number) => awake[((k % WEEK_MIN) + WEEK_MIN) % WEEK_MIN] === 1;
  let databaseUp = at(m);
  for (let k = 1; k <= DB_START_LEAD_MIN && !databaseUp; k++) databaseUp = at(m + k);
  for (let k = 1; k <= DB_STOP_AFTER_MIN && !databaseUp; k++) databaseUp = at(m - k);
  let next: string | undefined;
  let since: string | undefined;
  // Stryker disable next-line EqualityOperator: one step more reaches minute m itself (a week on), never a change
  for (let k = 1; k < WEEK_MIN && !next; k++) if (at(m + k) !== at(m)) next = label(m + k);
  // Stryker disable next-line EqualityOperator: as above, a week back
  for (let k = 1; k < WEEK_MIN && !since; k++) if (at(m - k) !== at(m)) since = label(m - k + 1);
  return { service: !at(m), database: !databaseUp, ...(next ? { next, since } : {}) };
}

const CRON_RE = /^cron\(([\d,]+) ([\d,]+) ([?*]) \* ([?*]|[A-Z\d,-]+) \*\)$/;
const cronDay = (d: string) => (/^[1-7]$/.test(d) ? (Number(d) + 5) % 7 : CRON_DAYS.indexOf(d)); // 1 = SUN

/**
 * The minutes of the local week a weekly cron expression (the form `cronExpressions` writes, or one changed by
 * hand: lists, day ranges, 1-7 for SUN-SAT, every day) fires at; undefined for any other form.
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
export function cronMinutes(expression: string): number[] | undefined {
  const m = CRON_RE.exec(expression);
  if (!m) return undefined;
  const [minutes, hours, dom, dow] = [m[1]!.split(",").map(Number), m[2]!.split(",").map(Number), m[3], m[4]!];
  let days = [0, 1, 2, 3, 4, 5, 6];
  if (dow !== "?" && dow !== "*") {
    days = [];
    for (const item of dow.split(",")) {
      const [from, to = from] = item.split("-").map(cronDay);
      if (!(from! >= 0 && to! >= 0)) return undefined;
      for (let d = from!; ; d = (d + 1) % 7) {
        days.push(d);
        if (d === to) break;
      }
    }
  } else if (dom !== "?" && dow !== "?") return undefined;
  if (minutes.some((x) => x > 59) || hours.some((x) => x > 23)) return undefined;
  return days.flatMap((d) => hours.flatMap((h) => minutes.map((x) => d * DAY_MIN + h * 60 + x)));
}

/** A schedule as AWS has it: its action, expression and zone. */
export interface LiveSchedule { action: Action; expression: string; timezone: string }

/**
 * What schedules at AWS have asleep at instant `t`: the service (the DB) is asleep when the last of its sleep and
 * wake runs (stop and start runs) before `t` was a sleep (a stop). With no run, or one that cannot be read, awake:
 * nothing of those schedules put it to sleep.
 */
export function livePhaseAt(live: readonly LiveSchedule[], t: number): { service: boolean; database: boolean } {
  const zones = new Map([...new Set(live.map((s) => s.timezone))].filter(validTimeZone).map((zone) => [zone, minuteOfWeek(zone, t)]));
  const last = (asleep: Action, awake: Action) => {
    let best: { ago: number; asleep: boolean } | undefined;
    for (const s of live.filter((x) => (x.action === asleep || x.action === awake) && zones.has(x.timezone))) {
      const now = zones.get(s.timezone)!;
      for (const at of cronMinutes(s.expression) ?? []) {
        const ago = (now - at + WEEK_MIN) % WEEK_MIN;
        if (!best || ago < best.ago) best = { ago, asleep: s.action === asleep };
      }
    }
    return best?.asleep ?? false;
  };
  return { service: last("service-sleep", "service-wake"), database: last("database-stop", "database-start") };
}

/** Hours per week the service is awake (the DB: plus its start lead and stop delay per sleep), for `cost`. */
export function awakeHoursPerWeek(s: Schedule): { service: number; database: number } {
  const awake = awakeMinutes(s);
  const service = awake.reduce((n, v) => n + v, 0);
  const extra = sleeps(awake).length * (DB_STOP_AFTER_MIN + DB_START_LEAD_MIN);
  return { service: service / 60, database: Math.min(WEEK_MIN, service + extra) / 60 };
}
