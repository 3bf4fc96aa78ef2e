import { createHash } from "node:crypto";
import { limitViolation, type LimitKind } from "./limits.js";
import type { Spec } from "./schema.js";

/** A deterministic idempotency token for `seed`, as long as the call's documented limit allows. */
const clientToken = (seed: string, max: number) => createHash("sha256").update(seed).digest("hex").slice(0, max);

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
    certificateToken: (domain: string) => clientToken(`${app}:certificate:${domain}`, 32),
    /** The state object's key in an S3 state bucket when the spec names none. */
    stateKey: `spontime-infra/${app}.json`,
  };
}

/** Every generated name and identifier with the limit it must meet: checked when the spec loads (exit 2). */
export function generatedNames(spec: Pick<Spec, "appName" | "region" | "tags">): [LimitKind, string][] {
  const n = names(spec);
  const tags = Object.entries(stackTags(spec, "target-group")); // the user's tags and ours, with a real resource key
  return [
    ["elbName", n.alb], ["elbName", n.targetGroup], ["iamRoleName", n.executionRole], ["iamRoleName", n.schedulerRole],
    ["rdsInstanceId", n.dbInstance], ["rdsFinalSnapshotId", n.finalSnapshot(new Date(0))], ["rdsSubnetGroupName", n.dbSubnetGroup],
    ["logGroupName", n.logGroup], ["ecsName", n.cluster], ["ecsName", n.service], ["ecsName", n.taskFamily], ["ecsName", n.container],
    ["ecrRepositoryName", n.ecrRepository], ["startedBy", n.startedBy],
    ["serviceClientToken", n.serviceClientToken("x")], ["runTaskClientToken", n.runClientToken("x")], ["ec2ClientToken", n.routeTableClientToken("vpc-x")],
    ...tags.map(([k]): [LimitKind, string] => ["tagKey", k]), ...tags.map(([, v]): [LimitKind, string] => ["tagValue", v]),
  ];
}

/** What breaks a limit among the generated names, in words; empty when all fit. */
export const nameViolations = (spec: Pick<Spec, "appName" | "region" | "tags">): string[] =>
  generatedNames(spec).flatMap(([kind, value]) => limitViolation(kind, value) ?? []);

export const TAG_STACK = "spontime:stack";
export const TAG_RESOURCE = "spontime:resource";
export const TAG_MANAGED_BY = "ManagedBy";
export const MANAGED_BY = "spontime-infra";
/** The user tag keys the tool set, so that a key removed from the spec is removed from AWS as well. */
export const TAG_USER_KEYS = "spontime:user-tags";
/** On the ECS service while the stack sleeps: "asleep" is then a fact AWS holds, not only the state file. */
export const TAG_ASLEEP = "spontime:asleep";
/** On account-wide resources (IAM roles): the region of the stack that owns it, since legacy names do not say. */
export const TAG_REGION = "spontime:region";
/** On the DB instance (and copied to its snapshots): which password it was given, as a hash (src/resources/db-instance.ts). */
export const TAG_PASSWORD_HASH = "spontime:password-hash";
/** Every tag key the tool owns whatever the spec says. */
export const TOOL_TAG_KEYS = ["Name", TAG_STACK, TAG_RESOURCE, TAG_MANAGED_BY, TAG_USER_KEYS, TAG_ASLEEP, TAG_REGION];

/** The Name tag of a resource: `<app>-<key>`. */
const resourceName = (spec: Pick<Spec, "appName">, key: string) => `${spec.appName}-${key}`;

/** The tags every resource gets at create time and keeps, user tags first so ours win. */
export function stackTags(spec: Pick<Spec, "appName" | "tags">, resourceKey: string): Record<string, string> {
  const userKeys = Object.keys(spec.tags).sort();
  return {
    ...spec.tags,
    Name: resourceName(spec, resourceKey),
    [TAG_STACK]: spec.appName,
    [TAG_RESOURCE]: resourceKey,
    [TAG_MANAGED_BY]: MANAGED_BY,
    ...(userKeys.length ? { [TAG_USER_KEYS]: userKeys.join(",") } : {}),
  };
}
