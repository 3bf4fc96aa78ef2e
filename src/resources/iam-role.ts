import { AttachRolePolicyCommand, DeleteRoleCommand, DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { createRole, findOwnRole, resetTrust } from "../aws/iam.js";
import { syncTags, type Tags } from "../aws/tags.js";
import { stackTags } from "../config/names.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";

const KEY = "iam-execution-role";
export const EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const ECS_TASKS = "ecs-tasks.amazonaws.com";

const desired = (spec: DesiredStack) => ({ trustedServices: [ECS_TASKS], policies: [EXECUTION_POLICY_ARN], tags: stackTags(spec, KEY) });
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
    const role = await findOwnRole(ctx, name);
    if (!role) return undefined;
    const attached = await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    return {
      id: name,
      state: "ready",
      attrs: { trustedServices: role.trustedServices, policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(), tags: role.tags },
      outputs: { roleArn: role.arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.executionRole;
    const arn = await createRole(ctx.aws, name, ECS_TASKS, `ECS task execution role for ${ctx.spec.appName}`, want.tags);
    await setPolicies(ctx, name, want.policies, []);
    return { id: name, outputs: { roleArn: arn, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await resetTrust(ctx.aws, live.id, ECS_TASKS);
    if (changed.includes("policies")) await setPolicies(ctx, live.id, want.policies, live.attrs.policies);
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await setPolicies(ctx, live.id, [], live.attrs.policies ?? []);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
