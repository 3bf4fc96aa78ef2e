/**
 * EventBridge Scheduler: schedule groups (the only taggable resource), schedules inside a group, cron
 * expressions evaluated in their time zone with daylight saving time as AWS documents it, and universal
 * targets invoked as the schedule's role, which must allow the call. Schedules fire while a test lets time
 * pass with `passTime` (not in the middle of a CLI run, to keep other tests' clocks free of far-off timers).
 * Its own cron and time-zone arithmetic: nothing here comes from the product.
 */
import * as Scheduler from "@aws-sdk/client-scheduler";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, TAG_RULES, toUpper, type Service, type Tags } from "./common.js";
import { ecsService } from "./ecs.js";
import { roleAssumable } from "./iam.js";
import { rdsService } from "./rds.js";

export interface ScheduleGroup { name: string; arn: string; state: "ACTIVE" | "DELETING"; goneAt: number; tags: Tags }
export interface Schedule {
  name: string; group: string; arn: string; expression: string; timezone: string; state: string; flexibleMode: string;
  target: { Arn: string; RoleArn: string; Input?: string; RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number } };
  createdAt: number;
  /** Moved by every UpdateSchedule: ListSchedules and GetSchedule show it (API_ScheduleSummary, API_GetSchedule). */
  modifiedAt: number;
}
/** One call a schedule made (or tried): the IAM action, the resource it names, and how it ended. */
export interface Invocation { at: number; schedule: string; action: string; resource: string; outcome: string }
export interface SchedulerState { groups: Map<string, ScheduleGroup>; schedules: Map<string, Schedule>; invocations: Invocation[] }

export const emptyScheduler = (): SchedulerState => ({ groups: new Map(), schedules: new Map(), invocations: [] });

/** DeleteScheduleGroup is asynchronous: the group shows DELETING while its schedules are deleted (API_DeleteScheduleGroup). */
const GROUP_DELETE_MS = 5_000;

// ---------------------------------------------------------------- cron in a time zone
/** Day-of-week names as cron takes them; JavaScript's getUTCDay numbering (0 = Sunday). */
const DOW = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/**
 * The cron shape the fake runs: fixed minute and hour, `?` day of month, every month, a day-of-week list or
 * range, every year (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based).
 * Anything else is a fake limitation, not an AWS refusal.
 */
function parseCron(expression: string): { minute: number; hour: number; days: Set<number> } {
  const m = /^cron\((\d{1,2}) (\d{1,2}) \? \* ([A-Z,-]+) \*\)$/.exec(expression);
  if (!m) throw new Error(`fake scheduler: unsupported expression ${expression}`);
  const days = new Set<number>();
  for (const item of m[3]!.split(",")) {
    const [a, b = a] = item.split("-").map((d) => DOW.indexOf(d));
    if (a! < 0 || b! < 0) throw awsError("ValidationException", `Invalid Schedule Expression ${expression}.`);
    for (let d = a!; ; d = (d + 1) % 7) { days.add(d); if (d === b) break; }
  }
  const minute = Number(m[1]);
  const hour = Number(m[2]);
  if (minute > 59 || hour > 23) throw awsError("ValidationException", `Invalid Schedule Expression ${expression}.`);
  return { minute, hour, days };
}

const formats = new Map<string, Intl.DateTimeFormat>();
function wallClock(zone: string, t: number) {
  let f = formats.get(zone);
  if (!f) formats.set(zone, f = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", hourCycle: "h23" }));
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, Number(p.value)]));
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour!, mi: parts.minute! };
}

/**
 * The instant a wall-clock time has in `zone`: the earliest when the time occurs twice (autumn), none when it
 * does not occur (spring). EventBridge Scheduler then runs once, resp. skips the invocation:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time
 */
function instantOf(zone: string, y: number, mo: number, d: number, h: number, mi: number): number | undefined {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  const offset = (t: number) => { const w = wallClock(zone, t); return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) - Math.floor(t / 60_000) * 60_000; };
  const candidates = [naive - offset(naive - 86_400_000), naive - offset(naive + 86_400_000)].filter((t) => {
    const w = wallClock(zone, t);
    return w.y === y && w.mo === mo && w.d === d && w.h === h && w.mi === mi;
  });
  return candidates.length ? Math.min(...candidates) : undefined;
}

