import {
  CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, UpdateScheduleCommand, type GetScheduleCommandOutput, type ScheduleSummary,
} from "@aws-sdk/client-scheduler";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { passingRole } from "../aws/iam.js";
import { names, partitionOf } from "../config/names.js";
import { ACTIONS, cronExpressions, type Action, type LiveSchedule } from "../config/schedule.js";
import type { Live, RefFn, Stored } from "../engine/types.js";
import { sharedRead } from "../shared/reads.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";
import { dbInstance } from "./db-instance.js";
import { ecsCluster } from "./ecs-cluster.js";
import { ecsService } from "./ecs-service.js";
import { scheduleGroup } from "./schedule-group.js";
import { schedulerRole } from "./scheduler-role.js";

/**
 * A late call must not land in the next window: EventBridge Scheduler retries a failed invocation for up to
 * 24 hours by default (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html).
 */
const RETRY = { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 5 };

/**
 * Each action calls one AWS API through a universal target (no Lambda), its input in the SDK's member names
 * (`DbInstanceIdentifier`, not the RDS query API's `DBInstanceIdentifier`):
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html
 */
/** A universal target (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html), in the region's partition. */
const universal = (spec: DesiredStack, api: string) => `arn:${partitionOf(spec.region)}:scheduler:::aws-sdk:${api}`;

function target(action: Action, spec: DesiredStack, ref: RefFn): { arn: string; input: Record<string, unknown> } {
  const db = { DbInstanceIdentifier: names(spec).dbInstance };
  const service = (count: number) => ({ Cluster: ref(ecsCluster).clusterName, Service: ref(ecsService).serviceName, DesiredCount: count });
  switch (action) {
    case "service-sleep": return { arn: universal(spec, "ecs:updateService"), input: service(0) };
    case "database-stop": ref(dbInstance); return { arn: universal(spec, "rds:stopDBInstance"), input: db };
    case "database-start": ref(dbInstance); return { arn: universal(spec, "rds:startDBInstance"), input: db };
    case "service-wake": return { arn: universal(spec, "ecs:updateService"), input: service(spec.app.desiredCount) };
  }
}

const desiredFor = (action: Action) => (spec: DesiredStack, ref: RefFn) => {
  const group = ref(scheduleGroup).groupName;
  const roleArn = ref(schedulerRole).roleArn;
  const { arn, input } = target(action, spec, ref);
  // No schedule in the spec (it was removed): none of its schedules may stay and keep stopping the stack.
  const expressions = spec.schedule ? cronExpressions(spec.schedule, action) : [];
  return {
    group,
    schedules: expressions.map((expression, i) => ({
      name: names(spec).schedule(action, i), expression, timezone: spec.schedule!.timezone, state: "ENABLED", flexibleWindow: "OFF",
      target: { arn, roleArn, input, retry: RETRY },
    })),
  };
};
type Want = ReturnType<ReturnType<typeof desiredFor>>;
type Def = Want["schedules"][number];

const defOf = (s: GetScheduleCommandOutput): Def => ({
  name: s.Name!, expression: s.ScheduleExpression!, timezone: s.ScheduleExpressionTimezone ?? "UTC", state: s.State ?? "ENABLED", flexibleWindow: s.FlexibleTimeWindow?.Mode ?? "OFF",
  target: {
    arn: s.Target?.Arn ?? "", roleArn: s.Target?.RoleArn ?? "", input: JSON.parse(s.Target?.Input || "{}") as Record<string, unknown>,
    retry: { MaximumEventAgeInSeconds: s.Target?.RetryPolicy?.MaximumEventAgeInSeconds ?? 86400, MaximumRetryAttempts: s.Target?.RetryPolicy?.MaximumRetryAttempts ?? 185 },
  },
});

/** CreateSchedule and UpdateSchedule take the same full definition (an update replaces every field). */
const request = (group: string, d: Def) => ({
  Name: d.name, GroupName: group, ScheduleExpression: d.expression, ScheduleExpressionTimezone: d.timezone, State: d.state as "ENABLED",
  FlexibleTimeWindow: { Mode: d.flexibleWindow as "OFF" },
  Target: { Arn: d.target.arn, RoleArn: d.target.roleArn, Input: JSON.stringify(d.target.input), RetryPolicy: d.target.retry },
});

/** The stack's schedules, one ListSchedules for all four actions while the stack is observed. */
const listSchedules = (ctx: Ctx) => sharedRead(ctx, `scheduler:list:${ctx.names.scheduleGroup}`, () =>
  absentIfNotFound(() => ctx.aws.scheduler.send(new ListSchedulesCommand({ GroupName: ctx.names.scheduleGroup, MaxResults: 100 }))));

/** A schedule's definition as GetSchedule last showed it, and when it had last been modified then. */
type Seen = { modified?: string; def: Def };

/**
 * A schedule's definition. Any change to a schedule is an UpdateSchedule, which moves its LastModificationDate, and
 * ListSchedules shows that date (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ScheduleSummary.html):
 * when it is the one of the definition read last time (kept in state), that definition is still the schedule's and
 * GetSchedule is not asked again.
 */
