import { CreateServiceCommand, DeleteServiceCommand, UpdateServiceCommand, type Service } from "@aws-sdk/client-ecs";
import { errorCode, ignoreNotFound } from "../aws/errors.js";
import { findService, howItStopped, readRollout, stoppedTasks } from "../aws/ecs.js";
import { passingRole } from "../aws/iam.js";
import { assertOurs, ecsTagList, tagMap, type Tags } from "../aws/tags.js";
import { CONTAINER, awaitingFirstDeploy, TAG_ASLEEP } from "../config/names.js";
import type { LiveState, RefFn, Stored } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { ecsCluster, strategyOf } from "./ecs-cluster.js";
import { listener } from "./listener.js";
import { routeTable } from "./route-table.js";
import { ecsGroup } from "./security-group.js";
import { primarySubnet } from "./subnet.js";
import { targetGroup } from "./target-group.js";
import { taskDefinition } from "./task-definition.js";
import { tagged } from "./tagging.js";

const KEY = "ecs-service";

const desired = (spec: DesiredStack, ref: RefFn) => {
  const td = ref(taskDefinition);
  return {
    cluster: ref(ecsCluster).clusterArn,
    taskDefinition: td.taskDefinitionArn,
    // No image yet, or asleep: zero tasks. A service that can only crash-loop is worse than none.
    desiredCount: spec.asleep.service || awaitingFirstDeploy(td.image) ? 0 : spec.app.desiredCount,
    capacity: spec.app.capacity,
    subnets: [ref(primarySubnet).subnetId],
    securityGroups: [ref(ecsGroup).groupId],
    // No NAT gateway: the task needs a public IP to pull from ECR and ship logs.
    assignPublicIp: "ENABLED",
    loadBalancer: { targetGroupArn: ref(targetGroup).targetGroupArn, containerName: CONTAINER, containerPort: spec.app.containerPort },
    // Covers the app's boot and its first failed checks (2 × 30 s), no more: longer only delays replacing a broken task.
    healthCheckGracePeriodSeconds: spec.app.healthCheckGracePeriodSeconds,
    // Keep the old task serving until the new one is healthy; roll back automatically when it never is.
    deployment: { circuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
    // While asleep the service says so itself: a lost state file must not wake the stack.
    // The stack's tags are added by tagged(); "asleep" is this kind's own.
    tags: (spec.asleep.service && !spec.asleep.bySchedule ? { [TAG_ASLEEP]: "true" } : {}) as Tags,
  };
};
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Omit<{ [K in keyof Want]?: Want[K] }, "tags" | "capacity"> & { capacity?: string; tags: Tags };
type Out = { serviceArn: string; serviceName: string; desiredCount: string; runningCount: string; rolloutState: string };

/**
 * What the service runs on: the one provider its strategy uses, else its launch type (DescribeServices shows
 * one or the other: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html). A strategy
 * spread over several providers (set by hand) shows whole, as drift.
 */
function capacityOf(s: Service): string | undefined {
  const used = (s.capacityProviderStrategy ?? []).filter((i) => (i.weight ?? 0) > 0 || (i.base ?? 0) > 0);
  if (used.length === 0) return s.launchType;
  return used.length === 1 ? used[0]!.capacityProvider : used.map((i) => `${i.capacityProvider} (base ${i.base ?? 0}, weight ${i.weight ?? 0})`).join(" + ");
}
/** On-demand Fargate is created as the FARGATE launch type, as before `app.capacity` existed; Spot needs a strategy. */
const placement = (capacity: string) => (capacity === "FARGATE" ? { launchType: "FARGATE" as const } : { capacityProviderStrategy: strategyOf(capacity) });

const network = (want: Want) => ({ awsvpcConfiguration: { subnets: want.subnets, securityGroups: want.securityGroups, assignPublicIp: want.assignPublicIp as "ENABLED" } });
const deploymentConfiguration = (want: Want) => ({
  deploymentCircuitBreaker: want.deployment.circuitBreaker, minimumHealthyPercent: want.deployment.minimumHealthyPercent, maximumPercent: want.deployment.maximumPercent,
});

/**
 * Where the rollout `up` started stands (`prior.outputs.deploymentId`/`deploymentAt`, what `update` remembers;
 * observe does not echo them, so they are gone from the state file once the rollout is done), read as `deploy`
 * reads its own (readRollout): followed to COMPLETED, FAILED, or rolled back by the circuit breaker. A task
 * count change alone starts no deployment ("When a deployment is triggered by updating the task definition":
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html), so a deployment that
 * completed before is followed until the tasks it gained run. Without a rollout of ours: pending while the
 * newest deployment rolls out.
 */
export function rolloutState(s: Service, prior: Stored | undefined): LiveState {
  if (s.status === "DRAINING") return { state: "deleting", why: "draining" };
  const primary = s.deployments?.find((d) => d.status === "PRIMARY");
  const mine = prior?.outputs.deploymentId;
  if (mine && primary && (s.desiredCount ?? 0) > 0) {
    const rollout = readRollout(s, mine, (p) => (p.createdAt?.getTime() ?? 0) > Number(prior!.outputs.deploymentAt ?? 0));
    switch (rollout.is) {
      // The service's own count: it counts the tasks a count change adds to a deployment that had completed.
      case "completed": return (s.runningCount ?? 0) < (s.desiredCount ?? 0) ? { state: "pending", why: progress(s, "starting tasks") } : { state: "ready" };
      case "failed": return { state: "failed", why: `the deployment failed: ${rollout.reason ?? "circuit breaker"}` };
      case "rolling": return { state: "pending", why: progress(rollout.deployment) };
      case "rolled back": return { state: "failed", why: `the circuit breaker rolled back the deployment: ECS is back on ${revision(rollout.primary.taskDefinition)} (the new tasks never became healthy${rollout.reason ? `: ${rollout.reason}` : ""})` };
      case "not listed yet": return { state: "pending", why: "deployment not visible yet" };
    }
  }
  if (primary && (s.desiredCount ?? 0) > 0 && (primary.rolloutState === "IN_PROGRESS" || (s.deployments?.length ?? 0) > 1)) return { state: "pending", why: progress(primary) };
  return { state: "ready" };
}
/**
 * The deployment a create or an update started, remembered so that it is followed by id until it completes:
 * "stable" alone would call a circuit-breaker rollback, or a first deployment that failed, a success.
 */
function followed(ctx: Ctx, s: Service | undefined, want: Want): { deploymentId: string; deploymentAt: string } | undefined {
  const started = s?.deployments?.find((d) => d.status === "PRIMARY");
  if (started?.id && want.desiredCount > 0) return { deploymentId: started.id, deploymentAt: String(started.createdAt?.getTime() ?? ctx.clock.now()) };
}

/**
 * How the rollout's last failed task ended (not one scaled in: ECS stops those with "Scaling activity initiated
 * by (deployment …)"), as `deploy` says it; service tasks carry their deployment's id as startedBy
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html), and ECS keeps stopped tasks about an hour.
 */
async function lastFailure(ctx: Ctx, deploymentId: string): Promise<string> {
  const failed = (await stoppedTasks(ctx)).find((t) => t.startedBy === deploymentId && !/^Scal/i.test(t.stoppedReason ?? ""));
  return `${failed ? `; the last ${howItStopped(failed, ctx.names.container)}` : ""}; \`spontime-infra logs\` shows why`;
}
const revision = (taskDefinitionArn: string | undefined) => taskDefinitionArn?.split("/").pop() ?? "the previous revision";
const progress = (d: Pick<NonNullable<Service["deployments"]>[number], "runningCount" | "desiredCount" | "pendingCount" | "failedTasks">, what = "deployment in progress") =>
  `${what}: ${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending${d.failedTasks ? `, ${d.failedTasks} failed` : ""}`;

export const ecsService = tagged<Want, Attrs, Out>({
  key: KEY,
  kind: "ecs:service",
  client: "ecs",
  tagging: "ecs",
  actions: { observe: ["ecs:DescribeServices", "ecs:ListTasks", "ecs:DescribeTasks"], create: ["ecs:CreateService"], update: ["ecs:UpdateService"], delete: ["ecs:UpdateService", "ecs:DeleteService"] },
  ignored: {
    "platform version, ECS Exec, placement, tag propagation": "AWS's defaults at create; none changes what the app serves or where its traffic goes",
  },
  // The service takes traffic only through the listener, and its tasks reach ECR through the public route.
  after: [listener, routeTable],
  replaceOn: ["cluster"],
  /**
   * A launch type becomes a strategy, or a strategy another, in place, but only with a new deployment: ECS
   * refuses it otherwise ("When switching from launch type to capacity provider strategy on an existing
   * service, or making a change to a capacity provider strategy on a service that is already using one, you
   * must force a new deployment": https://docs.aws.amazon.com/AmazonECS/latest/bestpracticesguide/ec2-and-fargate-spot.html,
   * pipe-cd/pipecd#6385). Old tasks keep serving until the new ones are healthy, as in any deploy.
   */
  fieldNotes: { capacity: "ECS starts a new deployment for it" },
  readyTimeoutMs: 20 * 60_000,
  waitUntilGone: true,
  typicalGoneMs: 20_000, // draining: the target group's 30 s deregistration delay
  title: (spec) => `ECS service ${spec.appName} (${spec.app.capacity === "FARGATE_SPOT" ? "Fargate Spot" : "Fargate"}, ${spec.app.desiredCount} task${spec.app.desiredCount === 1 ? "" : "s"})`,
  desired,
  async observe(ctx, prior) {
    const s = await findService(ctx);
    if (!s?.serviceArn) return undefined;
    const tags = tagMap(s.tags);
    assertOurs("ECS service", ctx.names.service, tags, ctx.spec.appName, s.serviceArn);
    const net = s.networkConfiguration?.awsvpcConfiguration;
    const lb = s.loadBalancers?.[0];
    const dc = s.deploymentConfiguration;
    const primary = s.deployments?.find((d) => d.status === "PRIMARY");
    const rollout = rolloutState(s, prior);
    if (rollout.state === "failed" && prior?.outputs.deploymentId) rollout.why += await lastFailure(ctx, prior.outputs.deploymentId);
    return {
      id: s.serviceArn,
      ...rollout,
      attrs: {
        cluster: s.clusterArn,
        taskDefinition: s.taskDefinition,
        desiredCount: s.desiredCount,
        capacity: capacityOf(s),
        subnets: net?.subnets ?? [],
        securityGroups: net?.securityGroups ?? [],
        assignPublicIp: net?.assignPublicIp,
        loadBalancer: lb ? { targetGroupArn: lb.targetGroupArn!, containerName: lb.containerName!, containerPort: lb.containerPort! } : undefined,
        healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
        deployment: dc?.deploymentCircuitBreaker
          ? { circuitBreaker: { enable: dc.deploymentCircuitBreaker.enable ?? false, rollback: dc.deploymentCircuitBreaker.rollback ?? false }, minimumHealthyPercent: dc.minimumHealthyPercent!, maximumPercent: dc.maximumPercent! }
          : undefined,
        tags: tags,
      },
      outputs: {
        serviceArn: s.serviceArn, serviceName: s.serviceName!, desiredCount: String(s.desiredCount ?? 0), runningCount: String(s.runningCount ?? 0),
        rolloutState: primary?.rolloutState ?? "",
      },
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.ecs.sendWith(passingRole("ecs"))(new CreateServiceCommand({
      cluster: want.cluster,
      serviceName: ctx.names.service,
      taskDefinition: want.taskDefinition,
      desiredCount: want.desiredCount,
      ...placement(want.capacity),
      networkConfiguration: network(want),
      loadBalancers: [want.loadBalancer],
      healthCheckGracePeriodSeconds: want.healthCheckGracePeriodSeconds,
      deploymentConfiguration: deploymentConfiguration(want),
      deploymentController: { type: "ECS" },
      propagateTags: "SERVICE",
      enableECSManagedTags: true,
      // Same inputs, same token: a retried create after a lost response returns the same service.
      clientToken: ctx.names.serviceClientToken(want.taskDefinition),
      tags: ecsTagList(want.tags),
    }));
    const s = out.service!;
    return { id: s.serviceArn!, outputs: { serviceArn: s.serviceArn!, serviceName: s.serviceName!, ...followed(ctx, s, want) } };
  },
  async update(ctx, want, _live, changed) {
    // ECS takes a new load balancer block in UpdateService for services it deploys itself (the ECS controller).
    const out = await ctx.aws.ecs.sendWith(passingRole("ecs"))(new UpdateServiceCommand({
      cluster: want.cluster,
      service: ctx.names.service,
      taskDefinition: want.taskDefinition,
      desiredCount: want.desiredCount,
      networkConfiguration: network(want),
      ...(changed.includes("loadBalancer") ? { loadBalancers: [want.loadBalancer] } : {}),
      healthCheckGracePeriodSeconds: want.healthCheckGracePeriodSeconds,
      deploymentConfiguration: deploymentConfiguration(want),
      // Back to on-demand as a FARGATE strategy: UpdateService takes no launch type, and the empty strategy AWS
      // documents for returning to one (API_UpdateService, capacityProviderStrategy) says nothing of a service
      // created on Spot, which never had one.
      ...(changed.includes("capacity") ? { capacityProviderStrategy: strategyOf(want.capacity), forceNewDeployment: true } : {}),
    }));
    return followed(ctx, out.service, want);
  },
  async delete(ctx, live) {
    if (live.attrs.desiredCount !== 0) {
      await ignoreNotFound(() => ctx.aws.ecs.send(new UpdateServiceCommand({ cluster: ctx.names.cluster, service: ctx.names.service, desiredCount: 0 })));
    }
    try {
      await ignoreNotFound(() => ctx.aws.ecs.send(new DeleteServiceCommand({ cluster: ctx.names.cluster, service: ctx.names.service, force: true })));
    } catch (e) {
      // Already DRAINING: a retried delete whose first answer was lost, or an earlier run's. The engine waits for it to go.
      if (errorCode(e) !== "ServiceNotActiveException") throw e;
    }
  },
});
