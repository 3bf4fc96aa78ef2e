import {
  AttachRolePolicyCommand, CreateRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { UserError } from "../errors.js";
import type { Aws, SendOptions } from "./clients.js";
import { absentIfNotFound, codeSaying, ignoreNotFound } from "./errors.js";
import { TAG_REGION } from "../config/names.js";
import { assertOurs, ownedTags, tagList, tagMap, type Tags } from "./tags.js";

type RoleCtx = { aws: Aws; spec: { appName: string; region: string; tags: Tags } };

/** A trust policy letting one AWS service assume the role. */
const trustPolicy = (service: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

type TrustStatement = { Effect?: string; Action?: string | string[]; Principal?: { Service?: string | string[] } };

/** The trust policy reduced to who may assume the role, so formatting differences are not drift. */
export const trustedServices = (doc: { Statement?: TrustStatement[] }): string[] =>
  (doc.Statement ?? [])
    .filter((s) => s.Effect === "Allow" && [s.Action].flat().includes("sts:AssumeRole"))
    .flatMap((s) => [s.Principal?.Service ?? []].flat())
    .sort();

type OwnRole = { name: string; arn: string; trustedServices: string[]; tags: Tags };

/** Role `name` with its trust and owned tags; refused (assertOurs) when not tagged for this stack. */
async function readRole(ctx: RoleCtx, name: string): Promise<OwnRole | undefined> {
  const role = (await absentIfNotFound(() => ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
  if (!role?.Arn) return undefined;
  const tags = tagMap(role.Tags);
  assertOurs("IAM role", name, tags, ctx.spec.appName);
  return { name, arn: role.Arn, trustedServices: trustedServices(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? "{}"))), tags: ownedTags(tags, ctx.spec) };
}

/**
 * The stack's role: `name` (which carries the region), or `legacy`, its name before names carried the region,
 * while the stack still uses that one. IAM is account-wide, so a legacy role is this stack's only when proven
 * for this region: the state file of this region names it (or, found without state, its region tag says so),
 * and its region tag, once set, is this region. The first `up` after the upgrade sets the tag (a plan line), so
 * a legacy role two regions used to share stays with the first that claims it; the other then makes its own
 * role, and neither's `down` deletes the other's (issue 23).
 */
export async function findOwnRole(ctx: RoleCtx & { notices: string[] }, name: string, legacy: string, prior: { id: string } | undefined): Promise<OwnRole | undefined> {
  const named = prior?.id === legacy;
  if (!named) {
    const role = await readRole(ctx, name);
    if (role || prior) return role;
  }
  // Found without state, a role of that name tagged for another stack is simply not this one's.
  const old = await readRole(ctx, legacy).catch((e) => { if (named || !(e instanceof UserError)) throw e; });
  const region = old?.tags[TAG_REGION];
  if (old && (region === ctx.spec.region || (named && region === undefined))) return old;
  if (old && named) {
    const notice = `Left IAM role ${legacy}: the ${ctx.spec.appName} stack in ${region} uses it; this stack gets its own, ${name}.`;
    if (!ctx.notices.includes(notice)) ctx.notices.push(notice);
  }
  return undefined;
}

/**
 * Each service's own answer while a role made a moment ago cannot be assumed yet: IAM is eventually consistent
 * ("Changes that I make are not always immediately visible",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
 * EventBridge Scheduler: ValidationException "The execution role you provide must allow AWS EventBridge Scheduler
 * to assume the role" (aws/aws-sdk-js-v3#6494, a role created just before). ECS: InvalidParameterException
 * "Unable to assume role" (as for its service-linked role on a new account).
 */
const NOT_ASSUMABLE_YET = {
  scheduler: codeSaying("ValidationException", /assume the role/i),
  ecs: codeSaying("InvalidParameterException", /role|assume/i),
};

/** How long a call that passes a role keeps retrying its service's "cannot assume it yet" answer. */
const ROLE_PROPAGATION_MS = 2 * 60_000;

/**
 * The send options of every call that passes a role (a schedule's target role, a service's roles): the service's
 * "cannot assume it yet" answer is retried for up to 2 minutes, saying so at least every 10 s.
 */
export const passingRole = (service: keyof typeof NOT_ASSUMABLE_YET): SendOptions => ({
  retryIf: NOT_ASSUMABLE_YET[service], deadlineMs: ROLE_PROPAGATION_MS, waitingFor: "an IAM role made a moment ago is not usable yet (IAM propagates changes within seconds to minutes)",
});

/** Creates role `name` that `service` may assume, tagged; returns its ARN. */
export async function createRole(aws: Aws, name: string, service: string, description: string, tags: Tags): Promise<string> {
  const out = await aws.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy(service), Description: description, Tags: tagList(tags) }));
  return out.Role!.Arn!;
}

/** Puts back the trust policy letting `service` (only) assume role `name`. */
export const resetTrust = (aws: Aws, name: string, service: string) =>
  aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: trustPolicy(service) }));

/** One Allow statement of an inline policy: actions on resources. */
export interface Permission { actions: string[]; resources: string[] }

const policyDocument = (ps: Permission[]) => JSON.stringify({
  Version: "2012-10-17",
  Statement: ps.map((p) => ({ Effect: "Allow", Action: p.actions, Resource: p.resources })),
});

/** The inline policy reduced to what it allows, so formatting differences (a string for a one-item list) are not drift. */
const permissionsOf = (doc: string): Permission[] =>
  ([JSON.parse(decodeURIComponent(doc)).Statement ?? []].flat() as { Effect: string; Action: string | string[]; Resource: string | string[] }[])
    .filter((s) => s.Effect === "Allow")
    .map((s) => ({ actions: [s.Action].flat().sort(), resources: [s.Resource].flat().sort() }));

/** Role `role`'s inline policy `policy` as what it allows, or undefined when it has none of that name. */
export async function readInlinePolicy(aws: Aws, role: string, policy: string): Promise<Permission[] | undefined> {
  const out = await absentIfNotFound(() => aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policy })));
  return out?.PolicyDocument ? permissionsOf(out.PolicyDocument) : undefined;
}

/** Sets role `role`'s inline policy `policy` to `ps` (PutRolePolicy replaces the whole document: idempotent), or removes it when `ps` is empty. */
export async function writeInlinePolicy(aws: Aws, role: string, policy: string, ps: Permission[]): Promise<void> {
  if (ps.length > 0) await aws.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policy, PolicyDocument: policyDocument(ps) }));
  // Already deleted (a retried call whose first answer was lost) is deleted.
  else await ignoreNotFound(() => aws.iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policy })));
}

/** The managed policies attached to role `name`, by ARN, sorted. */
export async function attachedPolicies(aws: Aws, name: string): Promise<string[]> {
  return ((await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort();
}

/** The names of role `name`'s inline policies, sorted: one added by hand grants what the stack never asked for. */
export async function inlinePolicyNames(aws: Aws, name: string): Promise<string[]> {
  return ((await aws.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? []).sort();
}

/** Attaches what `want` adds and detaches what it lacks; already detached (a retried call) is detached. */
export async function setAttachedPolicies(aws: Aws, role: string, want: readonly string[], have: readonly string[]): Promise<void> {
  for (const arn of want.filter((a) => !have.includes(a))) await aws.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
  for (const arn of have.filter((a) => !want.includes(a))) await ignoreNotFound(() => aws.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn })));
}

/** Deletes the inline policies named (IAM refuses to delete a role that has any); already gone is deleted. */
export async function deleteInlinePolicies(aws: Aws, role: string, names: readonly string[]): Promise<void> {
  for (const policy of names) await ignoreNotFound(() => aws.iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policy })));
}
