/**
 * How long each phase of an ECS rolling deployment behind an ALB takes, from the settings that govern it.
 * tasks.ts moves tasks and deployments on the clock with these; the benchmark adds them up as the critical
 * path of a deploy. Every figure names its source; the ones AWS does not publish are marked as estimates.
 */

/** The settings a deploy's length depends on: the target group's health check and the image. */
export interface DeploySettings {
  healthyThreshold: number;
  unhealthyThreshold: number;
  intervalSeconds: number;
  deregistrationDelaySeconds: number;
  /** ECS ignores failing ELB checks this long after a task starts (the service's healthCheckGracePeriodSeconds). */
  gracePeriodSeconds: number;
  imageSizeMb: number;
}

/**
 * AWS's defaults for a target group (HealthyThresholdCount 5, UnhealthyThresholdCount 2, interval 30 s:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html;
 * deregistration delay 300 s: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay),
 * and a service without a grace period.
 */
export const AWS_DEFAULTS: Omit<DeploySettings, "imageSizeMb"> = { healthyThreshold: 5, unhealthyThreshold: 2, intervalSeconds: 30, deregistrationDelaySeconds: 300, gracePeriodSeconds: 0 };

/** A Django + GeoDjango image (python slim + GDAL/GEOS/PROJ) as pushed, compressed: an estimate. */
export const DEFAULT_IMAGE_MB = 400;

export const TIMING = {
  /**
   * PROVISIONING: Fargate finds capacity and attaches the task's ENI ("an overhead of several seconds" for
   * awsvpc, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-recommendations.html). Estimate.
   */
  scheduleMs: 10_000,
  /**
   * PENDING, pulling: Fargate caches no image, every task pulls all of it
   * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html). About 50 MB/s
   * with extraction: a 2.7 GB image started in 55 s in https://drorspei.com/2026/01/23/my-fargate-startup-is-slow-an-investigation-into-docker-layer-optimization.
   */
  pullMbPerSecond: 50,
  /** Container created and started until RUNNING, gunicorn and Django booting: an estimate for the example app. */
  containerStartMs: 5_000,
  /**
   * RUNNING until ECS has registered the task's IP in the target group and ELB starts checking it
   * (target state `initial`, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html). Estimate.
   */
  registerMs: 5_000,
  /**
   * The old task gets SIGTERM after draining and stops when gunicorn exits (ECS waits at most stopTimeout,
   * default 30 s: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html). Estimate.
   */
  stopMs: 5_000,
  /** A target turned unhealthy until ECS, which polls target health, starts replacing its task. Estimate. */
  ecsNoticesMs: 5_000,
  /** Old tasks stopped until ECS marks the deployment COMPLETED (the service's steady state). Estimate. */
  completeMs: 5_000,
};

/** The phases of a one-task deploy that replaces a running task, in order, with their lengths. */
export function deployPhases(s: DeploySettings): { phase: string; ms: number }[] {
  return [
    { phase: "scheduling", ms: TIMING.scheduleMs },
    { phase: "image pull", ms: pullMs(s.imageSizeMb) },
    { phase: "container start", ms: TIMING.containerStartMs },
    { phase: "target registration", ms: TIMING.registerMs },
    { phase: "health checks", ms: healthyAfterMs(s) },
    { phase: "deregistration delay", ms: s.deregistrationDelaySeconds * 1000 },
    { phase: "old task stop", ms: TIMING.stopMs },
    { phase: "deployment COMPLETED", ms: TIMING.completeMs },
  ];
}

export const pullMs = (imageSizeMb: number) => Math.round((imageSizeMb / TIMING.pullMbPerSecond) * 1000);

/**
 * A new target is healthy after HealthyThresholdCount passing checks, one per interval
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 */
export const healthyAfterMs = (s: Pick<DeploySettings, "healthyThreshold" | "intervalSeconds">) => s.healthyThreshold * s.intervalSeconds * 1000;

/**
 * A failing target is unhealthy after UnhealthyThresholdCount failed checks; ECS replaces it then, but not
 * within the service's grace period (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html,
 * healthCheckGracePeriodSeconds).
 */
export const unhealthyAfterMs = (s: Pick<DeploySettings, "unhealthyThreshold" | "intervalSeconds">) => s.unhealthyThreshold * s.intervalSeconds * 1000;

/**
 * The circuit breaker fails a deployment after max(3, min(200, 0.5 × desired count)) failed tasks
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html).
 */
export const breakerThreshold = (desiredCount: number) => Math.max(3, Math.min(200, Math.ceil(0.5 * desiredCount)));
