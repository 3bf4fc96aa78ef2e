import { DeleteRoleCommand, DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { createRole, findOwnRole, resetTrust } from "../aws/iam.js";
import { syncTags, type Tags } from "../aws/tags.js";
import { stackTags } from "../config/names.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";
import { dbInstance } from "./db-instance.js";
import { ecsService } from "./ecs-service.js";

const KEY = "iam-scheduler-role";
const POLICY_NAME = "sleep-and-wake";
const SCHEDULER = "scheduler.amazonaws.com";

/** What the schedules call, and nothing else: the service's desired count, and stopping/starting this one DB instance. */
const permissions = (ref: RefFn) => [
  { actions: ["ecs:UpdateService"], resources: [ref(ecsService).serviceArn] },
  { actions: ["rds:StartDBInstance", "rds:StopDBInstance"], resources: [ref(dbInstance).arn] },
];
type Permission = ReturnType<typeof permissions>[number];

const desired = (spec: DesiredStack, ref: RefFn) => ({ trustedServices: [SCHEDULER], permissions: permissions(ref), tags: stackTags(spec, KEY) });
type Want = ReturnType<typeof desired>;
type Attrs = { trustedServices: string[]; permissions?: Permission[]; tags: Tags };

const policyDocument = (ps: Permission[]) => JSON.stringify({
  Version: "2012-10-17",
  Statement: ps.map((p) => ({ Effect: "Allow", Action: p.actions, Resource: p.resources })),
});

/** The inline policy reduced to what it allows, so formatting differences (a string for a one-item list) are not drift. */
const permissionsOf = (doc: string): Permission[] =>
  ([JSON.parse(decodeURIComponent(doc)).Statement ?? []].flat() as { Effect: string; Action: string | string[]; Resource: string | string[] }[])
    .filter((s) => s.Effect === "Allow")
    .map((s) => ({ actions: [s.Action].flat().sort(), resources: [s.Resource].flat().sort() }));

const putPolicy = (ctx: Ctx, role: string, ps: Permission[]) =>
  ctx.aws.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: POLICY_NAME, PolicyDocument: policyDocument(ps) }));

/** The role EventBridge Scheduler assumes to run the sleep and wake calls (universal targets, no Lambda). */
export const schedulerRole: StackResource<Want, Attrs, { roleArn: string; roleName: string }> = {
  key: KEY,
  kind: "iam:role",
  // IAM refuses to delete a role that still has inline policies; a retried CreateRole whose answer was lost.
  inUse: hasCode("DeleteConflict"),
  alreadyExists: hasCode("EntityAlreadyExists"),
  title: (spec) => `IAM scheduler role ${spec.appName}-scheduler`,
  desired,
  async observe(ctx) {
    const name = ctx.names.schedulerRole;
    const role = await findOwnRole(ctx, name);
    if (!role) return undefined;
    const policy = await absentIfNotFound(() => ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: POLICY_NAME })));
    return {
      id: name,
      state: "ready",
      attrs: {
        trustedServices: role.trustedServices,
        ...(policy?.PolicyDocument ? { permissions: permissionsOf(policy.PolicyDocument) } : {}),
        tags: role.tags,
      },
      outputs: { roleArn: role.arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.schedulerRole;
    const arn = await createRole(ctx.aws, name, SCHEDULER, `EventBridge Scheduler: sleeps and wakes ${ctx.spec.appName}`, want.tags);
    await putPolicy(ctx, name, want.permissions);
    return { id: name, outputs: { roleArn: arn, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await resetTrust(ctx.aws, live.id, SCHEDULER);
    // PutRolePolicy replaces the whole inline policy: idempotent.
    if (changed.includes("permissions")) await putPolicy(ctx, live.id, want.permissions);
    if (changed.includes("tags")) await syncTags(ctx.aws, "iam", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: live.id, PolicyName: POLICY_NAME })));
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