async function readSchedule(ctx: Ctx, summary: ScheduleSummary, prior: Stored | undefined): Promise<Seen | undefined> {
  const modified = summary.LastModificationDate?.toISOString();
  const known = (JSON.parse(prior?.memo?.seen || "[]") as Seen[]).find((x) => x.def.name === summary.Name);
  if (modified && known?.modified === modified) return known;
  const s = await absentIfNotFound(() => ctx.aws.scheduler.send(new GetScheduleCommand({ Name: summary.Name, GroupName: ctx.names.scheduleGroup })));
  return s && { modified: s.LastModificationDate?.toISOString(), def: defOf(s) };
}

async function apply(ctx: Ctx, want: Want, have: Def[]) {
  const canonical = (d: Def) => JSON.stringify(request("", d));
  for (const d of want.schedules) {
    const live = have.find((h) => h.name === d.name);
    // Each passes the scheduler role, which may have been created a moment ago.
    const send = ctx.aws.scheduler.sendWith(passingRole("scheduler"));
    if (!live) await send(new CreateScheduleCommand({ ...request(want.group, d), ClientToken: `${d.name}-${d.expression}`.replace(/[^\w-]/g, "").slice(0, 64) }));
    else if (canonical(live) !== canonical(d)) await send(new UpdateScheduleCommand(request(want.group, d)));
  }
  for (const h of have.filter((x) => !want.schedules.some((d) => d.name === x.name))) {
    await ignoreNotFound(() => ctx.aws.scheduler.send(new DeleteScheduleCommand({ Name: h.name, GroupName: want.group })));
  }
}

/** The EventBridge Scheduler schedules of one action (one per time of day), in the stack's schedule group. */
function schedulesOf(action: Action): StackResource<Want, { group: string; schedules: Def[] }, { names: string }> {
  const key = `schedule-${action}`;
  return {
    key,
    kind: "scheduler:schedule",
    client: "scheduler",
    tagging: "none",
    actions: { observe: ["scheduler:ListSchedules", "scheduler:GetSchedule"], create: ["scheduler:CreateSchedule", "iam:PassRole"], update: ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "iam:PassRole"], delete: ["scheduler:DeleteSchedule"] },
    ignored: {
      "description, start and end dates, KMS key": "a schedule changed by hand is compared whole (expression, zone, state, target, retries); these cannot make it fire at other times than its dates allow",
    },
    // A retried CreateSchedule whose first answer was lost: the engine re-observes and the update adds the rest.
    alreadyExists: hasCode("ConflictException"),
    title: (spec) => `schedule ${action.replace("-", " ")}${spec.schedule ? ` (${spec.schedule.timezone})` : ""}`,
    desired: desiredFor(action),
    async observe(ctx, prior) {
      const list = await listSchedules(ctx);
      if (!list) return undefined; // no group: nothing can be in it
      const prefix = `${ctx.names.app}-${action}-`;
      const found = (list.Schedules ?? []).filter((s) => s.Name?.startsWith(prefix)).sort((a, b) => a.Name!.localeCompare(b.Name!, "en", { numeric: true }));
      const seen = await Promise.all(found.map((s) => readSchedule(ctx, s, prior)));
      const defs = seen.filter((x): x is Seen => !!x).map((x) => x.def);
      // ListSchedules filters by group: a group that is gone lists nothing rather than failing
      // (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ListSchedules.html). No schedule: none exists.
      if (!defs.length) return undefined;
      return {
        id: `${ctx.names.scheduleGroup}/${prefix}*`, state: "ready", attrs: { group: ctx.names.scheduleGroup, schedules: defs },
        outputs: { names: defs.map((d) => d.name).join(",") },
        // What each schedule was when last read: the next observe reads again only those whose date moved.
        memo: { seen: JSON.stringify(seen.filter(Boolean)) },
      };
    },
    async create(ctx, want) {
      await apply(ctx, want, []);
      return { id: `${want.group}/${ctx.names.app}-${action}-*`, outputs: { names: want.schedules.map((d) => d.name).join(",") } };
    },
    async update(ctx, want, live) {
      await apply(ctx, want, live.attrs.schedules);
    },
    async delete(ctx, live) {
      await apply(ctx, { group: live.attrs.group ?? ctx.names.scheduleGroup, schedules: [] }, live.attrs.schedules ?? []);
    },
  };
}

export const schedules = ACTIONS.map(schedulesOf);

/** The enabled schedules AWS has, as observed (a disabled one never runs). */
export const liveSchedules = (observed: ReadonlyMap<string, Live | undefined>): LiveSchedule[] =>
  schedules.flatMap((r, i) => ((observed.get(r.key)?.attrs.schedules ?? []) as Def[]).filter((d) => d.state === "ENABLED").map((d) => ({ action: ACTIONS[i]!, expression: d.expression, timezone: d.timezone })));
