import { CreateServiceCommand, DeleteServiceCommand, UpdateServiceCommand, type Service } from "@aws-sdk/client-ecs";
import { errorCode } from "../aws/errors.js";
import { findService } from "../aws/ecs.js";
import { ignoreNotFound } from "../aws/ec2.js";
import type { Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromLowerKeyValueTags, lowerKeyValueTags } from "./owned.js";
import { subnetKey } from "./subnet.js";

const KEY = "ecs-service";
const PRIMARY_SUBNET = subnetKey("public", 0);

const desired = (spec: Target, deps: Deps) => {
  const td = deps("task-definition");
  return {
    cluster: deps("ecs-cluster").clusterArn!,
    taskDefinition: td.taskDefinitionArn!,
    // No image yet, or asleep: zero tasks. A service that can only crash-loop is worse than none.
    desiredCount: spec.sleeping || td.awaitingFirstDeploy !== "false" ? 0 : spec.app.desiredCount,
    launchType: "FARGATE",
    subnets: [deps(PRIMARY_SUBNET).subnetId!],
    securityGroups: [deps("sg-ecs").groupId!],
    // No NAT gateway: the task needs a public IP to pull from ECR and ship logs.
    assignPublicIp: "ENABLED",
    loadBalancer: { targetGroupArn: deps("target-group").targetGroupArn!, containerName: "web", containerPort: spec.app.containerPort },
    // Covers the app's boot and its first failed checks (2 × 30 s), no more: longer only delays replacing a broken task.
    healthCheckGracePeriodSeconds: spec.app.healthCheckGracePeriodSeconds,
    // Keep the old task serving until the new one is healthy; roll back automatically when it never is.
    deployment: { circuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
  };
};
type Want = ReturnType<typeof desired>;

const network = (want: Want) => ({ awsvpcConfiguration: { subnets: want.subnets, securityGroups: want.securityGroups, assignPublicIp: want.assignPublicIp as "ENABLED" } });
const deploymentConfiguration = (want: Want) => ({
  deploymentCircuitBreaker: want.deployment.circuitBreaker, minimumHealthyPercent: want.deployment.minimumHealthyPercent, maximumPercent: want.deployment.maximumPercent,
});
// IAM is eventually consistent: a just-created execution role can be refused for a minute or two.
const roleNotReady = (e: unknown) => errorCode(e) === "InvalidParameterException" && /role|assume/i.test((e as Error).message ?? "");

/** "deployment in progress" while the newest deployment rolls out; undefined once it is done. */
export function rolloutPending(s: Service): string | undefined {
  const primary = s.deployments?.find((d) => d.status === "PRIMARY");
  if (!primary || (s.desiredCount ?? 0) === 0) return undefined;
  if (primary.rolloutState === "IN_PROGRESS" || (s.deployments?.length ?? 0) > 1) {
    return `deployment in progress: ${primary.runningCount ?? 0}/${primary.desiredCount ?? 0} running, ${primary.pendingCount ?? 0} pending`;
  }
  return undefined;
}

export const ecsService: Resource<Want> = {
  key: KEY,
  kind: "ecs:service",
  dependsOn: ["ecs-cluster", "task-definition", "listener-http", "target-group", PRIMARY_SUBNET, "sg-ecs", "route-table-public"],
  replaceOn: ["cluster", "launchType", "loadBalancer"],
  unreportedIsInSync: ["healthCheckGracePeriodSeconds", "deployment"],
  readyTimeoutMs: 20 * 60_000,
  waitUntilGone: true,
  typicalGoneMs: 20_000, // draining: the target group's 30 s deregistration delay
  title: (spec) => `ECS service ${spec.appName} (Fargate, ${spec.app.desiredCount} task${spec.app.desiredCount === 1 ? "" : "s"})`,
  desired,
  async observe(ctx, prior) {
    const s = await findService(ctx);
    if (!s?.serviceArn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `ECS service ${ctx.names.service}`, s.serviceArn, async () => fromLowerKeyValueTags(s.tags));
    const net = s.networkConfiguration?.awsvpcConfiguration;
    const lb = s.loadBalancers?.[0];
    const dc = s.deploymentConfiguration;
    const primary = s.deployments?.find((d) => d.status === "PRIMARY");
    const pending = s.status === "DRAINING" ? "draining" : rolloutPending(s);
    return {
      id: s.serviceArn,
      attrs: {
        cluster: s.clusterArn,
        taskDefinition: s.taskDefinition,
        desiredCount: s.desiredCount,
        launchType: s.launchType,
        subnets: net?.subnets ?? [],
        securityGroups: net?.securityGroups ?? [],
        assignPublicIp: net?.assignPublicIp,
        loadBalancer: lb ? { targetGroupArn: lb.targetGroupArn, containerName: lb.containerName, containerPort: lb.containerPort } : undefined,
        healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
        deployment: dc?.deploymentCircuitBreaker
          ? { circuitBreaker: { enable: dc.deploymentCircuitBreaker.enable, rollback: dc.deploymentCircuitBreaker.rollback }, minimumHealthyPercent: dc.minimumHealthyPercent, maximumPercent: dc.maximumPercent }
          : undefined,
      },
      outputs: {
        serviceArn: s.serviceArn, serviceName: s.serviceName!, desiredCount: String(s.desiredCount ?? 0), runningCount: String(s.runningCount ?? 0),
        rolloutState: primary?.rolloutState ?? "", taskDefinitionArn: s.taskDefinition ?? "",
      },
      ...(pending ? { pending } : {}),
      ...(primary?.rolloutState === "FAILED" ? { failed: `deployment failed: ${primary.rolloutStateReason ?? "circuit breaker rolled it back"}` } : {}),
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.ecs.sendWith({ retryIf: roleNotReady })(new CreateServiceCommand({
      cluster: want.cluster,
      serviceName: ctx.names.service,
      taskDefinition: want.taskDefinition,
      desiredCount: want.desiredCount,
      launchType: "FARGATE",
      networkConfiguration: network(want),
      loadBalancers: [want.loadBalancer],
      healthCheckGracePeriodSeconds: want.healthCheckGracePeriodSeconds,
      deploymentConfiguration: deploymentConfiguration(want),
      deploymentController: { type: "ECS" },
      propagateTags: "SERVICE",
      enableECSManagedTags: true,
      // Same inputs, same token: a retried create after a lost response returns the same service.
      clientToken: ctx.names.serviceClientToken(want.taskDefinition),
      tags: lowerKeyValueTags(stackTags(ctx.spec, KEY)),
    }));
    const s = out.service!;
    return { id: s.serviceArn!, outputs: { serviceArn: s.serviceArn!, serviceName: s.serviceName! } };
  },
  async update(ctx, want) {
    await ctx.aws.ecs.sendWith({ retryIf: roleNotReady })(new UpdateServiceCommand({
      cluster: want.cluster,
      service: ctx.names.service,
      taskDefinition: want.taskDefinition,
      desiredCount: want.desiredCount,
      networkConfiguration: network(want),
      healthCheckGracePeriodSeconds: want.healthCheckGracePeriodSeconds,
      deploymentConfiguration: deploymentConfiguration(want),
    }));
  },
  async delete(ctx, live) {
    // DRAINING: an earlier, interrupted `down` already deleted it; the engine waits for it to go.
    if (live.pending === "draining") return;
    if (String(live.attrs.desiredCount) !== "0") {
      await ignoreNotFound(() => ctx.aws.ecs.send(new UpdateServiceCommand({ cluster: ctx.names.cluster, service: ctx.names.service, desiredCount: 0 })));
    }
    await ignoreNotFound(() => ctx.aws.ecs.send(new DeleteServiceCommand({ cluster: ctx.names.cluster, service: ctx.names.service, force: true })));
  },
};

