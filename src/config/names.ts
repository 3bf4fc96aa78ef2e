import { createHash } from "node:crypto";
import { limitViolation, type LimitKind } from "./limits.js";
import type { Spec } from "./schema.js";

/** A deterministic idempotency token for `seed`, as long as the call's documented limit allows. */
const clientToken = (seed: string, max: number) => createHash("sha256").update(seed).digest("hex").slice(0, max);

/**
 * The partition every ARN of a region starts with: `aws-cn` in China, `aws-us-gov` in GovCloud, `aws` elsewhere
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html, "partition").
 */
export const partitionOf = (region: string): string => (region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws");

/** The one container of the task definition: the service's load balancer block and deploy find it by this name. */
export const CONTAINER = "web";

/** The image tag a fresh stack points at until the first `deploy`: nobody pushes it, so it is never mistaken for a release. */
export const FIRST_DEPLOY_TAG = "awaiting-first-deploy";
export const awaitingFirstDeploy = (image: string) => image.endsWith(`:${FIRST_DEPLOY_TAG}`);

/**
 * Every AWS name and tag the stack uses, derived here only. IAM role names are account-wide while a stack is
 * regional: they carry the region, so a stack of the same appName in another region never shares one.
 */
export function names(spec: Pick<Spec, "appName" | "region">) {
  const app = spec.appName;
  return {
    app,
    cluster: app,
    service: app,
    taskFamily: app,
    container: CONTAINER,
    ecrRepository: app,
    logGroup: `/ecs/${app}`,
    executionRole: `${app}-${spec.region}-ecs-execution`,
    /** EventBridge Scheduler: the tagged group that holds the stack's schedules (schedules take no tags), and the role they run as. */
    scheduleGroup: `${app}-sleep`,
    schedulerRole: `${app}-${spec.region}-scheduler`,
    /** The role names before they carried the region: a stack whose state names one keeps it (src/aws/iam.ts). */
    legacyExecutionRole: `${app}-ecs-execution`,
    legacySchedulerRole: `${app}-scheduler`,
    schedule: (action: string, i: number) => `${app}-${action}-${i + 1}`,
    dbInstance: `${app}-db`,
    dbSubnetGroup: `${app}-db-subnets`,
    alb: `${app}-alb`,
    targetGroup: `${app}-tg`,
    finalSnapshot: (at: Date) => `${app}-final-${at.toISOString().replace(/[-:T]/g, "").slice(0, 14)}`,
    /** Taken before a change that needs a new DB instance; the new one is restored from it where RDS allows. */
    replaceSnapshot: (at: Date) => `${app}-before-replace-${at.toISOString().replace(/[-:T]/g, "").slice(0, 14)}`,
    resourceName: (key: string) => resourceName(spec, key),
    /** RunTask's startedBy allows no spaces: "spontime-infra run" would be refused. */
    startedBy: "spontime-infra/run",
    /** CreateService's token: a retried create of the same service (same revision) is the same request. */
    serviceClientToken: (taskDefinition: string) => clientToken(`${app}:${taskDefinition}`, 32),
    /** CreateRouteTable's token: per VPC, so a new stack's table is a new request while a retried create is not. */
    routeTableClientToken: (vpcId: string) => clientToken(`${app}:route-table-public:${vpcId}`, 64),
    /** RunTask's token: one per run, so a retry after a lost response starts no second task. */
    runClientToken: (runId: string) => clientToken(`${app}:run:${runId}`, 64),
    /** RequestCertificate's IdempotencyToken (\w{1,32}): a retried request for this stack's domain returns the same certificate. */
    /**
     * One token per request intent (`at`: when this run decided to request): the SDK's retries of that call share
     * it, while a later request for the same domain (after the certificate was deleted) must not, or ACM answers it,
     * within the hour, with the deleted certificate (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
     */
    certificateToken: (domain: string, at: number) => clientToken(`${app}:certificate:${domain}:${at}`, 32),
    /** The state object's key in an S3 state bucket when the spec names none. */
    stateKey: `spontime-infra/${app}.json`,
  };
}

/** Every generated name and identifier with the limit it must meet: checked when the spec loads (exit 2). The user's own tags are checked by the schema. */
export function generatedNames(spec: Pick<Spec, "appName" | "region">): [LimitKind, string][] {
  const n = names(spec);
  // Our tags, with a real resource key, and the record of the most user keys a spec may have.
  // Stryker disable next-line StringLiteral: the user keys' values are left out below, and another resource key only shortens values that fit
  const tags = Object.entries(withUserKeys(stackTags({ appName: spec.appName, tags: Object.fromEntries(Array.from({ length: MAX_USER_TAGS }, (_, i) => [`k${i}`, ""])) }, "target-group")))
    .filter(([k]) => !isUserTagKey(k));
  return [
    ["elbName", n.alb], ["elbName", n.targetGroup], ["iamRoleName", n.executionRole], ["iamRoleName", n.schedulerRole],
    ["rdsInstanceId", n.dbInstance], ["rdsFinalSnapshotId", n.finalSnapshot(new Date(0))], ["rdsSubnetGroupName", n.dbSubnetGroup],
    ["logGroupName", n.logGroup], ["ecsName", n.cluster], ["ecsName", n.service], ["ecsName", n.taskFamily], ["ecsName", n.container],
    ["ecrRepositoryName", n.ecrRepository], ["startedBy", n.startedBy],
    // Stryker disable next-line StringLiteral: any seed gives a token of the same length and alphabet
    ["serviceClientToken", n.serviceClientToken("x")], ["runTaskClientToken", n.runClientToken("x")], ["ec2ClientToken", n.routeTableClientToken("vpc-x")],
    ...tags.map(([k]): [LimitKind, string] => ["tagKey", k]), ...tags.map(([, v]): [LimitKind, string] => ["tagValue", v]),
  ];
}

/** What breaks a limit among the generated names, in words; empty when all fit. */
export const nameViolations = (spec: Pick<Spec, "appName" | "region">): string[] =>
  generatedNames(spec).flatMap(([kind, value]) => limitViolation(kind, value) ?? []);

/**
 * The app's URL, derived here only: its domain once the HTTPS listener serves it (plain HTTP then only
 * redirects), else the ALB's name; none without an ALB.
 */
export const appUrl = (https: { domain: string } | undefined, httpsServes: boolean, albDns: string | undefined): string | undefined =>
  https && httpsServes ? `https://${https.domain}` : albDns ? `http://${albDns}` : undefined;

export const TAG_STACK = "spontime:stack";
export const TAG_RESOURCE = "spontime:resource";
export const TAG_MANAGED_BY = "ManagedBy";
export const MANAGED_BY = "spontime-infra";
/**
 * A record of the user tag keys the tool set, so that a key removed from the spec is removed from AWS as well
 * (and a key someone else added never is). Bookkeeping: never in a plan, a diff or status.
 */
export const TAG_USER_KEYS = "spontime:user-tags";
/** On the ECS service while the stack sleeps: "asleep" is then a fact AWS holds, not only the state file. */
export const TAG_ASLEEP = "spontime:asleep";
/** On account-wide resources (IAM roles): the region of the stack that owns it, since legacy names do not say. */
export const TAG_REGION = "spontime:region";
/** On the DB instance (and copied to its snapshots): which password it was given, as a hash (src/resources/db-instance.ts). */
export const TAG_PASSWORD_HASH = "spontime:password-hash";
/**
 * On what a retried create can make twice (EC2's VPC, gateway, route table: no idempotency token), set at create
 * and never changed: `<time>/<run id>` of the run that made it. A copy is provably a run's own lost-response copy
 * only by this tag; not compared (a later run never rewrites it), so not among the keys below.
 */
export const TAG_CREATED_BY = "spontime:created-by";
/** Keys the tool sets whatever the spec says; a user tag may not use them. */
export const TOOL_TAG_KEYS = ["Name", TAG_STACK, TAG_RESOURCE, TAG_MANAGED_BY, TAG_ASLEEP, TAG_REGION];
/** A key of the user's (spec.tags): any but ours ("spontime:" is refused in a user key by the schema). */
export const isUserTagKey = (key: string) => !key.startsWith("spontime:") && !TOOL_TAG_KEYS.includes(key);

/**
 * How many tags the spec may ask for. Every kind this stack tags takes 50 per resource, "aws:" tags apart (EC2,
 * IAM, ELB, RDS, ECS, ECR, Logs, Scheduler, ACM: README "Tags"); ours take at most 6 on one resource: Name, the
 * stack, the resource, ManagedBy, the record of user keys, and one of the DB's password hash, the service's asleep
 * mark, an IAM role's region or an EC2 item's created-by (the max-tags test in test/tags.test.ts fails when a resource gets more).
 */
export const MAX_USER_TAGS = 50 - 6;

/**
 * A user key's mark in TAG_USER_KEYS: 5 base64url characters of its SHA-256 (30 bits), so 44 keys take 220
 * characters. The keys themselves could not fit one tag value (255 characters; a key up to 127), and any
 * separator between them would be a character a key may contain.
 */
const userKeyMark = (key: string) => createHash("sha256").update(key).digest("base64url").slice(0, 5);

/** `tags` with the record of its user keys, as every write of a resource's tags sends them. */
export function withUserKeys(tags: Record<string, string>): Record<string, string> {
  const marks = Object.keys(tags).filter(isUserTagKey).map(userKeyMark).sort().join("");
  return marks ? { ...tags, [TAG_USER_KEYS]: marks } : tags;
}

/** Whether `key` is a user key the tool set, by the record on the resource (written by 0.1.0 and earlier: the key itself, the only one a spec could have). */
export function recordedUserKey(record: string | undefined, key: string): boolean {
  if (!record) return false;
  if (record === key) return true;
  const mark = userKeyMark(key);
  // Stryker disable next-line EqualityOperator: one step more reads "" past the end, which no 5-character mark equals
  for (let i = 0; i < record.length; i += 5) if (record.slice(i, i + 5) === mark) return true;
  return false;
}

/** The Name tag of a resource: `<app>-<key>`. */
const resourceName = (spec: Pick<Spec, "appName">, key: string) => `${spec.appName}-${key}`;

/** The tags every resource gets at create time and keeps, user tags first so ours win. */
export function stackTags(spec: Pick<Spec, "appName" | "tags">, resourceKey: string): Record<string, string> {
  return {
    ...spec.tags,
    Name: resourceName(spec, resourceKey),
    [TAG_STACK]: spec.appName,
    [TAG_RESOURCE]: resourceKey,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}
