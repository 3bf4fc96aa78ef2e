import { DescribeVpcsCommand } from "@aws-sdk/client-ec2";
import { GetRoleCommand, SimulatePrincipalPolicyCommand, type EvaluationResult } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ciPolicy } from "../app/ci-policy.js";
import type { Aws } from "../aws/clients.js";
import { describeAwsError, errorCode, isNotFound } from "../aws/errors.js";
import { specWarnings } from "../config/warnings.js";
import { mapLimit } from "../engine/graph.js";
import type { Plan } from "../engine/plan.js";
import { UserError } from "../errors.js";
import { vpc } from "../resources/vpc.js";
import { planActions, stackActions } from "./permissions.js";
import type { Stack } from "./stack.js";

/**
 * The preflight: what would otherwise fail minutes into a run (a missing permission, a full VPC quota, a DB
 * class no AZ offers, a name someone else holds), each said with why it would fail and what to do.
 */
export type Severity = "ok" | "warning" | "error";
export interface Finding { check: string; status: Severity; message: string; hint: string | null }

const found = (check: string, status: Severity, message: string, hint: string | null = null): Finding => ({ check, status, message, hint });

/** AWS's default "VPCs per Region" (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html); only Service Quotas reads a raised one. */
export const DEFAULT_VPC_QUOTA = 5;

const SKIP = "`up --skip-preflight` runs without these checks";

interface Caller { account: string; arn: string }

/** Who is calling: GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). */
async function caller(aws: Aws): Promise<Caller> {
  const out = await (await aws.sts()).send(new GetCallerIdentityCommand({}));
  return { account: out.Account!, arn: out.Arn! };
}

const isRoot = (arn: string) => /^arn:[\w-]+:iam::\d+:root$/.test(arn);

function identity(who: Caller): Finding {
  if (isRoot(who.arn)) return found("credentials", "warning", `account ${who.account} as its root user`, "AWS advises against the root user for daily work: use an IAM user or role (e.g. `aws sso login`)");
  return found("credentials", "ok", `account ${who.account} as ${who.arn}`);
}

/**
 * The user or role whose policies decide the caller's calls. SimulatePrincipalPolicy takes a user, group or
 * role ARN, not a session's (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html):
 * a role session is simulated as its role, whose ARN carries a path (SSO's /aws-reserved/...) only GetRole tells.
 */
async function principal(aws: Aws, arn: string): Promise<string | undefined> {
  if (/^arn:[\w-]+:iam::\d+:user\//.test(arn)) return arn;
  const role = /^arn:[\w-]+:sts::\d+:assumed-role\/([^/]+)\//.exec(arn)?.[1];
  return role ? (await aws.iam.send(new GetRoleCommand({ RoleName: role }))).Role?.Arn : undefined;
}

/** The results for the actions the principal's policies do not plainly allow, page by page (100 results a page by default). */
async function notAllowed(aws: Aws, source: string, actions: string[]): Promise<EvaluationResult[]> {
  const refused: EvaluationResult[] = [];
  let Marker: string | undefined;
  do {
    const page = await aws.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: source, ActionNames: actions, Marker }));
    refused.push(...(page.EvaluationResults ?? []).filter((r) => r.EvalDecision !== "allowed"));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return refused;
}

export interface PermissionSet { check: string; run: string; actions: string[]; severity: Severity; listedIn: string }

/** What `up` and `down` need (an error if missing), and what `deploy` needs (the CI policy's actions: a warning). */
export const permissionSets = (stack: Stack): PermissionSet[] => [
  { check: "permissions", run: "up/down", actions: stackActions(stack.spec), severity: "error", listedIn: "the README's \"AWS permissions\" lists them all" },
  { check: "permissions-deploy", run: "deploy", actions: [...new Set(ciPolicy(stack.spec).Statement.flatMap((s) => s.Action))], severity: "warning", listedIn: "`spontime-infra ci-policy` prints a policy with them" },
];

