import type { AnyResource, Outputs, RefFn } from "../engine/types.js";
import { certificate } from "../resources/certificate.js";
import { certificateValidation } from "../resources/certificate-validation.js";
import { aliasRecord, validationRecord } from "../resources/dns-record.js";
import { httpsListener } from "../resources/https-listener.js";
import type { Ctx, DesiredStack } from "../resources/context.js";
import type { KindDeclaration } from "../resources/kind.js";
import { dbInstance } from "../resources/db-instance.js";
import { dbSubnetGroup } from "../resources/db-subnet-group.js";
import { ecrRepository } from "../resources/ecr-repository.js";
import { ecsCluster } from "../resources/ecs-cluster.js";
import { ecsService } from "../resources/ecs-service.js";
import { executionRole } from "../resources/iam-role.js";
import { internetGateway } from "../resources/internet-gateway.js";
import { listener } from "../resources/listener.js";
import { loadBalancer } from "../resources/load-balancer.js";
import { logGroup } from "../resources/log-group.js";
import { routeTable } from "../resources/route-table.js";
import { scheduleGroup } from "../resources/schedule-group.js";
import { schedulerRole } from "../resources/scheduler-role.js";
import { schedules } from "../resources/schedules.js";
import { secrets } from "../resources/secrets.js";
import { albGroup, ecsGroup, rdsGroup } from "../resources/security-group.js";
import { privateSubnets, publicSubnets } from "../resources/subnet.js";
import { targetGroup } from "../resources/target-group.js";
import { taskDefinition } from "../resources/task-definition.js";
import { vpc } from "../resources/vpc.js";

/** A resource of any kind with its kind's declaration (src/resources/kind.ts). */
export type StackResourceOfAnyKind = AnyResource<Ctx, DesiredStack> & KindDeclaration;

/**
 * The registry: every resource of the seed design, with the two-AZ changes real AWS demands (see README).
 * Order does not matter (the engine orders by the references each resource reads); a new kind is one line here.
 */
export const RESOURCES: readonly StackResourceOfAnyKind[] = [
  vpc,
  internetGateway,
  ...publicSubnets,
  ...privateSubnets,
  routeTable,
  albGroup,
  ecsGroup,
  rdsGroup,
  secrets,
  executionRole,
  logGroup,
  ecrRepository,
  dbSubnetGroup,
  dbInstance,
  loadBalancer,
  targetGroup,
  listener,
  ecsCluster,
  taskDefinition,
  ecsService,
];

/** The spec as the conditions read it (the permission lists ask with a partial one). */
export type SpecFeatures = { schedule?: unknown; https?: unknown; hostedZone?: unknown };

/** When a spec wants an optional kind, and how the README says it. */
export interface Condition { when(spec: SpecFeatures): boolean; says: string }

const withSchedule: Condition = { when: (spec) => !!spec.schedule, says: "with a `schedule` in the spec" };
const withHttps: Condition = { when: (spec) => !!spec.https, says: "with `https` in the spec" };
const withHostedZone: Condition = { when: (spec) => !!spec.https && !!spec.hostedZone, says: "with `https` and its domain's zone in Route 53" };

/** Kinds only some specs want, each with its condition: one line each. */
export const OPTIONAL: readonly (readonly [StackResourceOfAnyKind, Condition])[] = [
  [scheduleGroup, withSchedule],
  [schedulerRole, withSchedule],
  ...schedules.map((s) => [s, withSchedule] as const),
  [certificate, withHttps],
  [certificateValidation, withHttps],
  [httpsListener, withHttps],
  [validationRecord, withHostedZone],
  [aliasRecord, withHostedZone],
];

/** Every kind a stack can hold. */
export const ALL_RESOURCES: readonly StackResourceOfAnyKind[] = [...RESOURCES, ...OPTIONAL.map(([r]) => r)];

const conditions = new Map(OPTIONAL.map(([r, when]) => [r.key, when]));

/** The resources this spec wants, out of `all`. */
export const wantedBy = (spec: DesiredStack, all: readonly StackResourceOfAnyKind[]) => all.filter((r) => conditions.get(r.key)?.when(spec) ?? true);

/** What AWS may hold of the stack, as far as the state file knows before a run. */
export interface Recorded {
  /** The state file records this kind: an earlier spec made it. */
  has(key: string): boolean;
  /** The state file records no resource at all: a first run, or a lost state file. */
  readonly nothing: boolean;
}

/**
 * The kinds a run looks for at AWS, out of `all`: every kind the spec wants, and an optional kind it does not
 * want only where AWS may still hold one: the state file records it (an earlier spec made it: `up` deletes it),
 * or the state file records nothing (a lost state file: what an earlier spec made is found by its tags and
 * deleted, or adopted). So a no-op `up` of a stack that never had https or a schedule sends no ACM, Route 53 or
 * Scheduler read. `everyKind` (`down`) looks for all of them: `down` deletes everything tagged for the stack.
 */
export function toObserve(all: readonly StackResourceOfAnyKind[], spec: DesiredStack, recorded: Recorded, everyKind = false): StackResourceOfAnyKind[] {
  if (everyKind || recorded.nothing) return [...all];
  return all.filter((r) => (conditions.get(r.key)?.when(spec) ?? true) || recorded.has(r.key));
}

const outside: Outputs = {};

/**
 * Some resources as a graph of their own, for deleting only them: references to resources outside the set are
 * dropped (those stay, so nothing needs ordering against them), edges inside it keep dependents first.
 */
export function onlyAmong(subset: readonly StackResourceOfAnyKind[]): StackResourceOfAnyKind[] {
  const keys = new Set(subset.map((r) => r.key));
  return subset.map((r) => ({
    ...r,
    after: r.after?.filter((a) => keys.has(a.key)),
    desired: (spec: DesiredStack, ref: RefFn) => r.desired(spec, ((d: { key: string }) => (keys.has(d.key) ? ref(d as never) : outside)) as RefFn),
  }));
}
