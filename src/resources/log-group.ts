import { CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, type Tags } from "../aws/tags.js";
import { withUserKeys } from "../config/names.js";
import type { DesiredStack } from "./context.js";
import { tagged } from "./tagging.js";

const KEY = "log-group";
const desired = (spec: DesiredStack) => ({ retentionDays: spec.logs.retentionDays });
type Attrs = { retentionDays?: number; tags: Tags };

export const logGroup = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { logGroupName: string; logGroupArn: string }>({
  key: KEY,
  kind: "logs:log-group",
  client: "logs",
  tagging: "logs",
  actions: { observe: ["logs:DescribeLogGroups", "logs:ListTagsForResource"], create: ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], update: ["logs:PutRetentionPolicy"], delete: ["logs:DeleteLogGroup"] },
  tagTarget: (live) => live.outputs.logGroupArn,
  ignored: {
    "KMS key, data protection policy, subscription filters": "added by hand they protect or copy the logs; the app writes to the group either way",
  },
  // A retried CreateLogGroup whose first answer was lost.
  alreadyExists: hasCode("ResourceAlreadyExistsException"),
  title: (spec) => `log group /ecs/${spec.appName}`,
  desired,
  async observe(ctx) {
    const name = ctx.names.logGroup;
    const out = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    const g = out.logGroups?.find((l) => l.logGroupName === name);
    if (!g) return undefined;
    const arn = g.arn!.replace(/:\*$/, "");
    const tags = (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
    assertOurs("log group", name, tags, ctx.spec.appName, arn);
    return { id: name, state: "ready", attrs: { retentionDays: g.retentionInDays, tags }, outputs: { logGroupName: name, logGroupArn: arn } };
  },
  async create(ctx, want) {
    const name = ctx.names.logGroup;
    await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: withUserKeys(want.tags) }));
    await ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: want.retentionDays }));
    return { id: name, outputs: { logGroupName: name } };
  },
  // The retention is the only field an update gets (tags are tagged()'s).
  async update(ctx, want, live) {
    await ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: live.id, retentionInDays: want.retentionDays }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: live.id })));
  },
});
