import { DescribeImagesCommand, DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { DescribeServicesCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Deployment, type RegisterTaskDefinitionCommandInput, type TaskDefinition } from "@aws-sdk/client-ecs";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { absentIfNotFound } from "../aws/ec2.js";
import { findService, findTaskDefinition } from "../aws/ecs.js";
import { findLoadBalancer } from "../aws/elbv2.js";
import { pollDelays } from "../engine/apply.js";
import { ToolError, UserError } from "../errors.js";
import type { AppCtx } from "./context.js";
import { waitHealthy } from "./health.js";
import { readLogs } from "./logs.js";
import { runOneOff, stoppedTasks, taskId } from "./tasks.js";

export interface DeployOptions {
  image?: string;
  tag?: string;
  migrate?: string;
  rolloutTimeoutMs: number;
  healthTimeoutMs: number;
}

export interface DeployResult {
  outcome: "succeeded" | "failed";
  image: string;
  taskDefinitionArn: string;
  deploymentId: string | null;
  url: string | null;
  reason?: string;
  details: string[];
  durationsMs: { rollout: number; healthCheck: number; total: number };
}

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses. */
const READ_ONLY = ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"] as const;

/** The running task definition with only the image changed: environment, roles and sizes are kept as they are. */
export function withImage(td: TaskDefinition, container: string, image: string, tags: Record<string, string>): RegisterTaskDefinitionCommandInput {
  const copy: Record<string, unknown> = { ...td };
  for (const f of READ_ONLY) delete copy[f];
  const containers = (td.containerDefinitions ?? []).map((c) => (c.name === container ? { ...c, image } : c));
  if (!containers.some((c) => c.name === container)) throw new ToolError(`the task definition has no container named ${container}`);
  return { ...(copy as unknown as RegisterTaskDefinitionCommandInput), containerDefinitions: containers, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) };
}

async function resolveImage(ctx: AppCtx, options: DeployOptions): Promise<string> {
  const repo = (await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [ctx.names.ecrRepository] }))))?.repositories?.[0];
  const image = options.image ?? (repo ? `${repo.repositoryUri}:${options.tag}` : undefined);
  if (!image) throw new UserError(`no ECR repository ${ctx.names.ecrRepository} in ${ctx.spec.region} to take --tag from`, "run `spontime-infra up`, or pass the full --image");
  // An image of our repository must exist, or every task would fail its pull and the breaker would roll back minutes later.
  if (repo && image.startsWith(`${repo.repositoryUri}:`)) {
    const tag = image.slice(repo.repositoryUri!.length + 1);
    const found = await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeImagesCommand({ repositoryName: ctx.names.ecrRepository, imageIds: [{ imageTag: tag }] })));
    if (!found?.imageDetails?.length) throw new UserError(`image ${image} is not in ECR`, "push it first (docker push), or check the tag");
  }
  return image;
}

/** Why a deployment failed, in the words a user acts on. */
async function explainFailure(ctx: AppCtx, taskDefinitionArn: string, unhealthy: Map<string, string>): Promise<string[]> {
  const details: string[] = [];
  const failedTasks = (await stoppedTasks(ctx)).filter((t) => t.taskDefinitionArn === taskDefinitionArn).slice(0, 3);
  for (const t of failedTasks) {
    const c = t.containers?.find((x) => x.name === ctx.names.container);
    details.push(`task ${taskId(t.taskArn)} stopped: ${t.stoppedReason ?? "unknown reason"}${c?.exitCode !== undefined ? ` (exit code ${c.exitCode})` : ""}${c?.reason ? `: ${c.reason}` : ""}`);
  }
  for (const [target, reason] of unhealthy) details.push(`target ${target} unhealthy: ${reason}`);
  if ([...unhealthy.values()].some((reason) => /ResponseCodeMismatch/.test(reason) && /\b400\b/.test(reason))) {
    details.push(
      "400 on the health check is Django rejecting the Host header: the ALB sends the task's private IP, which is not in ALLOWED_HOSTS. " +
      `Answer ${ctx.spec.app.healthPath} before host validation (see examples/django/health.py) or add the task IP at start-up.`,
    );
  }
  if (failedTasks[0]) {
    const lines = (await readLogs(ctx, { taskIds: [taskId(failedTasks[0].taskArn)] })).slice(-20);
    if (lines.length) details.push(`last ${lines.length} log lines of task ${taskId(failedTasks[0].taskArn)}:`, ...lines.map((l) => `  ${l.message}`));
  }
  return details;
}

async function targetGroupArn(ctx: AppCtx, serviceTg: string | undefined): Promise<string | undefined> {
  if (serviceTg) return serviceTg;
  const tg = await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [ctx.names.targetGroup] })));
  return tg?.TargetGroups?.[0]?.TargetGroupArn;
}

/**
 * Registers a revision with the new image, moves the service to it and follows *that* deployment until ECS
 * says COMPLETED, or FAILED / gone (the circuit breaker rolled back): ServicesStable alone would call a
 * rollback a success. Then checks the app's health URL. Needs no state file: everything is found by name.
 */
