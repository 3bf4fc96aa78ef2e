import { CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { errorCode } from "../aws/errors.js";
import { ignoreNotFound } from "../aws/ec2.js";
import type { Ctx, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting } from "./owned.js";

const KEY = "log-group";
const desired = (spec: Target) => ({ retentionDays: spec.logs.retentionDays });

const setRetention = (ctx: Ctx, days: number) =>
  ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: ctx.names.logGroup, retentionInDays: days }));

export const logGroup: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "logs:log-group",
  dependsOn: [],
  title: (spec) => `log group /ecs/${spec.appName}`,
  desired,
  async observe(ctx, prior) {
    const name = ctx.names.logGroup;
    const out = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    const g = out.logGroups?.find((l) => l.logGroupName === name);
    if (!g) return undefined;
    const arn = g.arn!.replace(/:\*$/, "");
    await checkOwnedWhenAdopting(ctx, prior, `log group ${name}`, name, async () => (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {});
    return { id: name, attrs: { retentionDays: g.retentionInDays }, outputs: { logGroupName: name, logGroupArn: arn } };
  },
  async create(ctx, want) {
    const name = ctx.names.logGroup;
    try {
      await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: stackTags(ctx.spec, KEY) }));
    } catch (e) {
      // A crash after the create and before the state write: observe will check the tags on the next look.
      if (errorCode(e) !== "ResourceAlreadyExistsException") throw e;
    }
    await setRetention(ctx, want.retentionDays);
    return { id: name, outputs: { logGroupName: name } };
  },
  async update(ctx, want) {
    await setRetention(ctx, want.retentionDays);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: live.id })));
  },
};
