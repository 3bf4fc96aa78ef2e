import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { cronExpressions } from "../src/config/schedule.js";
import { SpecSchema } from "../src/config/schema.js";
import { estimate } from "../src/cost/estimate.js";
import { nextOccurrence } from "./fake/scheduler.js";
import { APP, Harness } from "./helpers.js";

const HOUR = 3_600_000;
const PARIS = { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" };
/** Thursday 26 March 2026, 10:00 in Paris (CET, UTC+1); Paris moves to CEST (UTC+2) on Sunday 29 March at 01:00 UTC. */
const THU_10 = Date.UTC(2026, 2, 26, 9, 0);
const DST_SWITCH = Date.UTC(2026, 2, 29, 1, 0);

/** Paris wall-clock by hand (UTC+1, then UTC+2 after the switch): independent of the product's Intl arithmetic. */
function parisAwake(t: number): boolean {
  const local = new Date(t + (t >= DST_SWITCH ? 2 : 1) * HOUR);
  const day = local.getUTCDay();
  return day >= 1 && day <= 5 && local.getUTCHours() >= 8 && local.getUTCHours() < 20;
}

describe("schedule spec", () => {
  it("refuses a schedule that never sleeps (awake all week): no schedule would be made, and up would wait for them (issue 24 item 20)", async () => {
    // The rule itself: test/config-schedule.test.ts.
    const h = new Harness();
    try {
      const r = await h.cli(["validate", "--config", h.writeSpec({ schedule: { awake: "Mon-Sun 00:00-24:00", timezone: "Europe/Paris" } })]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /never sleeps/);
      assert.deepEqual(h.fake.calls, []);
    } finally {
      h.close();
    }
  });

  it("warns at validate and plan, with the dates, when a run falls in a spring-forward gap that Scheduler skips (issue 24 item 10)", async () => {
    // Havana moves its clocks from 00:00 to 01:00 on Sunday 8 March 2026: a 00:30 wake does not exist that day
    // (which runs fall in the gap, and why: test/config-schedule.test.ts).
    const havana = { awake: "Mon-Sun 00:30-20:00", timezone: "America/Havana" };
    const jan = Date.UTC(2026, 0, 15);
    // The fake's own Scheduler (its own arithmetic) skips that run: the next wake after Saturday's is Monday's.
    const wake = cronExpressions(havana, "service-wake")[0]!;
    const sat = Date.UTC(2026, 2, 7, 12, 0);
    assert.equal(new Date(nextOccurrence({ expression: wake, timezone: havana.timezone }, sat)!).toISOString(), "2026-03-09T04:30:00.000Z");
    const h = new Harness();
    try {
      await h.clock.run(() => h.clock.sleep(jan));
      const spec = h.writeSpec({ schedule: havana });
      for (const command of ["validate", "plan"]) {
        const r = await h.cli([command, "--config", spec]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /warning: schedule: the database's start at Sun 00:15 on 2026-03-08; the service's wake at Sun 00:30 on 2026-03-08 fall in a daylight-saving gap of America\/Havana .*EventBridge Scheduler skips those runs/, command);
      }
      assert.doesNotMatch((await h.cli(["validate", "--config", h.writeSpec({ schedule: PARIS })])).stderr, /daylight-saving/);
    } finally {
      h.close();
    }
  });
});

describe("cost with a schedule", () => {
  it("prices tasks and the DB for the hours the schedule keeps them running", () => {
    const line = (e: ReturnType<typeof estimate>, start: string) => e.lines.find((l) => l.item.startsWith(start))!;
    const always = estimate(SpecSchema.parse({}));
    const office = estimate(SpecSchema.parse({ schedule: PARIS }));
    // 60 h a week awake (730/168 weeks a month); the DB also runs 15 min before and 5 min after each of the 5 sleeps.
    const fargate = line(always, "Fargate").monthly as number;
    assert.equal(line(office, "Fargate").monthly, Math.round(fargate * (60 / 168) * 100) / 100);
    assert.equal(line(office, "RDS db.t4g.micro").monthly, Math.round(0.016 * (60 + 5 * 20 / 60) * (730 / 168) * 100) / 100);
    assert.match(line(office, "Fargate").item, /awake 261 h\/month by schedule/);
    assert.ok(always.total! - office.total! > 15, `${always.total} vs ${office.total}`);
    assert.ok(!office.savings.some((s) => s.item.startsWith("sleep")), "the schedule's saving is in the total, not offered again");
    // Another zone, same local windows: the same hours.
    assert.equal(estimate(SpecSchema.parse({ schedule: { ...PARIS, timezone: "Asia/Tokyo" } })).total, office.total);

  });
});

describe("a stack on a schedule (EventBridge Scheduler on the fake)", () => {
  let h: Harness;
  let config: string;
  beforeEach(async () => {
    h = new Harness();
    config = join(h.dir, "spec.json");
    writeFileSync(config, JSON.stringify({ schedule: PARIS }));
    await h.clock.run(() => h.clock.sleep(THU_10));
  });
  afterEach(() => h.close());
  const cli = (...argv: string[]) => h.cli([...argv, "--config", config]);
  const service = () => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
  const db = () => [...h.fake.rds.instances.values()][0]!;
  const pass = (ms: number) => h.clock.run(() => h.fake.passTime(ms));
  const mutatingDuring = async (fn: () => Promise<unknown>) => {
    const before = h.fake.mutatingCalls().length;
    await fn();
    return h.fake.mutatingCalls().slice(before).map((c) => c.op);
  };
  const upAndDeploy = async () => {
    assert.equal((await cli("up", "--yes")).code, 0);
    h.fake.pushImage(APP, "v1");
    assert.equal((await cli("deploy", "--tag", "v1")).code, 0);
  };

  it("sleeps and wakes exactly in the windows for a week across a DST change, with only the calls the role allows", async () => {
    await upAndDeploy();
    assert.equal(h.fake.scheduler.schedules.size, 4);
    const role = h.fake.iam.roles.get(`${APP}-us-east-1-scheduler`)!;
    const statements = Object.values(role.inline).flatMap((d) => JSON.parse(d).Statement);
    assert.deepEqual(statements.map((s: { Action: string[] }) => s.Action).flat().sort(), ["ecs:UpdateService", "rds:StartDBInstance", "rds:StopDBInstance"]);
    assert.ok(statements.every((s: { Resource: string[] }) => s.Resource.every((r) => !r.includes("*"))), "no wildcard resource");

    // Every hour at :30 for 7 days: the service runs and the DB is available exactly while Paris is in a window.
    await pass(HOUR / 2);
    const wrong: string[] = [];
    for (let i = 0; i < 7 * 24; i++) {
      await pass(HOUR);
      const t = h.clock.now();
      const awake = parisAwake(t);
      const seen = { tasks: service().desiredCount, db: db().status };
      const want = { tasks: awake ? 1 : 0, db: awake ? "available" : "stopped" };
      if (seen.tasks !== want.tasks || seen.db !== want.db) wrong.push(`${new Date(t).toISOString()} ${JSON.stringify(seen)} want ${JSON.stringify(want)}`);
    }
    assert.deepEqual(wrong, []);
    // Monday (after the switch) the service woke at 06:00 UTC, not 07:00.
    const mondayWake = h.fake.scheduler.invocations.find((v) => v.schedule.includes("service-wake") && v.at > DST_SWITCH)!;
    assert.equal(new Date(mondayWake.at).toISOString(), "2026-03-30T06:00:00.000Z");

    // Thu 20:00, Fri 20:00, Mon-Wed 20:00 to sleep; Fri, Mon-Thu 08:00 to wake: 5 of each action, all allowed.
    const inv = h.fake.scheduler.invocations;
    assert.deepEqual(inv.filter((v) => v.outcome !== "ok"), []);
    const serviceArn = service().arn;
    const dbArn = h.fake.arn("rds", `db:${db().id}`);
    assert.deepEqual([...new Set(inv.map((v) => `${v.action} ${v.resource}`))].sort(), [`ecs:UpdateService ${serviceArn}`, `rds:StartDBInstance ${dbArn}`, `rds:StopDBInstance ${dbArn}`]);
    assert.equal(inv.length, 20);
  });

  it("up in a sleep window changes nothing and says until when; wake wakes now and up keeps it awake until the next sleep", async () => {
    await upAndDeploy();
    await pass(11 * HOUR); // Thu 21:00 Paris
    assert.equal(service().desiredCount, 0);
    let r!: Awaited<ReturnType<typeof cli>>;
    assert.deepEqual(await mutatingDuring(async () => { r = await cli("up", "--yes"); }), []);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /No changes/);
    assert.match(r.stderr, /Asleep until Fri 08:00 \(Europe\/Paris\) by schedule/);
    const plan = await cli("plan", "--detailed-exitcode");
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);

    assert.equal((await cli("wake", "--yes")).code, 0);
    assert.equal(service().desiredCount, 1);
    assert.equal(db().status, "available");
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), []);
    const status = await cli("status");
    assert.match(status.stdout, /Schedule: {4}awake Mon-Fri 08:00-20:00 \(Europe\/Paris\); next wake Fri 08:00/);

    await pass(24 * HOUR); // Fri 21:00: the schedule put it back to sleep
    assert.equal(service().desiredCount, 0);
    assert.equal(db().status, "stopped");
  });

  it("a schedule added inside its sleep window puts the stack to sleep now, saying so in the plan; a second up changes nothing (issue 28 item 6)", async () => {
    writeFileSync(config, JSON.stringify({}));
    await upAndDeploy();
    await pass(11 * HOUR); // Thu 21:00 Paris: no schedule yet, the app runs
    assert.deepEqual([service().desiredCount, db().status], [1, "available"]);

    writeFileSync(config, JSON.stringify({ schedule: PARIS }));
    const note = "asleep now: the schedule's sleep window Thu 20:00-Fri 08:00 (Europe/Paris) holds until Fri 08:00";
    const plan = await cli("plan");
    assert.ok(plan.stdout.includes(note), plan.stdout);
    assert.match(plan.stdout, /desiredCount: 1 → 0/);
    assert.match(plan.stdout, /stopped: false → true/);
    assert.deepEqual(JSON.parse((await cli("plan", "--json")).stdout).notes, [note]);

    let r!: Awaited<ReturnType<typeof cli>>;
    const calls = await mutatingDuring(async () => { r = await cli("up", "--yes"); });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(note), "up shows the plan it applies");
    assert.deepEqual(calls.filter((op) => !op.endsWith("Schedule") && !op.endsWith("ScheduleGroup") && !op.endsWith("Role") && !op.endsWith("RolePolicy") && op !== "TagResource"), ["UpdateService", "StopDBInstance"]);
    assert.deepEqual([service().desiredCount, db().status], [0, "stopped"]);
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), [], "a second up changes nothing");
    const again = await cli("plan", "--detailed-exitcode");
    assert.equal(again.code, 0, again.stdout);
    assert.ok(!again.stdout.includes("asleep now"));

    await pass(11 * HOUR); // Fri 08:00 has passed: the schedule's own wake
    assert.deepEqual([service().desiredCount, db().status], [1, "available"]);
  });

  it("a schedule changed so that now falls in its sleep window sleeps the stack now; changed back, it wakes it now (issue 28 item 6)", async () => {
    await upAndDeploy();
    await pass(9.5 * HOUR); // Thu 19:30 Paris, awake
    writeFileSync(config, JSON.stringify({ schedule: { ...PARIS, awake: "Mon-Fri 08:00-19:00" } }));
    const asleep = await cli("plan");
    assert.ok(asleep.stdout.includes("asleep now: the schedule's sleep window Thu 19:00-Fri 08:00 (Europe/Paris) holds until Fri 08:00"), asleep.stdout);
    assert.deepEqual((await mutatingDuring(() => cli("up", "--yes"))).filter((op) => op !== "UpdateSchedule"), ["UpdateService", "StopDBInstance"]);
    assert.deepEqual([service().desiredCount, db().status], [0, "stopped"]);
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), []);

    writeFileSync(config, JSON.stringify({ schedule: PARIS }));
    const saved = join(h.dir, "wake.plan.json");
    const awake = await cli("plan", "--out", saved);
    const note = "awake now: the schedule's awake window Thu 08:00-20:00 (Europe/Paris) holds until Thu 20:00";
    assert.ok(awake.stdout.includes(note), awake.stdout);
    let applied!: Awaited<ReturnType<typeof cli>>;
    assert.deepEqual((await mutatingDuring(async () => { applied = await cli("up", "--yes", "--plan", saved); })).filter((op) => op !== "UpdateSchedule"), ["StartDBInstance", "UpdateService"]);
    assert.ok(applied.stdout.includes(note), "the saved plan says it too");
    assert.deepEqual([service().desiredCount, db().status], [1, "available"]);
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), []);
    await pass(HOUR); // Thu 20:30: the schedule's own sleep
    assert.equal(service().desiredCount, 0);
  });

  it("what sleep and wake chose stands: a schedule change that moves no window edge across now neither wakes nor sleeps the stack (issue 28 item 6)", async () => {
    await upAndDeploy();
    assert.equal((await cli("sleep", "--yes")).code, 0); // Thu 10:00, in an awake window: asleep by hand
    const awakeFrom9 = { schedule: { ...PARIS, awake: "Mon-Fri 09:00-20:00" } };
    writeFileSync(config, JSON.stringify(awakeFrom9));
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), ["UpdateSchedule", "UpdateSchedule"], "kept asleep: only the schedules change");
    assert.deepEqual([service().desiredCount, db().status], [0, "stopped"]);
    writeFileSync(config, JSON.stringify({ schedule: { ...PARIS, awake: "Mon-Fri 11:00-20:00" } }));
    assert.doesNotMatch((await cli("plan")).stdout, /awake now|asleep now|desiredCount/, "a change that puts now in a sleep window does not wake or say anything");

    writeFileSync(config, JSON.stringify(awakeFrom9));
    await pass(11 * HOUR); // Thu 21:00, in a sleep window: woken by hand
    assert.equal((await cli("wake", "--yes")).code, 0);
    writeFileSync(config, JSON.stringify({ schedule: { ...PARIS, awake: "Mon-Fri 09:00-19:00" } }));
    const plan = await cli("plan");
    assert.doesNotMatch(plan.stdout, /asleep now|desiredCount/, plan.stdout);
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), ["UpdateSchedule", "UpdateSchedule"], "kept awake until the next sleep time");
    assert.deepEqual([service().desiredCount, db().status], [1, "available"]);
  });

  it("inside the window in the zone's local time on the day daylight saving starts (issue 28 item 6)", async () => {
    writeFileSync(config, JSON.stringify({}));
    await upAndDeploy();
    await pass(Date.UTC(2026, 2, 28, 19, 30) - h.clock.now()); // Saturday 20:30 in Paris (UTC+1)
    writeFileSync(config, JSON.stringify({ schedule: { awake: "Mon-Sun 08:00-21:00", timezone: "Europe/Paris" } }));
    assert.doesNotMatch((await cli("plan")).stdout, /asleep now|desiredCount/);
    await pass(24 * HOUR); // the same UTC time on Sunday is 21:30 in Paris (UTC+2 since 03:00)
    const plan = await cli("plan");
    assert.ok(plan.stdout.includes("asleep now: the schedule's sleep window Sun 21:00-Mon 08:00 (Europe/Paris) holds until Mon 08:00"), plan.stdout);
    assert.equal((await cli("up", "--yes")).code, 0);
    assert.deepEqual([service().desiredCount, db().status], [0, "stopped"]);
  });

  it("plan and graph show the schedule's resources; drift in a schedule or the role's policy is repaired", async () => {
    const plan = await cli("plan");
    assert.match(plan.stdout, /\+ schedule group spontime-poc-sleep/);
    assert.match(plan.stdout, /\+ IAM scheduler role spontime-poc-us-east-1-scheduler/);
    assert.match(plan.stdout, /\+ schedule database stop \(Europe\/Paris\)/);
    const graph = await cli("graph");
    assert.match(graph.stdout, /ecs_service --> iam_scheduler_role\n/);
    assert.match(graph.stdout, /iam_scheduler_role --> schedule_service_wake\n/);

    await upAndDeploy();
    const sleepSchedule = [...h.fake.scheduler.schedules.values()].find((s) => s.name.includes("service-sleep"))!;
    sleepSchedule.expression = "cron(0 23 ? * MON-FRI *)";
    sleepSchedule.modifiedAt = h.clock.now(); // as the UpdateSchedule that made this change would
    delete h.fake.iam.roles.get(`${APP}-us-east-1-scheduler`)!.inline["sleep-and-wake"];
    const drift = await cli("plan");
    assert.match(drift.stdout, /~ schedule service sleep/);
    assert.match(drift.stdout, /~ IAM scheduler role/);
    assert.deepEqual((await mutatingDuring(() => cli("up", "--yes"))).sort(), ["PutRolePolicy", "UpdateSchedule"]);
    assert.equal(sleepSchedule.expression, "cron(0 23 ? * MON-FRI *)", "the fake replaced the schedule rather than editing it");
    assert.equal([...h.fake.scheduler.schedules.values()].find((s) => s.name.includes("service-sleep"))!.expression, "cron(0 20 ? * MON,TUE,WED,THU,FRI *)");
  });

  it("a schedule redone by hand with AWS's defaults (no retry policy, no input, no zone) is read as AWS runs it, and made whole again", async () => {
    await upAndDeploy();
    const wake = [...h.fake.scheduler.schedules.values()].find((s) => s.name.includes("service-wake"))!;
    const wanted = structuredClone(wake);
    Object.assign(wake, { timezone: undefined, target: { Arn: wake.target.Arn, RoleArn: wake.target.RoleArn }, modifiedAt: h.clock.now() });
    const plan = JSON.parse((await cli("plan", "--json")).stdout) as { changes: { key: string; diffs: { field: string; before: { timezone: string; target: object }[] }[] }[] };
    const before = plan.changes.find((c) => c.key === "schedule-service-wake")!.diffs.find((d) => d.field === "schedules")!.before[0]!;
    // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html: 86400 s and 185 attempts by default.
    assert.deepEqual([before.timezone, before.target], ["UTC", { arn: wake.target.Arn, roleArn: wake.target.RoleArn, input: {}, retry: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 } }]);
    assert.deepEqual(await mutatingDuring(() => cli("up", "--yes")), ["UpdateSchedule"]);
    const now = [...h.fake.scheduler.schedules.values()].find((s) => s.name === wanted.name)!;
    assert.deepEqual([now.timezone, now.target], [wanted.timezone, wanted.target]);
  });

  it("the longest app name makes schedules too: each create's token is cut to Scheduler's 64 characters", async () => {
    writeFileSync(config, JSON.stringify({ appName: "abcdefghijklmnopqrstuvwx", schedule: { ...PARIS, awake: "Mon-Fri 10:30-21:45" } }));
    const r = await cli("up", "--yes");
    assert.equal(r.code, 0, r.stderr);
    const tokens = h.fake.calls.filter((c) => c.op === "CreateSchedule").map((c) => (c.input as { ClientToken: string }).ClientToken);
    assert.ok(tokens.some((t) => t.length === 64) && tokens.every((t) => t.length <= 64), tokens.join("\n"));
  });

  it("a lost state file adopts the schedules by tag and name (0 creates); down leaves no schedule, group, role or policy", async () => {
    await upAndDeploy();
    rmSync(h.statePath);
    const calls = await mutatingDuring(() => cli("up", "--yes"));
    assert.deepEqual(calls.filter((op) => op.startsWith("Create") || op === "PutRolePolicy"), []);

    assert.equal((await cli("down", "--yes", "--skip-final-snapshot")).code, 0);
    assert.equal(h.fake.scheduler.schedules.size, 0);
    assert.equal(h.fake.iam.roles.has(`${APP}-us-east-1-scheduler`), false);
    await pass(HOUR);
    assert.equal(h.fake.scheduler.groups.size, 0);
    assert.deepEqual(h.fake.taggedResources(APP), []);
  });

  it("removing the schedule from the spec deletes its schedules, group and role: nothing sleeps the stack any more", async () => {
    await upAndDeploy();
    writeFileSync(config, JSON.stringify({}));
    const calls = await mutatingDuring(() => cli("up", "--yes"));
    assert.deepEqual(calls.sort(), ["DeleteRole", "DeleteRolePolicy", "DeleteSchedule", "DeleteSchedule", "DeleteSchedule", "DeleteSchedule", "DeleteScheduleGroup"]);
    assert.ok(!Object.keys(h.state().resources).some((k) => k.startsWith("schedule")), "state forgets them");
    assert.equal(h.fake.scheduler.groups.size, 0, "up returns once the group is gone (DeleteScheduleGroup is asynchronous)");
    const before = h.fake.calls.length;
    assert.equal((await cli("up", "--yes")).code, 0);
    assert.deepEqual(h.fake.calls.slice(before).filter((c) => c.service === "scheduler").map((c) => c.op), [], "nothing left to look for");
    await pass(24 * HOUR);
    assert.equal(service().desiredCount, 1);
  });

  it("a lost state file after the schedule was removed: the next up still finds the schedules by tag and deletes them", async () => {
    await upAndDeploy();
    rmSync(h.statePath);
    writeFileSync(config, JSON.stringify({}));
    assert.equal((await cli("up", "--yes")).code, 0);
    assert.equal(h.fake.scheduler.schedules.size, 0);
    assert.equal(h.fake.iam.roles.has(`${APP}-us-east-1-scheduler`), false);
    await pass(24 * HOUR);
    assert.equal(service().desiredCount, 1, "no schedule left to put it to sleep");
  });
});