export async function deploy(ctx: AppCtx, options: DeployOptions): Promise<DeployResult> {
  const started = ctx.clock.now();
  const service = await findService(ctx);
  if (!service || service.status !== "ACTIVE") {
    throw new UserError(`no ECS service ${ctx.names.service} in cluster ${ctx.names.cluster} (${ctx.spec.region})`, "run `spontime-infra up` first, or check --region and appName");
  }
  const image = await resolveImage(ctx, options);
  const current = await findTaskDefinition(ctx, service.taskDefinition!);
  if (!current) throw new ToolError(`the service's task definition ${service.taskDefinition} cannot be read`);
  const registered = await ctx.aws.ecs.send(new RegisterTaskDefinitionCommand(withImage(current.taskDefinition, ctx.names.container, image, current.tags)));
  const taskDefinitionArn = registered.taskDefinition!.taskDefinitionArn!;
  ctx.progress(`registered ${taskDefinitionArn.split("/").pop()} with ${image}`);

  const dns = (await findLoadBalancer(ctx))?.DNSName;
  const url = dns ? `http://${dns}` : null;
  const result = (outcome: DeployResult["outcome"], deploymentId: string | null, rolloutMs: number, healthMs: number, reason?: string, details: string[] = []): DeployResult => ({
    outcome, image, taskDefinitionArn, deploymentId, url, ...(reason ? { reason } : {}), details, durationsMs: { rollout: rolloutMs, healthCheck: healthMs, total: ctx.clock.now() - started },
  });

  if (options.migrate) {
    ctx.progress(`running the migration: ${options.migrate}`);
    const run = await runOneOff(ctx, service, taskDefinitionArn, ["sh", "-c", options.migrate], (l) => ctx.progress(`  migrate | ${l.message}`));
    if (run.exitCode !== 0) return result("failed", null, 0, 0, `the migration exited with code ${run.exitCode}; the service was not changed`);
  }

  const firstDeploy = (service.desiredCount ?? 0) === 0;
  const updated = await ctx.aws.ecs.send(new UpdateServiceCommand({
    cluster: ctx.names.cluster, service: ctx.names.service, taskDefinition: taskDefinitionArn,
    ...(firstDeploy ? { desiredCount: ctx.spec.app.desiredCount } : {}),
  }));
  const deployment = updated.service?.deployments?.find((d) => d.status === "PRIMARY" && d.taskDefinition === taskDefinitionArn);
  if (!deployment?.id) throw new ToolError("the service update started no deployment for the new task definition");
  ctx.progress(`deployment ${deployment.id} started${firstDeploy ? ` (first deploy: ${ctx.spec.app.desiredCount} task)` : ""}`);

  const tgArn = await targetGroupArn(ctx, service.loadBalancers?.[0]?.targetGroupArn);
  const unhealthy = new Map<string, string>();
  const rolloutStart = ctx.clock.now();
  const delays = pollDelays(5_000, 15_000);
  let outcome: { ok: boolean; reason: string } | undefined;
  while (!outcome) {
    const svc = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: ctx.names.cluster, services: [ctx.names.service] }))).services?.[0];
    const d: Deployment | undefined = svc?.deployments?.find((x) => x.id === deployment.id);
    const health = tgArn ? (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? [] : [];
    for (const t of health) {
      if (t.TargetHealth?.State === "unhealthy") unhealthy.set(`${t.Target?.Id}:${t.Target?.Port}`, `${t.TargetHealth.Reason}${t.TargetHealth.Description ? ` (${t.TargetHealth.Description})` : ""}`);
    }
    const elapsed = ctx.clock.now() - rolloutStart;
    if (!d) outcome = { ok: false, reason: "the deployment was rolled back by the circuit breaker (the new tasks never became healthy)" };
    else if (d.rolloutState === "COMPLETED") outcome = { ok: true, reason: "completed" };
    else if (d.rolloutState === "FAILED") outcome = { ok: false, reason: `the deployment failed: ${d.rolloutStateReason ?? "circuit breaker"}` };
    else if (elapsed > options.rolloutTimeoutMs) outcome = { ok: false, reason: `the deployment is still in progress after ${Math.round(elapsed / 60_000)} min; check \`spontime-infra status\` and the service events` };
    else {
      const targets = health.map((t) => t.TargetHealth?.State).join(", ") || "none registered";
      ctx.progress(`rolling out: ${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending, ${d.failedTasks ?? 0} failed; targets: ${targets} [${Math.round(elapsed / 1000)}s]`);
      await ctx.clock.sleep(delays.next().value!, ctx.signal);
      if (ctx.signal.aborted) outcome = { ok: false, reason: "interrupted: the deployment goes on in ECS; follow it with `spontime-infra status`" };
    }
  }
  const rolloutMs = ctx.clock.now() - rolloutStart;
  if (!outcome.ok) return result("failed", deployment.id, rolloutMs, 0, outcome.reason, await explainFailure(ctx, taskDefinitionArn, unhealthy));

  if (!url) return result("failed", deployment.id, rolloutMs, 0, `no load balancer ${ctx.names.alb}: nothing to health-check`);
  const healthUrl = `${url}${ctx.spec.app.healthPath}`;
  const health = await waitHealthy(ctx, healthUrl, options.healthTimeoutMs, ctx.progress);
  if (health.ok) return result("succeeded", deployment.id, rolloutMs, health.ms);
  return result("failed", deployment.id, rolloutMs, health.ms, `GET ${healthUrl} did not answer 200 within ${Math.round(options.healthTimeoutMs / 1000)} s (last: ${health.last})`);
}
