import { CreateRoleCommand, DeleteRolePolicyCommand, GetRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import type { Aws } from "./clients.js";
import { absentIfNotFound, ignoreNotFound } from "./errors.js";
import { assertOurs, ownedTags, tagList, tagMap, type Tags } from "./tags.js";

type RoleCtx = { aws: Aws; spec: { appName: string; tags: Tags } };

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

/** The stack's role `name`: its ARN, who may assume it and its owned tags; refused (assertOurs) when not tagged for this stack. */
export async function findOwnRole(ctx: RoleCtx, name: string): Promise<{ arn: string; trustedServices: string[]; tags: Tags } | undefined> {
  const role = (await absentIfNotFound(() => ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
  if (!role?.Arn) return undefined;
  const tags = tagMap(role.Tags);
  assertOurs("IAM role", name, tags, ctx.spec.appName);
  return { arn: role.Arn, trustedServices: trustedServices(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? "{}"))), tags: ownedTags(tags, ctx.spec) };
}

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