/** The schedule's first occurrence strictly after `after`. */
export function nextOccurrence(s: Pick<Schedule, "expression" | "timezone">, after: number): number | undefined {
  const cron = parseCron(s.expression);
  const today = wallClock(s.timezone, after);
  for (let i = 0; i <= 8; i++) {
    const day = new Date(Date.UTC(today.y, today.mo - 1, today.d + i));
    if (!cron.days.has(day.getUTCDay())) continue;
    const at = instantOf(s.timezone, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), cron.hour, cron.minute);
    if (at !== undefined && at > after) return at;
  }
  return undefined;
}

// ---------------------------------------------------------------- universal targets
/**
 * A universal target `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>` calls the API with Input in the SDK's
 * member names, as the schedule's role (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
 * The members the fake knows per target; any other member fails the invocation.
 */
const TARGETS: Record<string, { members: Record<string, string>; resource: (fake: FakeAws, input: Record<string, unknown>) => string }> = {
  "ecs:updateService": {
    members: { Cluster: "cluster", Service: "service", DesiredCount: "desiredCount" },
    resource: (fake, i) => fake.arn("ecs", `service/${String(i.cluster).split("/").pop()}/${i.service}`),
  },
  "rds:stopDBInstance": { members: { DbInstanceIdentifier: "DBInstanceIdentifier" }, resource: (fake, i) => fake.arn("rds", `db:${i.DBInstanceIdentifier}`) },
  "rds:startDBInstance": { members: { DbInstanceIdentifier: "DBInstanceIdentifier" }, resource: (fake, i) => fake.arn("rds", `db:${i.DBInstanceIdentifier}`) },
};

const matches = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);

/** Whether the role's trust and inline policies let EventBridge Scheduler make this call (no Deny modelled). */
function roleAllows(fake: FakeAws, roleArn: string, action: string, resource: string): boolean {
  const role = [...fake.iam.roles.values()].find((r) => r.arn === roleArn);
  if (!role) return false;
  const trusts = ([JSON.parse(role.trust).Statement].flat() as { Principal?: { Service?: string | string[] } }[]).some((s) => [s.Principal?.Service].flat().includes("scheduler.amazonaws.com"));
  if (!trusts) return false;
  return Object.values(role.inline).some((doc) => ([JSON.parse(doc).Statement].flat() as { Effect: string; Action: string | string[]; Resource: string | string[] }[])
    .some((s) => s.Effect === "Allow" && [s.Action].flat().some((a) => matches(a, action)) && [s.Resource].flat().some((r) => matches(r, resource))));
}

async function invoke(fake: FakeAws, s: Schedule, at: number): Promise<void> {
  const [service, api] = s.target.Arn.replace(`arn:${fake.partition}:scheduler:::aws-sdk:`, "").split(":") as [string, string];
  const target = TARGETS[`${service}:${api}`];
  if (!target) throw new Error(`fake scheduler: unmodelled target ${s.target.Arn}`);
  const action = `${service}:${api[0]!.toUpperCase()}${api.slice(1)}`;
  const record = (resource: string, outcome: string) => fake.scheduler.invocations.push({ at, schedule: s.name, action, resource, outcome });
  const given = JSON.parse(s.target.Input ?? "{}") as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(k in target.members));
  if (unknown.length) return void record("", `ValidationException: unknown ${unknown.join(", ")}`);
  const input = Object.fromEntries(Object.entries(given).map(([k, v]) => [target.members[k]!, v]));
  const resource = target.resource(fake, input);
  if (!roleAllows(fake, s.target.RoleArn, action, resource)) return void record(resource, "AccessDenied");
  const writes = (service === "ecs" ? ecsService(fake).writes : rdsService(fake).writes) as Record<string, (i: unknown) => unknown>;
  try {
    fake.tick();
    await writes[`${api[0]!.toUpperCase()}${api.slice(1)}`]!(input);
    record(resource, "ok");
  } catch (e) {
    record(resource, (e as Error).name);
  }
}

