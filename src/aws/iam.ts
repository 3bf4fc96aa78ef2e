import { CreateRoleCommand, GetRoleCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";
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
