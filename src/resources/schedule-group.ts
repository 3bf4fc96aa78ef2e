import { CreateScheduleGroupCommand, DeleteScheduleGroupCommand, GetScheduleGroupCommand, ListTagsForResourceCommand } from "@aws-sdk/client-scheduler";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, tagList, tagMap, type Tags } from "../aws/tags.js";
import { tagged } from "./tagging.js";

const KEY = "schedule-group";
const desired = () => ({});

/**
 * The group that holds the stack's schedules. EventBridge Scheduler tags only schedule groups, never a schedule
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_TagResource.html): the group carries the
 * stack's ownership, and a schedule is ours because it sits in it.
 */
export const scheduleGroup = tagged<{ tags: Tags }, { tags: Tags }, { groupName: string; groupArn: string }>({
  key: KEY,
  kind: "scheduler:schedule-group",
  client: "scheduler",
  tagging: "scheduler",
  actions: { observe: ["scheduler:GetScheduleGroup", "scheduler:ListTagsForResource"], create: ["scheduler:CreateScheduleGroup"], delete: ["scheduler:DeleteScheduleGroup"] },
  tagTarget: (live) => live.outputs.groupArn,
  // A retried CreateScheduleGroup whose first answer was lost.
  alreadyExists: hasCode("ConflictException"),
  // DeleteScheduleGroup is asynchronous (state DELETING) and deletes the group's schedules with it.
  waitUntilGone: true,
  typicalGoneMs: 5_000,
  title: (spec) => `schedule group ${spec.appName}-sleep`,
  desired,
  async observe(ctx) {
    const name = ctx.names.scheduleGroup;
    const g = await absentIfNotFound(() => ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: name })));
    if (!g?.Arn) return undefined;
    const tags = tagMap((await ctx.aws.scheduler.send(new ListTagsForResourceCommand({ ResourceArn: g.Arn }))).Tags);
    assertOurs("schedule group", name, tags, ctx.spec.appName, g.Arn);
    const live = { id: name, attrs: { tags }, outputs: { groupName: name, groupArn: g.Arn } };
    return g.State === "DELETING" ? { ...live, state: "deleting", why: "deleting" } : { ...live, state: "ready" };
  },
  async create(ctx, want) {
    const name = ctx.names.scheduleGroup;
    const out = await ctx.aws.scheduler.send(new CreateScheduleGroupCommand({ Name: name, Tags: tagList(want.tags) }));
    return { id: name, outputs: { groupName: name, groupArn: out.ScheduleGroupArn! } };
  },

  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.scheduler.send(new DeleteScheduleGroupCommand({ Name: live.id })));
  },
});
