import { createHash } from "node:crypto";
import { limitViolation, type LimitKind } from "./limits.js";
import type { Spec } from "./schema.js";

/** A deterministic idempotency token for `seed`, as long as the call's documented limit allows. */
const clientToken = (seed: string, max: number) => createHash("sha256").update(seed).digest("hex").slice(0, max);

/** Every AWS name and tag the stack uses, derived here only. */
export function names(spec: Pick<Spec, "appName">) {
  const app = spec.appName;
  return {
    app,
    cluster: app,
    service: app,
    taskFamily: app,
    container: "web",
    ecrRepository: app,
    logGroup: `/ecs/${app}`,
    executionRole: `${app}-ecs-execution`,
    dbInstance: `${app}-db`,
    dbSubnetGroup: `${app}-db-subnets`,
    alb: `${app}-alb`,
    targetGroup: `${app}-tg`,
    finalSnapshot: (at: Date) => `${app}-final-${at.toISOString().replace(/[-:T]/g, "").slice(0, 14)}`,
    resourceName: (key: string) => `${app}-${key}`,
    /** RunTask's startedBy allows no spaces: "spontime-infra run" would be refused. */
    startedBy: "spontime-infra/run",
    /** CreateService's token: a retried create of the same service (same revision) is the same request. */
    serviceClientToken: (taskDefinition: string) => clientToken(`${app}:${taskDefinition}`, 32),
    /** RunTask's token: one per run, so a retry after a lost response starts no second task. */
    runClientToken: (runId: string) => clientToken(`${app}:run:${runId}`, 64),
    /** The state object's key in an S3 state bucket when the spec names none. */
    stateKey: `spontime-infra/${app}.json`,
  };
}

/** Every generated name and identifier with the limit it must meet: checked when the spec loads (exit 2). */
export function generatedNames(spec: Pick<Spec, "appName" | "tags">): [LimitKind, string][] {
  const n = names(spec);
  const tags = Object.entries(stackTags(spec, "target-group")); // the user's tags and ours, with a real resource key
  return [
    ["elbName", n.alb], ["elbName", n.targetGroup], ["iamRoleName", n.executionRole],
    ["rdsInstanceId", n.dbInstance], ["rdsFinalSnapshotId", n.finalSnapshot(new Date(0))], ["rdsSubnetGroupName", n.dbSubnetGroup],
    ["logGroupName", n.logGroup], ["ecsName", n.cluster], ["ecsName", n.service], ["ecsName", n.taskFamily], ["ecsName", n.container],
    ["ecrRepositoryName", n.ecrRepository], ["startedBy", n.startedBy],
    ["serviceClientToken", n.serviceClientToken("x")], ["runTaskClientToken", n.runClientToken("x")],
    ...tags.map(([k]): [LimitKind, string] => ["tagKey", k]), ...tags.map(([, v]): [LimitKind, string] => ["tagValue", v]),
  ];
}

/** What breaks a limit among the generated names, in words; empty when all fit. */
export const nameViolations = (spec: Pick<Spec, "appName" | "tags">): string[] =>
  generatedNames(spec).flatMap(([kind, value]) => limitViolation(kind, value) ?? []);

export const TAG_STACK = "spontime:stack";
export const TAG_RESOURCE = "spontime:resource";
export const TAG_MANAGED_BY = "ManagedBy";
export const MANAGED_BY = "spontime-infra";

/** The tags every resource gets at create time, user tags first so ours win. */
export function stackTags(spec: Pick<Spec, "appName" | "tags">, resourceKey: string): Record<string, string> {
  return {
    ...spec.tags,
    Name: names(spec).resourceName(resourceKey),
    [TAG_STACK]: spec.appName,
    [TAG_RESOURCE]: resourceKey,
    [TAG_MANAGED_BY]: MANAGED_BY,
  };
}
