import { DeleteRoleCommand } from "@aws-sdk/client-iam";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import {
  attachedPolicies, createRole, deleteInlinePolicies, findOwnRole, inlinePolicyNames, readInlinePolicy, resetTrust, setAttachedPolicies, writeInlinePolicy, type Permission,
} from "../aws/iam.js";
import { syncTags, type Tags } from "../aws/tags.js";
import { names, partitionOf, stackTags, TAG_REGION } from "../config/names.js";
import type { DesiredStack, StackResource } from "./context.js";

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

// The managed execution policy, and the secrets policy only while app.secrets names any: no other inline policy
// (one added by hand would let every task's agent do more).
const desired = (spec: DesiredStack) => {
  const access = secretsAccess(spec.app.secrets);
  return {
    trustedServices: [ECS_TASKS], policies: [executionPolicyArn(spec.region)], inlinePolicies: access.length > 0 ? [SECRETS_POLICY] : [], secretsAccess: access,
    tags: { ...stackTags(spec, KEY), [TAG_REGION]: spec.region },
  };
};
type Want = ReturnType<typeof desired>;
type Attrs = { trustedServices: string[]; policies: string[]; inlinePolicies: string[]; secretsAccess: Permission[]; tags: Tags };
type Out = { roleArn: string; roleName: string };

export const executionRole: StackResource<Want, Attrs, Out> = {
  key: KEY,
  kind: "iam:role",
  client: "iam",
  tagging: "iam",
  actions: {
    observe: ["iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy"],
    create: ["iam:CreateRole", "iam:AttachRolePolicy"],
    update: ["iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"],
    delete: ["iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
  },
  optionalActions: { when: (spec) => Object.keys(spec.app?.secrets ?? {}).length > 0, says: "with `app.secrets`", actions: { create: ["iam:PutRolePolicy"], update: ["iam:PutRolePolicy"] } },
  ignored: {
    "path, description, maximum session duration, permissions boundary": "a boundary only narrows what the role may do; the others change nothing the tasks rely on",
  },
  // IAM refuses to delete a role with attached policies; a retried CreateRole whose answer was lost.
  inUse: hasCode("DeleteConflict"),
  alreadyExists: hasCode("EntityAlreadyExists"),
  title: (spec) => `IAM task execution role ${names(spec).executionRole}`,
  desired,
  async observe(ctx, prior) {
    const role = await findOwnRole(ctx, ctx.names.executionRole, ctx.names.legacyExecutionRole, prior);
    if (!role) return undefined;
    const name = role.name;
    const [policies, inlinePolicies] = await Promise.all([attachedPolicies(ctx.aws, name), inlinePolicyNames(ctx.aws, name)]);
    // The secrets policy is read only where the role has one: a no-op up of a stack without secrets pays nothing more.
    const access = inlinePolicies.includes(SECRETS_POLICY) ? await readInlinePolicy(ctx.aws, name, SECRETS_POLICY) ?? [] : [];
    return {
      id: name,
      state: "ready",
      attrs: { trustedServices: role.trustedServices, policies, inlinePolicies, secretsAccess: access, tags: role.tags },
      outputs: { roleArn: role.arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.executionRole;
    const arn = await createRole(ctx.aws, name, ECS_TASKS, `ECS task execution role for ${ctx.spec.appName}`, want.tags);
    await setAttachedPolicies(ctx.aws, name, want.policies, []);
    if (want.secretsAccess.length > 0) await writeInlinePolicy(ctx.aws, name, SECRETS_POLICY, want.secretsAccess);
    return { id: name, outputs: { roleArn: arn, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await resetTrust(ctx.aws, live.id, ECS_TASKS);
    if (changed.includes("policies")) await setAttachedPolicies(ctx.aws, live.id, want.policies, live.attrs.policies);
    // The secrets policy is written (or deleted) as secretsAccess says; any other inline policy is deleted.
    if (changed.includes("secretsAccess") || changed.includes("inlinePolicies")) await writeInlinePolicy(ctx.aws, live.id, SECRETS_POLICY, want.secretsAccess);
    if (changed.includes("inlinePolicies")) await deleteInlinePolicies(ctx.aws, live.id, live.attrs.inlinePolicies.filter((p) => p !== SECRETS_POLICY));
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await setAttachedPolicies(ctx.aws, live.id, [], live.attrs.policies ?? []);
    // Every inline policy (the secrets one always: IAM refuses to delete a role that still has one).
    await deleteInlinePolicies(ctx.aws, live.id, [...new Set([SECRETS_POLICY, ...(live.attrs.inlinePolicies ?? [])])]);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
