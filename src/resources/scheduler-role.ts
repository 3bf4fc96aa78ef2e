import { DeleteRoleCommand } from "@aws-sdk/client-iam";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import {
  attachedPolicies, createRole, deleteInlinePolicies, findOwnRole, inlinePolicyNames, readInlinePolicy, resetTrust, setAttachedPolicies, writeInlinePolicy, type Permission,
} from "../aws/iam.js";
import { syncTags, type Tags } from "../aws/tags.js";
import { names, stackTags, TAG_REGION } from "../config/names.js";
import type { RefFn } from "../engine/types.js";
import type { DesiredStack, StackResource } from "./context.js";
import { dbInstance } from "./db-instance.js";
import { ecsService } from "./ecs-service.js";

const KEY = "iam-scheduler-role";
const POLICY_NAME = "sleep-and-wake";
const SCHEDULER = "scheduler.amazonaws.com";

/** What the schedules call, and nothing else: the service's desired count, and stopping/starting this one DB instance. */
const permissions = (ref: RefFn): Permission[] => [
  { actions: ["ecs:UpdateService"], resources: [ref(ecsService).serviceArn] },
  { actions: ["rds:StartDBInstance", "rds:StopDBInstance"], resources: [ref(dbInstance).arn] },
];

// Its own inline policy and nothing else: no managed policy, no other inline one (added by hand, either would let
// the schedules do more than sleep and wake this stack).
const desired = (spec: DesiredStack, ref: RefFn) => ({
  trustedServices: [SCHEDULER], permissions: permissions(ref), policies: [] as string[], inlinePolicies: [POLICY_NAME],
  tags: { ...stackTags(spec, KEY), [TAG_REGION]: spec.region },
});
type Want = ReturnType<typeof desired>;
type Attrs = { trustedServices: string[]; permissions?: Permission[]; policies: string[]; inlinePolicies: string[]; tags: Tags };

/** The role EventBridge Scheduler assumes to run the sleep and wake calls (universal targets, no Lambda). */
export const schedulerRole: StackResource<Want, Attrs, { roleArn: string; roleName: string }> = {
  key: KEY,
  kind: "iam:role",
  client: "iam",
  tagging: "iam",
  actions: {
    observe: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"],
    create: ["iam:CreateRole", "iam:PutRolePolicy"],
    update: ["iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy"],
    delete: ["iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:DeleteRole"],
  },
  ignored: {
    "path, description, maximum session duration, permissions boundary": "a boundary only narrows what the role may do; the others change nothing the schedules rely on",
  },
  // IAM refuses to delete a role that still has inline policies; a retried CreateRole whose answer was lost.
  inUse: hasCode("DeleteConflict"),
  alreadyExists: hasCode("EntityAlreadyExists"),
  title: (spec) => `IAM scheduler role ${names(spec).schedulerRole}`,
  desired,
  async observe(ctx, prior) {
    const role = await findOwnRole(ctx, ctx.names.schedulerRole, ctx.names.legacySchedulerRole, prior);
    if (!role) return undefined;
    const name = role.name;
    const [policy, policies, inlinePolicies] = await Promise.all([readInlinePolicy(ctx.aws, name, POLICY_NAME), attachedPolicies(ctx.aws, name), inlinePolicyNames(ctx.aws, name)]);
    return {
      id: name,
      state: "ready",
      attrs: {
        trustedServices: role.trustedServices,
        ...(policy ? { permissions: policy } : {}),
        policies, inlinePolicies,
        tags: role.tags,
      },
      outputs: { roleArn: role.arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.schedulerRole;
    const arn = await createRole(ctx.aws, name, SCHEDULER, `EventBridge Scheduler: sleeps and wakes ${ctx.spec.appName}`, want.tags);
    await writeInlinePolicy(ctx.aws, name, POLICY_NAME, want.permissions);
    return { id: name, outputs: { roleArn: arn, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await resetTrust(ctx.aws, live.id, SCHEDULER);
    if (changed.includes("permissions") || changed.includes("inlinePolicies")) await writeInlinePolicy(ctx.aws, live.id, POLICY_NAME, want.permissions);
    if (changed.includes("inlinePolicies")) await deleteInlinePolicies(ctx.aws, live.id, live.attrs.inlinePolicies.filter((p) => p !== POLICY_NAME));
    if (changed.includes("policies")) await setAttachedPolicies(ctx.aws, live.id, want.policies, live.attrs.policies);
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await setAttachedPolicies(ctx.aws, live.id, [], live.attrs.policies ?? []);
    await deleteInlinePolicies(ctx.aws, live.id, [...new Set([POLICY_NAME, ...(live.attrs.inlinePolicies ?? [])])]);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
