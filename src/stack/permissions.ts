import { TAGGERS } from "../aws/tags.js";
import type { Plan } from "../engine/plan.js";
import { VERBS, type Verb } from "../resources/kind.js";
import { S3_STATE_RUN_ACTIONS } from "../state/s3-permissions.js";
import { ALL_RESOURCES, OPTIONAL, RESOURCES, type SpecFeatures, type StackResourceOfAnyKind } from "./resources.js";

/**
 * The IAM actions the stack needs, derived from the registry: each kind declares what each step of its life
 * calls and how it is tagged (src/resources/kind.ts); nothing here lists a kind's actions again. `doctor`
 * simulates `stackActions` for the caller, `up` and `down` check the actions of their plan before the first
 * change (`planActions`), and the README's "AWS permissions" shows `permissionLines()`; a test drives every
 * command and spec feature on the fake and checks both ways: every call listed, every listed action called.
 */

/** What the spec says that changes the actions: its optional kinds, Spot capacity, the state in S3. */
export type PermissionSpec = SpecFeatures & { app?: { capacity?: string; secrets?: object }; state?: { backend: string } };

/**
 * Calls the stack makes outside any kind's life, with the commands that make them: choosing the AZs (azs.ts),
 * the preflight itself (doctor.ts: its own GetRole for a role's session, the VPC quota), `status`'s target
 * health. GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
const RUN_ACTIONS = [
  "ec2:DescribeAvailabilityZones", "rds:DescribeOrderableDBInstanceOptions",
  "iam:SimulatePrincipalPolicy", "iam:GetRole", "ec2:DescribeVpcs",
  "elasticloadbalancing:DescribeTargetHealth",
  // `up` with no database but snapshots of the stack's offers them; `snapshots` lists and deletes them.
  "rds:DescribeDBSnapshots", "rds:DeleteDBSnapshot",
  // What uses each of two live copies of the network, when `up` finds them (Stack.refuseOtherCopies).
  "ec2:DescribeNetworkInterfaces",
  // The stack-level claim of up, down, sleep and wake (src/state/claim.ts), on /spontime-infra/<app>/claim/*.
  "ssm:PutParameter", "ssm:GetParametersByPath", "ssm:DeleteParameter",
];

/** `connect` looks the domain's zone up in Route 53 (aws/route53.ts) whenever the spec has `https`. */
const HTTPS_RUN_ACTIONS = ["route53:ListHostedZonesByName"];

/** The state in S3: what every run calls (src/state/s3-permissions.ts says why each). */
const S3_STATE_SAYS = "with the state in S3 (`state.backend: \"s3\"`)";

/**
 * One step of one kind: its own actions, tagging's (AWS asks for the tag action when a create call carries
 * tags, and an update may add and remove them), and those of the spec's options it declares.
 */
export function actionsOf(r: StackResourceOfAnyKind, verb: Verb, spec: PermissionSpec): string[] {
  const [add, remove] = r.tagging === "none" ? [] : TAGGERS[r.tagging].actions;
  const tagging = verb === "create" ? [add] : verb === "update" ? [add, remove] : [];
  const optional = r.optionalActions?.when(spec) ? r.optionalActions.actions[verb] ?? [] : [];
  return [...(r.actions[verb] ?? []), ...tagging, ...optional].filter((a): a is string => !!a);
}

const unique = (actions: Iterable<string>) => [...new Set(actions)];
const allSteps = (r: StackResourceOfAnyKind, spec: PermissionSpec) => VERBS.flatMap((v) => actionsOf(r, v, spec));

/**
 * What every stack needs: the whole life of every kind it always holds; for the optional kinds, finding and
 * deleting them (a first run, a lost state file and `down` look for what an earlier spec left, and delete it).
 */
const baseActions = () => unique([
  ...RESOURCES.flatMap((r) => allSteps(r, {})),
  ...OPTIONAL.flatMap(([r]) => [...actionsOf(r, "observe", {}), ...actionsOf(r, "delete", {})]),
  ...RUN_ACTIONS,
]);

/** What a spec feature adds beyond the base, one group per way the README says it. */
function featureGroups(): { says: string; actions: string[] }[] {
  const groups = new Map<string, string[]>();
  const add = (says: string, actions: string[]) => groups.set(says, [...(groups.get(says) ?? []), ...actions]);
  for (const [r, condition] of OPTIONAL) add(condition.says, allSteps(r, {}));
  add(OPTIONAL.find(([, c]) => c.says.startsWith("with `https` in"))![1].says, HTTPS_RUN_ACTIONS);
  for (const r of ALL_RESOURCES) if (r.optionalActions) add(r.optionalActions.says, VERBS.flatMap((v) => r.optionalActions!.actions[v] ?? []));
  add(S3_STATE_SAYS, [...S3_STATE_RUN_ACTIONS]);
  const base = new Set(baseActions());
  return [...groups].map(([says, actions]) => ({ says, actions: unique(actions).filter((a) => !base.has(a)) }));
}

/** Whether the spec has the feature a group of actions is for. */
const has = (spec: PermissionSpec, says: string): boolean => {
  if (says === S3_STATE_SAYS) return spec.state?.backend === "s3";
  const condition = OPTIONAL.find(([, c]) => c.says === says)?.[1];
  if (condition) return condition.when(spec);
  return !!ALL_RESOURCES.find((r) => r.optionalActions?.says === says)?.optionalActions!.when(spec);
};

/** `service:Action` for each action this spec's stack may call: what `doctor` checks. */
export const stackActions = (spec: PermissionSpec): string[] =>
  unique([...baseActions(), ...featureGroups().filter((g) => has(spec, g.says)).flatMap((g) => g.actions)]);

/**
 * The actions the plan that will run calls (the preflight of `up` and `down`): each change's steps, a
 * replacement both, the reads too (the run reads again while it waits). Removing `https` thus asks for
 * acm:DeleteCertificate, and `down` for the delete actions of everything it found, whatever the spec says.
 */
export function planActions(plan: Plan, spec: PermissionSpec, all: readonly StackResourceOfAnyKind[] = ALL_RESOURCES): string[] {
  const byKey = new Map(all.map((r) => [r.key, r]));
  return unique(plan.changes.flatMap((ch) => {
    const r = byKey.get(ch.key);
    if (!r) return [];
    const verbs: Verb[] = ch.action === "noop" ? [] : ch.action === "replace" ? ["create", "delete"] : [ch.action];
    if (ch.duplicates?.length) verbs.push("delete");
    if (!verbs.length) return [];
    return [...actionsOf(r, "observe", spec), ...verbs.flatMap((v) => actionsOf(r, v, spec))];
  }));
}

/** The README's list: one line per service of what every stack needs, then what each spec feature adds. */
export const permissionLines = (): string[] => {
  const byService = (actions: string[]) => {
    const services = new Map<string, string[]>();
    for (const a of actions) {
      const [service, action] = a.split(":") as [string, string];
      services.set(service, [...(services.get(service) ?? []), action]);
    }
    return [...services].map(([service, list]) => [service, list.sort()] as const);
  };
  return [
    ...byService(baseActions()).map(([service, actions]) => `- \`${service}\`: ${actions.join(", ")}`),
    ...featureGroups().flatMap((g) => byService(g.actions).map(([service, actions]) => `- ${g.says}, \`${service}\`: ${actions.join(", ")}`)),
  ];
};
