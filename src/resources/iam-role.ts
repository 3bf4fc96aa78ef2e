import { AttachRolePolicyCommand, DeleteRoleCommand, DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from "@aws-sdk/client-iam";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { createRole, findOwnRole, readInlinePolicy, resetTrust, writeInlinePolicy, type Permission } from "../aws/iam.js";
import { syncTags, type Tags } from "../aws/tags.js";
import { names, partitionOf, stackTags, TAG_REGION } from "../config/names.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";

const KEY = "iam-execution-role";
/** The AWS managed policy, in the region's partition. */
export const executionPolicyArn = (region: string) => `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`;
const ECS_TASKS = "ecs-tasks.amazonaws.com";
/** The inline policy letting ECS read app.secrets when it starts a task, and nothing more. */
const SECRETS_POLICY = "read-app-secrets";

/**
 * Exactly the entries app.secrets names: ssm:GetParameters for parameters, secretsmanager:GetSecretValue for
 * secrets (the secret's own ARN, without the `:json-key:stage:version` a valueFrom may add).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
 */
export function secretsAccess(secrets: Record<string, string>): Permission[] {
  const arns = Object.values(secrets);
  const of = (service: string) => [...new Set(arns.filter((a) => a.split(":")[2] === service).map((a) => a.split(":").slice(0, 7).join(":")))].sort();
  return [
    { actions: ["ssm:GetParameters"], resources: of("ssm") },
    { actions: ["secretsmanager:GetSecretValue"], resources: of("secretsmanager") },
  ].filter((p) => p.resources.length > 0);
}

const desired = (spec: DesiredStack) => ({
  trustedServices: [ECS_TASKS], policies: [executionPolicyArn(spec.region)], secretsAccess: secretsAccess(spec.app.secrets), tags: { ...stackTags(spec, KEY), [TAG_REGION]: spec.region },
});
type Want = ReturnType<typeof desired>;
type Attrs = { trustedServices: string[]; policies: string[]; secretsAccess: Permission[]; tags: Tags };
type Out = { roleArn: string; roleName: string; secretsPolicy?: string };

/** The outputs, with the secrets policy's name while the role has one (so it is read back once app.secrets is emptied). */
const outputsOf = (arn: string, name: string, access: Permission[]): Out =>
  ({ roleArn: arn, roleName: name, ...(access.length > 0 ? { secretsPolicy: SECRETS_POLICY } : {}) });

async function setPolicies(ctx: Ctx, role: string, want: string[], have: string[]) {
  for (const arn of want.filter((a) => !have.includes(a))) await ctx.aws.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
  // Already detached (a retried call whose first answer was lost) is detached.
  for (const arn of have.filter((a) => !want.includes(a))) await ignoreNotFound(() => ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn })));
}

export const executionRole: StackResource<Want, Attrs, Out> = {
  key: KEY,
  kind: "iam:role",
  // IAM refuses to delete a role with attached policies; a retried CreateRole whose answer was lost.
  inUse: hasCode("DeleteConflict"),
  alreadyExists: hasCode("EntityAlreadyExists"),
  title: (spec) => `IAM task execution role ${names(spec).executionRole}`,
  desired,
  async observe(ctx, prior) {
    const role = await findOwnRole(ctx, ctx.names.executionRole, ctx.names.legacyExecutionRole, prior);
    if (!role) return undefined;
    const name = role.name;
    const attached = await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    // Read only for a stack that has (or had) secrets: a no-op up of any other stack pays no extra call.
    const had = Object.keys(ctx.spec.app.secrets).length > 0 || prior?.outputs.secretsPolicy !== undefined;
    const access = had ? await readInlinePolicy(ctx.aws, name, SECRETS_POLICY) ?? [] : [];
    return {
      id: name,
      state: "ready",
      attrs: { trustedServices: role.trustedServices, policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(), secretsAccess: access, tags: role.tags },
      outputs: outputsOf(role.arn, name, access),
    };
  },
  async create(ctx, want) {
    const name = ctx.names.executionRole;
    const arn = await createRole(ctx.aws, name, ECS_TASKS, `ECS task execution role for ${ctx.spec.appName}`, want.tags);
    await setPolicies(ctx, name, want.policies, []);
    if (want.secretsAccess.length > 0) await writeInlinePolicy(ctx.aws, name, SECRETS_POLICY, want.secretsAccess);
    return { id: name, outputs: outputsOf(arn, name, want.secretsAccess) };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await resetTrust(ctx.aws, live.id, ECS_TASKS);
    if (changed.includes("policies")) await setPolicies(ctx, live.id, want.policies, live.attrs.policies);
    if (changed.includes("secretsAccess")) await writeInlinePolicy(ctx.aws, live.id, SECRETS_POLICY, want.secretsAccess);
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
    return outputsOf(live.outputs.roleArn, live.id, want.secretsAccess);
  },
  async delete(ctx, live) {
    await setPolicies(ctx, live.id, [], live.attrs.policies ?? []);
    // Always: a state file lost after app.secrets was emptied still leaves no inline policy to block DeleteRole.
    await writeInlinePolicy(ctx.aws, live.id, SECRETS_POLICY, []);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
