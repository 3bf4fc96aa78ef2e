import {
  AttachRolePolicyCommand, CreateRoleCommand, DeleteRoleCommand, DetachRolePolicyCommand, GetRoleCommand,
  ListAttachedRolePoliciesCommand, UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, ownedTags, syncTags, tagList, tagMap, type Tags } from "../aws/tags.js";
import { stackTags } from "../config/names.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";

const KEY = "iam-execution-role";
export const EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] };

/** The trust policy reduced to who may assume the role, so formatting differences are not drift. */
export const trustedServices = (doc: unknown): string[] =>
  ((doc as typeof TRUST).Statement ?? [])
    .filter((s) => s.Effect === "Allow" && [s.Action].flat().includes("sts:AssumeRole"))
    .flatMap((s) => [s.Principal?.Service ?? []].flat())
    .sort();

const desired = (spec: DesiredStack) => ({ trustedServices: ["ecs-tasks.amazonaws.com"], policies: [EXECUTION_POLICY_ARN], tags: stackTags(spec, KEY) });
type Want = ReturnType<typeof desired>;
type Attrs = { trustedServices: string[]; policies: string[]; tags: Tags };

async function setPolicies(ctx: Ctx, role: string, want: string[], have: string[]) {
  for (const arn of want.filter((a) => !have.includes(a))) await ctx.aws.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
  // Already detached (a retried call whose first answer was lost) is detached.
  for (const arn of have.filter((a) => !want.includes(a))) await ignoreNotFound(() => ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn })));
}

export const executionRole: StackResource<Want, Attrs, { roleArn: string; roleName: string }> = {
  key: KEY,
  kind: "iam:role",
  // IAM refuses to delete a role with attached policies; a retried CreateRole whose answer was lost.
  inUse: hasCode("DeleteConflict"),
  alreadyExists: hasCode("EntityAlreadyExists"),
  title: (spec) => `IAM task execution role ${spec.appName}-ecs-execution`,
  desired,
  async observe(ctx) {
    const name = ctx.names.executionRole;
    const role = (await absentIfNotFound(() => ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
    if (!role?.Arn) return undefined;
    const tags = tagMap(role.Tags);
    assertOurs("IAM role", name, tags, ctx.spec.appName);
    const attached = await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    return {
      id: name,
      state: "ready",
      attrs: {
        trustedServices: trustedServices(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? "{}"))),
        policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
        tags: ownedTags(tags, ctx.spec),
      },
      outputs: { roleArn: role.Arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.executionRole;
    const out = await ctx.aws.iam.send(new CreateRoleCommand({
      RoleName: name, AssumeRolePolicyDocument: JSON.stringify(TRUST), Description: `ECS task execution role for ${ctx.spec.appName}`, Tags: tagList(want.tags),
    }));
    await setPolicies(ctx, name, want.policies, []);
    return { id: name, outputs: { roleArn: out.Role!.Arn!, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await ctx.aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: live.id, PolicyDocument: JSON.stringify(TRUST) }));
    if (changed.includes("policies")) await setPolicies(ctx, live.id, want.policies, live.attrs.policies);
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await setPolicies(ctx, live.id, [], live.attrs.policies ?? []);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
