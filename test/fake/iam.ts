/** IAM: role names unique, a role with attached policies cannot be deleted, NoSuchEntity as the SDK names it. */
import * as IAM from "@aws-sdk/client-iam";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, TAG_RULES, toUpper, type Service, type Tags } from "./common.js";

/** `inline`: inline policies by name (PutRolePolicy), their documents as sent. */
export interface Role { name: string; arn: string; trust: string; policies: Set<string>; inline: Record<string, string>; tags: Tags; createdAt?: number }

/**
 * How long a new role stays unusable by the services that assume it: IAM is eventually consistent, changes reach
 * every endpoint within seconds ("Changes that I make are not always immediately visible",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
 * Long enough here that a product must retry past the 10 s progress line.
 */
export const IAM_PROPAGATION_MS = 15_000;

/** Whether a service can assume role `arn` now: it exists and its creation has propagated. */
export const roleAssumable = (fake: FakeAws, arn: string | undefined): boolean => {
  const role = [...fake.iam.roles.values()].find((r) => r.arn === arn);
  return !!role && !(fake.clock.now() - (role.createdAt ?? -Infinity) < IAM_PROPAGATION_MS);
};
export interface IamState { roles: Map<string, Role>; serviceLinkedRoles: Set<string> }

export const emptyIam = (): IamState => ({ roles: new Map(), serviceLinkedRoles: new Set() });