/** Lets `ms` of virtual time pass, firing every enabled schedule at its occurrences (call inside `clock.run`). */
export async function passTime(fake: FakeAws, ms: number): Promise<void> {
  const end = fake.clock.now() + ms;
  for (;;) {
    const now = fake.clock.now();
    const due = [...fake.scheduler.schedules.values()].filter((s) => s.state === "ENABLED")
      .map((s) => ({ s, at: nextOccurrence(s, now) ?? Infinity }))
      .sort((a, b) => a.at - b.at || a.s.createdAt - b.s.createdAt)[0];
    if (!due || due.at > end) break;
    await fake.clock.sleep(due.at - now);
    await invoke(fake, due.s, due.at);
  }
  await fake.clock.sleep(end - fake.clock.now());
  fake.tick();
}

// ---------------------------------------------------------------- API
export function schedulerService(fake: FakeAws): Service<typeof Scheduler> {
  const st = () => fake.scheduler;
  const group = (name: string | undefined, active = true) => {
    const g = st().groups.get(name ?? "default");
    if (!g || (active && g.state !== "ACTIVE")) throw awsError("ResourceNotFoundException", `Schedule group ${name} does not exist.`, 404);
    return g;
  };
  const schedule = (groupName: string | undefined, name: string | undefined) => {
    const s = st().schedules.get(`${groupName ?? "default"}/${name}`);
    if (!s) throw awsError("ResourceNotFoundException", `Schedule ${name} does not exist.`, 404);
    return s;
  };
  const byArn = (arn: string | undefined) => {
    const g = [...st().groups.values()].find((x) => x.arn === arn);
    // Only schedule groups take tags (API_TagResource: "You can only assign tags to schedule groups").
    if (!g) throw awsError("ResourceNotFoundException", `Resource ${arn} does not exist.`, 404);
    return g;
  };
  /**
   * The target's role must be one Scheduler can assume, which a role created a moment ago is not yet (see
   * iam.ts): ValidationException, as reported for a role created just before CreateSchedule (aws/aws-sdk-js-v3#6494).
   */
  /** A universal target is `arn:<partition>:scheduler:::aws-sdk:<service>:<apiAction>` (managing-targets-universal.html). */
  const requireTarget = (arn: string | undefined) => {
    if (!arn?.startsWith(`arn:${fake.partition}:scheduler:::aws-sdk:`)) throw awsError("ValidationException", `Invalid target ARN ${arn}.`);
  };
  const requireAssumable = (roleArn: string | undefined) => {
    if (!roleAssumable(fake, roleArn)) throw awsError("ValidationException", "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.");
  };
  const define = (i: Scheduler.CreateScheduleCommandInput | Scheduler.UpdateScheduleCommandInput, createdAt: number): Schedule => {
    if (!i.FlexibleTimeWindow?.Mode || !i.Target?.Arn || !i.Target.RoleArn || !i.ScheduleExpression) throw awsError("ValidationException", "1 validation error detected.");
    const timezone = i.ScheduleExpressionTimezone ?? "UTC";
    try { new Intl.DateTimeFormat("en-US", { timeZone: timezone }); } catch { throw awsError("ValidationException", `Invalid time zone ${timezone}.`); }
    parseCron(i.ScheduleExpression);
    const g = group(i.GroupName);
    return {
      name: i.Name!, group: g.name, arn: fake.arn("scheduler", `schedule/${g.name}/${i.Name}`), expression: i.ScheduleExpression, timezone, state: i.State ?? "ENABLED",
      flexibleMode: i.FlexibleTimeWindow.Mode, target: structuredClone(i.Target) as Schedule["target"], createdAt, modifiedAt: fake.clock.now(),
    };
  };
  /** Groups whose asynchronous delete has finished are gone, with their schedules. */
  const settle = () => {
    for (const g of [...st().groups.values()]) if (g.state === "DELETING" && fake.clock.now() >= g.goneAt) st().groups.delete(g.name);
  };
  const shape = (s: Schedule) => ({
    Name: s.name, GroupName: s.group, Arn: s.arn, ScheduleExpression: s.expression, ScheduleExpressionTimezone: s.timezone, State: s.state,
    FlexibleTimeWindow: { Mode: s.flexibleMode }, Target: s.target, CreationDate: new Date(s.createdAt), LastModificationDate: new Date(s.modifiedAt),
  });
  return {
    client: Scheduler.SchedulerClient,
    sdk: Scheduler,
    reads: {
      GetScheduleGroup: (i) => { settle(); const g = group(i.Name, false); return { Name: g.name, Arn: g.arn, State: g.state }; },
      ListTagsForResource: (i) => { settle(); return { Tags: toUpper(byArn(i.ResourceArn).tags) }; },
      // GroupName is a filter, "only lists the schedules whose associated schedule group matches the given filter"
      // (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ListSchedules.html): a group that does not
      // exist (any more) lists nothing, as moto answers too (moto/scheduler/models.py list_schedules).
      ListSchedules: (i) => {
        settle();
        return { Schedules: [...st().schedules.values()].filter((s) => (!i.GroupName || s.group === i.GroupName) && (!i.NamePrefix || s.name.startsWith(i.NamePrefix))).map((s) => ({
          Name: s.name, GroupName: s.group, Arn: s.arn, State: s.state, Target: { Arn: s.target.Arn }, CreationDate: new Date(s.createdAt), LastModificationDate: new Date(s.modifiedAt),
        })) };
      },
      GetSchedule: (i) => shape(schedule(i.GroupName, i.Name)),
    },
    writes: {
      CreateScheduleGroup: (i) => {
        settle();
        if (st().groups.has(i.Name!)) throw awsError("ConflictException", `Schedule group ${i.Name} already exists.`, 409);
        const g: ScheduleGroup = { name: i.Name!, arn: fake.arn("scheduler", `schedule-group/${i.Name}`), state: "ACTIVE", goneAt: 0, tags: checkTags(TAG_RULES.scheduler, {}, fromUpper(i.Tags)) };
        st().groups.set(g.name, g);
        return { ScheduleGroupArn: g.arn };
      },
      DeleteScheduleGroup: (i) => {
        settle();
        const g = group(i.Name, false);
        if (g.state === "ACTIVE") {
          g.state = "DELETING";
          g.goneAt = fake.clock.now() + GROUP_DELETE_MS;
          for (const [k, s] of st().schedules) if (s.group === g.name) st().schedules.delete(k);
        }
      },
      TagResource: (i) => { const g = byArn(i.ResourceArn); Object.assign(g.tags, checkTags(TAG_RULES.scheduler, g.tags, fromUpper(i.Tags))); },
      UntagResource: (i) => { const g = byArn(i.ResourceArn); for (const k of i.TagKeys ?? []) delete g.tags[k]; },
      CreateSchedule: (i) => {
        settle();
        // ClientToken: 1-64 characters of [a-zA-Z0-9-_] (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html).
        if (i.ClientToken !== undefined && !/^[a-zA-Z0-9-_]{1,64}$/.test(i.ClientToken)) throw awsError("ValidationException", "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_]+$ and have length less than or equal to 64");
        requireTarget(i.Target?.Arn);
        requireAssumable(i.Target?.RoleArn);
        const s = define(i, fake.clock.now());
        const key = `${s.group}/${s.name}`;
        if (st().schedules.has(key)) throw awsError("ConflictException", `Schedule ${s.name} already exists.`, 409);
        st().schedules.set(key, s);
        return { ScheduleArn: s.arn };
      },
      // UpdateSchedule replaces every field, optional ones included (API_UpdateSchedule).
      UpdateSchedule: (i) => {
        requireTarget(i.Target?.Arn);
        requireAssumable(i.Target?.RoleArn);
        const old = schedule(i.GroupName, i.Name);
        const s = define(i, old.createdAt);
        st().schedules.set(`${s.group}/${s.name}`, s);
        return { ScheduleArn: s.arn };
      },
      DeleteSchedule: (i) => { const s = schedule(i.GroupName, i.Name); st().schedules.delete(`${s.group}/${s.name}`); },
    },
  };
}
