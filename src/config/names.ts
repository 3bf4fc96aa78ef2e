import type { Spec } from "./schema.js";

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
  };
}

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