async function permissions(aws: Aws, who: Caller, sets: PermissionSet[]): Promise<Finding[]> {
  if (isRoot(who.arn)) return sets.map((s) => found(s.check, "ok", "the root user is allowed everything"));
  let source: string | undefined;
  try {
    source = await principal(aws, who.arn);
    if (!source) return sets.map((s) => found(s.check, "warning", `could not check: ${who.arn} is neither an IAM user nor a role session`, "the README's \"AWS permissions\" lists what the run needs"));
    return await Promise.all(sets.map(async (s) => {
      const results = await notAllowed(aws, source!, s.actions);
      // An action allowed only under a condition the simulation has no value for (a tag, the requested region)
      // comes back implicitDeny with the keys in MissingContextValues: the simulator could not tell, so we cannot
      // either (https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html).
      const unsure = results.filter((r) => r.EvalDecision === "implicitDeny" && r.MissingContextValues?.length);
      const refused = results.filter((r) => !unsure.includes(r));
      const keys = [...new Set(unsure.flatMap((r) => r.MissingContextValues ?? []))].join(", ");
      const notChecked = unsure.length ? `could not check ${unsure.map((r) => r.EvalActionName).join(", ")} (condition on ${keys})` : "";
      if (!refused.length) {
        if (!unsure.length) return found(s.check, "ok", `${source} may call the ${s.actions.length} actions ${s.run} needs`);
        return found(s.check, "warning", `${source} may call ${s.actions.length - unsure.length} of the ${s.actions.length} actions ${s.run} needs; ${notChecked}`,
          `its policy allows them only under a condition the simulator has no value for: if the stack's calls meet it (e.g. the resources carry the tag it names) nothing is missing; ${s.listedIn}`);
      }
      const list = refused.map((r) => `${r.EvalActionName}${r.EvalDecision === "explicitDeny" ? " (explicitly denied)" : ""}`).join(", ");
      return found(s.check, s.severity,
        `${refused.length} action(s) ${s.run} needs are not allowed for ${source}: ${list}; ${s.run} would stop with AccessDenied at the first of them, part-way through${notChecked ? `; also ${notChecked}` : ""}`,
        `add them to its policy (${s.listedIn}). The simulator asks about every resource ("*"): a policy granting them only on this stack's resources looks the same${s.severity === "error" ? `: if so, ${SKIP}` : ""}`);
    }));
  } catch (e) {
    const why = /AccessDenied|UnauthorizedOperation/.test(errorCode(e))
      ? `${who.arn} may not call iam:${source ? "SimulatePrincipalPolicy" : "GetRole"}`
      : describeAwsError("the policy simulation", e);
    return sets.map((s) => found(s.check, "warning", `could not check the permissions ${s.run} needs: ${why}`, "allow iam:SimulatePrincipalPolicy (and iam:GetRole for a role's session) to have them checked"));
  }
}

