import type { AnyResource } from "../engine/types.js";
import type { Ctx, DesiredStack } from "../resources/context.js";
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

export type StackResourceOfAnyKind = AnyResource<Ctx, DesiredStack>;

/** Added to the registry's list for a spec with a `schedule`, or while AWS may still hold them (the state file records them). */
export const SCHEDULING: readonly StackResourceOfAnyKind[] = [scheduleGroup, schedulerRole, ...schedules];

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

/** The resources a stack with this spec has: the scheduling ones when it has a schedule, or had one that `up`/`down` must still remove. */
export function resourcesFor(all: readonly StackResourceOfAnyKind[], spec: Pick<DesiredStack, "schedule">, recorded: (key: string) => boolean): StackResourceOfAnyKind[] {
  const listed = new Set(all.map((r) => r.key));
  return [...all, ...SCHEDULING.filter((r) => !listed.has(r.key) && (spec.schedule || recorded(r.key)))];
}