export function iamService(fake: FakeAws): Service<typeof IAM> {
  const roles = () => fake.iam.roles;
  const get = (name: string | undefined) => {
    const r = roles().get(name ?? "");
    if (!r) throw awsError("NoSuchEntityException", `The role with name ${name} cannot be found.`);
    return r;
  };
  // GetRole answers the trust policy URL-encoded: https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
  const shape = (r: Role) => ({ RoleName: r.name, Arn: r.arn, AssumeRolePolicyDocument: encodeURIComponent(r.trust), Tags: toUpper(r.tags), Path: "/", RoleId: "AROA", CreateDate: new Date(0) });
  return {
    client: IAM.IAMClient,
    sdk: IAM,
    reads: {
      // ECS's service-linked role (path /aws-service-role/ecs.amazonaws.com/) exists in every account that used
      // ECS; a new account has it only once ECS or CreateServiceLinkedRole made it
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html).
      GetRole: (i) => {
        if (i.RoleName === "AWSServiceRoleForECS" && (!fake.newAccount || fake.iam.serviceLinkedRoles.has("ecs.amazonaws.com"))) {
          return { Role: { RoleName: i.RoleName, Arn: `arn:${fake.partition}:iam::${fake.account}:role/aws-service-role/ecs.amazonaws.com/${i.RoleName}`, Path: "/aws-service-role/ecs.amazonaws.com/", RoleId: "AROASLR", CreateDate: new Date(0) } };
        }
        return { Role: shape(get(i.RoleName)) };
      },
      // PolicySourceArn is a user, group or role, never a session's sts ARN; one result per action, "allowed",
      // "implicitDeny" or "explicitDeny"; 100 results a page unless MaxItems says otherwise, then IsTruncated and
      // Marker (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html).
      // The caller's policies are modelled only as the actions they leave out (`deniedActions`), and those they
      // allow under a condition (`conditionalActions`): with no context entry for a key the condition reads, the
      // simulator answers implicitDeny and lists the key in MissingContextValues, for a simulation on "*"
      // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html; "the simulator cannot
      // evaluate a condition without its value": https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html).
      SimulatePrincipalPolicy: (i) => {
        const source = i.PolicySourceArn ?? "";
        if (!new RegExp(`^arn:${fake.partition}:iam::\\d{12}:(user|group|role)/`).test(source)) throw awsError("InvalidInputException", `Invalid ARN: ${source}`);
        if (source !== fake.callerArn && ![...roles().values()].some((r) => r.arn === source)) throw awsError("NoSuchEntityException", `The entity ${source} cannot be found.`);
        const start = Number(i.Marker ?? 0);
        const end = start + (i.MaxItems ?? 100);
        const given = new Set((i.ContextEntries ?? []).map((c) => c.ContextKeyName));
        const results = (i.ActionNames ?? []).map((action) => {
          const missing = (fake.conditionalActions[action] ?? []).filter((k) => !given.has(k));
          const denied = fake.deniedActions.includes(action) || missing.length > 0;
          return { EvalActionName: action, EvalResourceName: "*", EvalDecision: denied ? "implicitDeny" : "allowed", ...(missing.length ? { MissingContextValues: missing } : {}) };
        });
        return { EvaluationResults: results.slice(start, end), IsTruncated: end < results.length, ...(end < results.length ? { Marker: String(end) } : {}) };
      },
      // The document comes back URL-encoded: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html
      GetRolePolicy: (i) => {
        const doc = get(i.RoleName).inline[i.PolicyName!];
        if (doc === undefined) throw awsError("NoSuchEntityException", `The role policy with name ${i.PolicyName} cannot be found.`);
        return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(doc) };
      },
      ListRolePolicies: (i) => ({ PolicyNames: Object.keys(get(i.RoleName).inline) }),
      ListAttachedRolePolicies: (i) => ({ AttachedPolicies: [...get(i.RoleName).policies].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split("/").pop() })) }),
    },
    writes: {
      CreateRole: (i) => {
        const name = i.RoleName!;
        if (roles().has(name)) throw awsError("EntityAlreadyExistsException", `Role with name ${name} already exists.`);
        const r: Role = { name, arn: `arn:${fake.partition}:iam::${fake.account}:role/${name}`, trust: i.AssumeRolePolicyDocument!, policies: new Set(), inline: {}, tags: checkTags(TAG_RULES.iam, {}, fromUpper(i.Tags)), createdAt: fake.clock.now() };
        roles().set(name, r);
        return { Role: shape(r) };
      },
      UpdateAssumeRolePolicy: (i) => { get(i.RoleName).trust = i.PolicyDocument!; },
      // A managed policy ARN of another partition names no policy here (NoSuchEntity, API_AttachRolePolicy).
      AttachRolePolicy: (i) => {
        if (!i.PolicyArn!.startsWith(`arn:${fake.partition}:`)) throw awsError("NoSuchEntityException", `Policy ${i.PolicyArn} does not exist or is not attachable.`);
        get(i.RoleName).policies.add(i.PolicyArn!);
      },
      PutRolePolicy: (i) => { get(i.RoleName).inline[i.PolicyName!] = i.PolicyDocument!; },
      DeleteRolePolicy: (i) => {
        const r = get(i.RoleName);
        if (!(i.PolicyName! in r.inline)) throw awsError("NoSuchEntityException", `The role policy with name ${i.PolicyName} cannot be found.`);
        delete r.inline[i.PolicyName!];
      },
      DetachRolePolicy: (i) => {
        if (!get(i.RoleName).policies.delete(i.PolicyArn!)) throw awsError("NoSuchEntityException", `Policy ${i.PolicyArn} was not found.`);
      },
      // A second call for the same service answers InvalidInput "... has been taken in this account"
      // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html; aws-cdk#21379).
      CreateServiceLinkedRole: (i) => {
        const service = i.AWSServiceName!;
        const name = service === "ecs.amazonaws.com" ? "AWSServiceRoleForECS" : `AWSServiceRoleFor${service.split(".")[0]}`;
        if (fake.iam.serviceLinkedRoles.has(service)) throw awsError("InvalidInputException", `Service role name ${name} has been taken in this account, please try a different suffix.`);
        fake.iam.serviceLinkedRoles.add(service);
        return { Role: { RoleName: name, Arn: `arn:${fake.partition}:iam::${fake.account}:role/aws-service-role/${service}/${name}`, Path: `/aws-service-role/${service}/`, RoleId: "AROASLR", CreateDate: new Date(0) } };
      },
      TagRole: (i) => { const r = get(i.RoleName); Object.assign(r.tags, checkTags(TAG_RULES.iam, r.tags, fromUpper(i.Tags))); },
      UntagRole: (i) => { const r = get(i.RoleName); for (const k of i.TagKeys ?? []) delete r.tags[k]; },
      DeleteRole: (i) => {
        const r = get(i.RoleName);
        // https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html: attached and inline policies go first.
        if (r.policies.size) throw awsError("DeleteConflictException", "Cannot delete entity, must detach all policies first.");
        if (Object.keys(r.inline).length) throw awsError("DeleteConflictException", "Cannot delete entity, must delete policies first.");
        roles().delete(r.name);
      },
    },
  };
}