/** Only a new VPC counts against the region's quota; EC2 answers VpcLimitExceeded at CreateVpc otherwise. */
async function vpcQuota(aws: Aws, region: string, createsVpc: boolean): Promise<Finding> {
  if (!createsVpc) return found("vpc-quota", "ok", "the stack's VPC exists: no VPC to add");
  const count = (await aws.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
  if (count + 1 <= DEFAULT_VPC_QUOTA) return found("vpc-quota", "ok", `${count} VPC(s) in ${region}, AWS's default quota is ${DEFAULT_VPC_QUOTA}: room for the stack's one`);
  return found("vpc-quota", "error",
    `${region} already has ${count} VPC(s) and AWS's default quota is ${DEFAULT_VPC_QUOTA} per region: CreateVpc would fail with VpcLimitExceeded`,
    `delete an unused VPC, pick another region, or ask for more (Service Quotas → Amazon VPC → "VPCs per Region"); if yours was raised already, ${SKIP}`);
}

/** No call: nothing in the stack takes an Elastic IP, so that quota cannot stop it. */
const elasticIps = (): Finding => found("elastic-ips", "ok",
  "the stack allocates no Elastic IP: its public IPv4 addresses (the ALB's, one per AZ, and the task's) are assigned by AWS, outside the Elastic IP quota (each costs $0.005/h, see `cost`)");

/** ECS makes its service-linked role on first use, and the first cluster of an account can fail meanwhile. */
async function ecsServiceLinkedRole(aws: Aws): Promise<Finding> {
  const check = "ecs-service-linked-role";
  try {
    await aws.iam.send(new GetRoleCommand({ RoleName: "AWSServiceRoleForECS" }));
    return found(check, "ok", "AWSServiceRoleForECS exists");
  } catch (e) {
    if (isNotFound(e)) return found(check, "warning", "AWSServiceRoleForECS does not exist yet (a new account): the first cluster fails until it does", "nothing to do if the caller may call iam:CreateServiceLinkedRole: `up` creates it first");
    return found(check, "warning", `could not check: ${describeAwsError("GetRole AWSServiceRoleForECS", e)}`, null);
  }
}

/** The AZs `up` would use: the spec's are checked against where RDS offers the DB class, or two are chosen (azs.ts). */
async function zones(stack: Stack): Promise<Finding> {
  try {
    await stack.connect();
  } catch (e) {
    if (e instanceof UserError) return found("availability-zones", "error", `${e.message}: CreateDBInstance would fail with InsufficientDBInstanceCapacity minutes in`, e.hint ?? null);
    throw e;
  }
  const [a, b] = stack.spec.availabilityZones;
  const unchecked = stack.azsUnchecked;
  if (unchecked) return found("availability-zones", "warning", `${a} and ${b}, not checked: ${unchecked.why}`, unchecked.hint);
  return found("availability-zones", "ok", `${a} (task and ${stack.spec.database.instanceClass} DB) and ${b}`);
}

/**
 * Every resource read as `up` would: one that carries a stack's name but not its tag is refused there (assertOurs);
 * here each is reported, not only the first. Also tells whether the stack's VPC exists.
 */
async function ownership(stack: Stack): Promise<{ findings: Finding[]; hasVpc: boolean }> {
  const seen = await stack.ctx.reads.during(() => mapLimit(stack.resources, stack.concurrency, async (r) => {
    const title = r.title(stack.spec);
    try {
      return { key: r.key, live: await r.observe(stack.ctx, stack.state.data.resources[r.key]) };
    } catch (e) {
      if (e instanceof UserError) return { key: r.key, finding: found("ownership", "error", `${title}: ${e.message}`, e.hint ?? null) };
      return { key: r.key, finding: found("ownership", "error", describeAwsError(`could not read ${title}`, e), "see the permissions finding; run with --debug for each call") };
    }
  }));
  const findings = seen.flatMap((s) => (s.finding ? [s.finding] : []));
  return {
    findings: findings.length ? findings : [found("ownership", "ok", `none of the stack's ${stack.resources.length} resources is held by something else`)],
    hasVpc: !!seen.find((s) => s.key === vpc.key)?.live,
  };
}

/**
 * What `up` and `down` check before their first change (AZs and ownership they already checked while reading
 * the stack): the actions of the plan that will run, not of the spec (removing `https` deletes the certificate,
 * `down` deletes whatever it found), and the VPC quota when the plan adds a VPC.
 */
export async function preflight(stack: Stack, plan: Plan): Promise<Finding[]> {
  const who = await caller(stack.aws);
  const run = plan.mode === "down" ? "down" : "up";
  const planSet: PermissionSet = { check: "permissions", run, actions: planActions(plan, stack.spec, stack.all), severity: "error", listedIn: "the README's \"AWS permissions\" lists them all" };
  const createsVpc = plan.changes.some((ch) => ch.key === vpc.key && ch.action === "create");
  return [identity(who), ...(await permissions(stack.aws, who, [planSet])), ...(createsVpc ? [await vpcQuota(stack.aws, stack.spec.region, true)] : [])];
}

/** Every check; bad or missing credentials are a UserError (exit 2), as for every command. */
export async function doctor(stack: Stack, env: NodeJS.ProcessEnv): Promise<Finding[]> {
  await stack.aws.checkCredentials(env);
  const who = await caller(stack.aws);
  const az = await zones(stack);
  const owned = await ownership(stack);
  const [perms, quota, role] = await Promise.all([
    permissions(stack.aws, who, permissionSets(stack)),
    vpcQuota(stack.aws, stack.spec.region, !owned.hasVpc),
    ecsServiceLinkedRole(stack.aws),
  ]);
  const settings = specWarnings(stack.spec, stack.ctx.clock.now()).map((w) => found(w.check, "warning", w.message, w.hint ?? null));
  return [identity(who), ...perms, az, quota, elasticIps(), role, ...owned.findings, ...settings];
}
