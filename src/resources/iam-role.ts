import {
  AttachRolePolicyCommand, CreateRoleCommand, DeleteRoleCommand, DetachRolePolicyCommand, GetRoleCommand,
  ListAttachedRolePoliciesCommand, UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { absentIfNotFound, ignoreNotFound } from "../aws/ec2.js";
import type { Ctx, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromKeyValueTags, keyValueTags } from "./owned.js";

const KEY = "iam-execution-role";
export const EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const TRUST = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] };

/** The trust policy reduced to who may assume the role, so formatting differences are not drift. */
const trustedServices = (doc: unknown): string[] =>
  ((doc as typeof TRUST).Statement ?? [])
    .filter((s) => s.Effect === "Allow" && [s.Action].flat().includes("sts:AssumeRole"))
    .flatMap((s) => [s.Principal?.Service ?? []].flat())
    .sort();

const desired = (_spec: Target) => ({ trustedServices: ["ecs-tasks.amazonaws.com"], policies: [EXECUTION_POLICY_ARN] });
type Want = ReturnType<typeof desired>;

async function setPolicies(ctx: Ctx, role: string, want: string[], have: string[]) {
  for (const arn of want.filter((a) => !have.includes(a))) await ctx.aws.iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
  for (const arn of have.filter((a) => !want.includes(a))) await ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
}

export const executionRole: Resource<Want> = {
  key: KEY,
  kind: "iam:role",
  dependsOn: [],
  title: (spec) => `IAM task execution role ${spec.appName}-ecs-execution`,
  desired,
  async observe(ctx, prior) {
    const name = ctx.names.executionRole;
    const role = (await absentIfNotFound(() => ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
    if (!role?.Arn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `IAM role ${name}`, name, async () => fromKeyValueTags(role.Tags));
    const attached = await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    return {
      id: name,
      attrs: {
        trustedServices: trustedServices(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? "{}"))),
        policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
      },
      outputs: { roleArn: role.Arn, roleName: name },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.executionRole;
    const out = await ctx.aws.iam.send(new CreateRoleCommand({
      RoleName: name, AssumeRolePolicyDocument: JSON.stringify(TRUST), Description: `ECS task execution role for ${ctx.spec.appName}`,
      Tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    await setPolicies(ctx, name, want.policies, []);
    return { id: name, outputs: { roleArn: out.Role!.Arn!, roleName: name } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("trustedServices")) await ctx.aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: live.id, PolicyDocument: JSON.stringify(TRUST) }));
    if (changed.includes("policies")) await setPolicies(ctx, live.id, want.policies, live.attrs.policies as string[]);
  },
  async delete(ctx, live) {
    // IAM refuses to delete a role with attached policies (DeleteConflict).
    await setPolicies(ctx, live.id, [], (live.attrs.policies as string[]) ?? []);
    await ignoreNotFound(() => ctx.aws.iam.send(new DeleteRoleCommand({ RoleName: live.id })));
  },
};
