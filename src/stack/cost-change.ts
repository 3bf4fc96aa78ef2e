import type { Spec } from "../config/schema.js";
import { monthlyOf, type Billed } from "../cost/estimate.js";
import type { Plan } from "../engine/plan.js";
import { dbInstance } from "../resources/db-instance.js";
import { ecsService } from "../resources/ecs-service.js";
import { loadBalancer } from "../resources/load-balancer.js";
import { schedules } from "../resources/schedules.js";
import { taskDefinition } from "../resources/task-definition.js";

/** The monthly list-price estimate of the stack before and after a plan; null where a price is missing. */
export interface CostChange { before: number | null; after: number | null }

type Billing = {
  /** The estimate's lines it bills for: none while the plan still has to create it. */
  part?: Billed;
  /** Sets the spec value a field comes from to what AWS has now (the field's `before` in the plan). */
  fields?: Record<string, (spec: Spec, before: unknown) => void>;
  /** What the spec has that does not exist yet while the plan still has to create it. */
  absent?: (spec: Spec) => void;
};

/**
 * The resources that bill, and which spec value each billed field comes from. The estimate prices the stack
 * awake: a service at 0 tasks (asleep, or no image yet) keeps the spec's count, as `cost` does.
 */
const BILLING: Record<string, Billing> = {
  [loadBalancer.key]: { part: "load balancer" },
  [taskDefinition.key]: {
    fields: {
      cpu: (s, v) => { s.app.cpu = Number(v); },
      memory: (s, v) => { s.app.memory = Number(v); },
      architecture: (s, v) => { s.app.architecture = v as Spec["app"]["architecture"]; },
    },
  },
  [ecsService.key]: {
    part: "service",
    fields: {
      desiredCount: (s, v) => { if (Number(v) > 0) s.app.desiredCount = Number(v); },
      capacity: (s, v) => { if (v === "FARGATE" || v === "FARGATE_SPOT") s.app.capacity = v; },
    },
  },
  [dbInstance.key]: {
    part: "database",
    fields: {
      instanceClass: (s, v) => { s.database.instanceClass = String(v); },
      allocatedStorage: (s, v) => { s.database.allocatedStorage = Number(v); },
      storageType: (s, v) => { s.database.storageType = v as Spec["database"]["storageType"]; },
    },
  },
  // Without its schedules the stack runs around the clock.
  ...Object.fromEntries(schedules.map((r) => [r.key, { absent: (s: Spec) => { delete s.schedule; } }])),
};

/**
 * What the stack costs a month now and once `plan` is applied: "after" is the spec's estimate; "before" is the
 * same spec with each billed field as AWS has it (the plan's `before`), without what the plan creates.
 */
export function costChange(spec: Spec, plan: Plan): CostChange {
  const before = structuredClone(spec);
  const present = new Set<Billed>(["load balancer", "service", "database"]);
  for (const ch of plan.changes) {
    const billing = BILLING[ch.key];
    if (!billing) continue;
    if (ch.action === "create") {
      if (billing.part) present.delete(billing.part);
      billing.absent?.(before);
    } else {
      for (const d of ch.diffs) if (d.before !== undefined) billing.fields?.[d.field]?.(before, d.before);
    }
  }
  return { before: monthlyOf(before, present), after: monthlyOf(spec, new Set(["load balancer", "service", "database"])) };
}
