import { DescribeImagesCommand, DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { DeregisterTaskDefinitionCommand, DescribeServicesCommand, ListTasksCommand, TagResourceCommand, UpdateServiceCommand, type RegisterTaskDefinitionCommandInput, type Service, type Task, type TaskDefinition } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, type TargetHealthDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import { absentIfNotFound } from "../aws/errors.js";
import { describeTasks, findService, findTaskDefinition, howItStopped, readRollout, registerTaskDefinition, stoppedTasks, taskId } from "../aws/ecs.js";
import { findLoadBalancer, findTargetGroup } from "../aws/elbv2.js";
import { poll } from "../engine/poll.js";
import { appUrl, awaitingFirstDeploy } from "../config/names.js";
import { ToolError, UserError, errorMessage } from "../errors.js";
import type { AppCtx } from "./context.js";
import { waitHealthy } from "./health.js";
import { readLogs } from "./logs.js";
import { DIGEST_TAG, ReleaseRecord, deployer, isReleaseTag, listReleases, pickRollback, type Outcome } from "./releases.js";
import { NOT_STARTED, requireAwake, runOneOff } from "./tasks.js";

export interface DeployOptions {
  image?: string;
  tag?: string;
  migrate?: string;
  /** `--timeout`: a deadline for the whole command (migration, rollout, health check), not for one phase. */
  timeoutMs: number;
  healthTimeoutMs: number;
}

/** A deploy's phases in the order they happen; `failed` ends one that did not get through. */
export const PHASES = ["registered", "migrated", "pulling", "running", "healthy", "draining", "completed", "health"] as const;
export type Phase = (typeof PHASES)[number] | "failed";

const PHASE_TEXT: Record<Phase, string> = {
  registered: "registered", migrated: "migration done", pulling: "task pulling the image", running: "task running",
  healthy: "healthy in the target group", draining: "old task draining", completed: "deployment COMPLETED", health: "health check 200", failed: "failed",
};

export interface DeployResult {
  outcome: "succeeded" | "failed";
  image: string;
  taskDefinitionArn: string;
  deploymentId: string | null;
  url: string | null;
  reason?: string;
  details: string[];
  /** After a failure: what the service was put back to (its revision and task count as before the deploy). */
  restored?: { taskDefinitionArn: string; desiredCount: number; deregistered: string };
  /** Each phase reached: ms since the phase before it; `rollout` from UpdateService to the end of the rollout. */
  durationsMs: Partial<Record<Phase, number>> & { rollout: number; healthCheck: number; total: number };
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

async function resolveImage(ctx: AppCtx, options: DeployOptions): Promise<{ image: string; digest?: string }> {
  const repo = (await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [ctx.names.ecrRepository] }))))?.repositories?.[0];
  const image = options.image ?? (repo ? `${repo.repositoryUri}:${options.tag}` : undefined);
  if (!image) throw new UserError(`no ECR repository ${ctx.names.ecrRepository} in ${ctx.spec.region} to take --tag from`, "run `spontime-infra up`, or pass the full --image");
  // An image of our repository must exist, or every task would fail its pull and the breaker would roll back minutes later.
  if (repo && image.startsWith(`${repo.repositoryUri}:`)) {
    const tag = image.slice(repo.repositoryUri!.length + 1);
    const found = await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeImagesCommand({ repositoryName: ctx.names.ecrRepository, imageIds: [{ imageTag: tag }] })));
    if (!found?.imageDetails?.length || awaitingFirstDeploy(image)) {
      // An empty repository: nothing was ever pushed, so a migration or a rollout has no image to run.
      const empty = !(await ctx.aws.ecr.send(new DescribeImagesCommand({ repositoryName: ctx.names.ecrRepository, maxResults: 1 }))).imageDetails?.length;
      throw new UserError(`image ${image} is not in ECR${empty ? ` (the repository has no image yet): push one and deploy an image first${options.migrate ? "; the migration runs in the new image" : ""}` : ""}`, "push it first (docker push), or check the tag");
    }
    return { image, digest: found.imageDetails[0]!.imageDigest };
  }
  return { image };
}

/** Why a deployment failed, in the words a user acts on; a failure to find out is a line, never a crash. */
async function explainFailure(ctx: AppCtx, taskDefinitionArn: string, unhealthy: Map<string, string>): Promise<string[]> {
  const details: string[] = [];
  try {
    const failedTasks = (await stoppedTasks(ctx)).filter((t) => t.taskDefinitionArn === taskDefinitionArn).slice(0, 3);
    for (const t of failedTasks) details.push(howItStopped(t, ctx.names.container));
    for (const [target, reason] of unhealthy) details.push(`target ${target} unhealthy: ${reason}`);
    if ([...unhealthy.values()].some((reason) => /ResponseCodeMismatch/.test(reason) && /\b400\b/.test(reason))) {
      details.push(
        "400 on the health check is Django rejecting the Host header: the ALB sends the task's private IP, which is not in ALLOWED_HOSTS. " +
        `Answer ${ctx.spec.app.healthPath} before host validation (see examples/django/health.py) or add the task IP at start-up.`,
      );
    }
    // A task that never started (CannotPullContainerError) has no log stream: no lines, not an error.
    if (failedTasks[0]) {
      const lines = (await readLogs(ctx, { taskId: taskId(failedTasks[0].taskArn) })).slice(-20);
      if (lines.length) details.push(`last ${lines.length} log lines of task ${taskId(failedTasks[0].taskArn)}:`, ...lines.map((l) => `  ${l.message}`));
    }
  } catch (e) {
    details.push(`(could not read all of the failure's details: ${errorMessage(e)})`);
  }
  return details;
}

async function targetGroupArn(ctx: AppCtx, serviceTg: string | undefined): Promise<string | undefined> {
  if (serviceTg) return serviceTg;
  return (await findTargetGroup(ctx))?.TargetGroupArn;
}

/** The phases reached, each printed as it happens with the time since the previous one and since the start. */
class PhaseLog {
  private readonly marks = new Map<Phase, number>();
  private last: number;
  constructor(private readonly ctx: AppCtx, private readonly started: number) { this.last = started; }

  reach(phase: Phase, detail = ""): void {
    if (this.marks.has(phase)) return;
    const now = this.ctx.clock.now();
    this.marks.set(phase, now - this.last);
    this.ctx.progress(`[${secs(now - this.started).padStart(5)}] ${PHASE_TEXT[phase]}${detail ? `: ${detail}` : ""} (+${secs(now - this.last)})`);
    this.last = now;
  }
  has(phase: Phase): boolean { return this.marks.has(phase); }
  /** When the last phase was reached, on the clock. */
  get lastAt(): number { return this.last; }
  durations(): Partial<Record<Phase, number>> { return Object.fromEntries(this.marks); }
}

const secs = (ms: number) => `${Math.round(ms / 1000)}s`;
const ipOf = (t: Task) => t.attachments?.flatMap((a) => a.details ?? []).find((d) => d.name === "privateIPv4Address")?.value;

interface Rollout { ok: boolean; reason: string; rolledBack?: boolean }

/**
 * Follows one deployment by id until ECS says COMPLETED, FAILED, or shows a different PRIMARY that did not
 * exist before ours (the circuit breaker's rollback). Right after UpdateService, DescribeServices may not list
 * the new deployment yet (eventual consistency): a missing deployment alone proves nothing.
 * Looks are timed from what the spec says each phase takes: the ALB needs healthyThreshold × interval after
 * the task starts, the old task drains for the deregistration delay; between those, a look every few seconds.
 */
async function followRollout(
  ctx: AppCtx, o: { deploymentId: string; earlier: Set<string>; tgArn: string | undefined; phases: PhaseLog; unhealthy: Map<string, string>; timeoutMs: number },
): Promise<Rollout> {
  const { phases } = o;
  const hc = ctx.spec.app.healthCheck;
  let tasks: Task[] = [];
  let oldTargets = false;
  const r = await poll<Rollout>(async () => {
    const svc: Service | undefined = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: ctx.names.cluster, services: [ctx.names.service] }))).services?.[0];
    const rollout = readRollout(svc, o.deploymentId, (p) => !!p.id && !o.earlier.has(p.id));
    if (rollout.is === "rolled back") return { done: true, value: { ok: false, rolledBack: true, reason: `the deployment was rolled back by the circuit breaker: ECS is back on ${rollout.primary.taskDefinition?.split("/").pop()} (the new tasks never became healthy)` } };
    if (rollout.is === "not listed yet") return { done: false, state: "waiting for ECS to list the new deployment" };
    if (rollout.is === "completed") return { done: true, value: { ok: true, reason: "completed" } };
    if (rollout.is === "failed") return { done: true, value: { ok: false, rolledBack: true, reason: `the deployment failed: ${rollout.reason ?? "circuit breaker"}` } };
    const d = rollout.deployment;
    if (!phases.has("running")) {
      // Service tasks carry their deployment's id as startedBy; ListTasks allows no other filter with it.
      let arns = tasks.filter((t) => t.lastStatus !== "STOPPED").map((t) => t.taskArn!);
      if (!arns.length) arns = (await ctx.aws.ecs.send(new ListTasksCommand({ cluster: ctx.names.cluster, startedBy: o.deploymentId }))).taskArns ?? [];
      tasks = await describeTasks(ctx, arns);
      const live = tasks.filter((t) => t.lastStatus !== "STOPPED");
      if (live.some((t) => t.pullStartedAt || !NOT_STARTED.has(t.lastStatus ?? ""))) phases.reach("pulling", taskId(live[0]?.taskArn));
      const running = live.find((t) => t.lastStatus === "RUNNING");
      if (running) phases.reach("running", `${taskId(running.taskArn)} at ${ipOf(running) ?? "?"}`);
      else if (d.runningCount) phases.reach("running", `${d.runningCount} task(s)`); // ListTasks may lag behind the deployment's counts
    }
    if (phases.has("running") && !phases.has("draining") && o.tgArn) {
      const ours = new Set(tasks.map(ipOf));
      const health = (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: o.tgArn }))).TargetHealthDescriptions ?? [];
      const name = (t: TargetHealthDescription) => `${t.Target?.Id}:${t.Target?.Port}`;
      for (const t of health.filter((x) => x.TargetHealth?.State === "unhealthy")) o.unhealthy.set(name(t), `${t.TargetHealth!.Reason}${t.TargetHealth!.Description ? ` (${t.TargetHealth!.Description})` : ""}`);
      const healthy = health.find((t) => ours.has(t.Target?.Id) && t.TargetHealth?.State === "healthy");
      if (healthy) phases.reach("healthy", name(healthy));
      const old = health.filter((t) => !ours.has(t.Target?.Id));
      oldTargets ||= old.length > 0;
      const draining = old.find((t) => t.TargetHealth?.State === "draining");
      if (draining) phases.reach("draining", `${name(draining)}, ${ctx.spec.app.deregistrationDelaySeconds} s deregistration delay`);
    }
    return { done: false, state: `${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending, ${d.failedTasks ?? 0} failed` };
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs: o.timeoutMs,
    delay: () => {
      const since = ctx.clock.now() - phases.lastAt;
      // Sleep until the phase should be over; past that, look again soon, then less often (a slower AWS).
      const until = (ms: number) => (since < ms ? Math.max(2_000, ms - since) : Math.min(10_000, Math.max(2_000, (since - ms) / 4)));
      if (!phases.has("running")) return 5_000;
      if (!phases.has("healthy")) return until(hc.healthyThreshold * hc.intervalSeconds * 1000);
      if (oldTargets && !phases.has("draining")) return 2_000;
      return until(oldTargets ? ctx.spec.app.deregistrationDelaySeconds * 1000 : 0);
    },
    progress: (state, ms) => ctx.progress(`rolling out: ${state} [${secs(ms)}]`),
  });
  if (r.outcome === "done") return r.value;
  if (r.outcome === "interrupted") return { ok: false, reason: "interrupted: the deployment goes on in ECS; follow it with `spontime-infra status`" };
  return { ok: false, reason: `--timeout reached: the deployment was still in progress after ${secs(r.elapsedMs)} (${r.state})` };
}

/** The stack's ACTIVE service, awake, or a clear error: deploy and rollback need one. */
export async function requireService(ctx: AppCtx, command: string): Promise<Service> {
  const service = await findService(ctx);
  if (!service || service.status !== "ACTIVE") {
    throw new UserError(`no ECS service ${ctx.names.service} in cluster ${ctx.names.cluster} (${ctx.spec.region})`, "run `spontime-infra up` first, or check --region and appName");
  }
  await requireAwake(ctx, command);
  return service;
}

/**
 * Registers a revision with the new image, moves the service to it and follows *that* deployment until ECS
 * says COMPLETED, or FAILED / rolled back: ServicesStable alone would call a rollback a success. Then checks
 * the app's health URL. Needs no state file: everything is found by name. The revision records the release
 * (src/app/releases.ts): who, when, the image's digest, and how it ended.
 */
export async function deploy(ctx: AppCtx, options: DeployOptions): Promise<DeployResult> {
  const started = ctx.clock.now();
  const service = await requireService(ctx, "deploy");
  const { image, digest } = await resolveImage(ctx, options);
  const current = await findTaskDefinition(ctx, service.taskDefinition!);
  if (!current) throw new ToolError(`the service's task definition ${service.taskDefinition} cannot be read`);
  const release = new ReleaseRecord(started, await deployer(ctx));
  return rollOut(ctx, { service, taskDefinitionArn: await registerRelease(ctx, current, image, digest, release, service.taskDefinition), image, started, release, registered: true, ...options });
}

/** A new revision of `from` with another image, its own release record, and none of `from`'s history. */
async function registerRelease(
  ctx: AppCtx, from: { taskDefinition: TaskDefinition; tags: Record<string, string> }, image: string, digest: string | undefined, release: ReleaseRecord, running: string | undefined,
): Promise<string> {
  const tags = { ...Object.fromEntries(Object.entries(from.tags).filter(([k]) => !isReleaseTag(k))), ...(digest ? { [DIGEST_TAG]: digest } : {}), [release.key]: release.tag("in-progress").value };
  return (await registerTaskDefinition(ctx, withImage(from.taskDefinition, ctx.names.container, image, tags), running)).taskDefinitionArn!;
}

export interface RollbackOptions { to?: string; timeoutMs: number; healthTimeoutMs: number }

/**
 * Redeploys an earlier release (src/app/releases.ts `pickRollback`) by its revision, so the image is the digest
 * deployed then, not whatever its tag points at now, and follows it exactly as `deploy` does. A revision that is
 * still ACTIVE and whose tag still names that digest is used as it is (no new revision, no new image); a
 * deregistered one (ECS refuses to move a service onto it) or one whose tag moved is registered again with
 * the image pinned by digest.
 */
export async function rollback(ctx: AppCtx, options: RollbackOptions): Promise<DeployResult & { rolledBackFrom: number; rolledBackTo: number }> {
  const started = ctx.clock.now();
  const service = await requireService(ctx, "rollback");
  const target = pickRollback(await listReleases(ctx), service.taskDefinition!, options.to);
  const fromRevision = Number(service.taskDefinition!.split(":").pop());
  const release = new ReleaseRecord(started, await deployer(ctx), fromRevision);
  ctx.progress(`rolling back from revision ${fromRevision} to revision ${target.revision} (${target.image}${target.digest ? `, ${target.digest}` : ""}, deployed ${target.deployedAt} by ${target.deployedBy})`);
  const pinned = target.digest ? `${target.image.replace(/[:@][^:@/]*$/, "")}@${target.digest}` : target.image;
  const reuse = target.active && (!target.digest || (await digestOfTag(ctx, target.image)) === target.digest);
  let taskDefinitionArn = target.taskDefinitionArn;
  if (reuse) {
    await ctx.aws.ecs.send(new TagResourceCommand({ resourceArn: taskDefinitionArn, tags: [release.tag("in-progress")] }));
  } else {
    const earlier = await findTaskDefinition(ctx, target.taskDefinitionArn);
    if (!earlier) throw new ToolError(`revision ${target.revision} cannot be read`);
    taskDefinitionArn = await registerRelease(ctx, earlier, pinned, target.digest ?? undefined, release, service.taskDefinition);
  }
  const image = reuse ? target.image : pinned;
  const result = await rollOut(ctx, { service, taskDefinitionArn, image, started, release, registered: !reuse, timeoutMs: options.timeoutMs, healthTimeoutMs: options.healthTimeoutMs });
  return { ...result, rolledBackFrom: fromRevision, rolledBackTo: target.revision };
}

/** What an image tag of the stack's repository names now; undefined for another registry or a tag gone. */
async function digestOfTag(ctx: AppCtx, image: string): Promise<string | undefined> {
  const [, repo, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(image) ?? [];
  if (repo !== ctx.names.ecrRepository || !tag) return undefined;
  return (await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeImagesCommand({ repositoryName: repo, imageIds: [{ imageTag: tag }] }))))?.imageDetails?.[0]?.imageDigest;
}

export interface RollOut {
  service: Service;
  taskDefinitionArn: string;
  image: string;
  started: number;
  release: ReleaseRecord;
  /** This run registered the revision: a failure deregisters it, so that `up` never adopts it. */
  registered: boolean;
  migrate?: string;
  timeoutMs: number;
  healthTimeoutMs: number;
}

/**
 * Moves the service to a revision and follows that deployment to the end, then the health check, all within the
 * deadline `--timeout` sets for the whole command. A failure puts back what the run changed (the service's
 * revision and task count) and says so; the release records how it ended.
 */
export async function rollOut(ctx: AppCtx, o: RollOut): Promise<DeployResult> {
  const { service, taskDefinitionArn, image, started, release } = o;
  const deadline = started + o.timeoutMs;
  const left = () => Math.max(0, deadline - ctx.clock.now());
  const phases = new PhaseLog(ctx, started);
  phases.reach("registered", `${taskDefinitionArn.split("/").pop()} with ${image}`);

  const dns = (await findLoadBalancer(ctx))?.DNSName;
  // With https, plain HTTP only redirects: the health check goes where users go.
  const url = (dns && appUrl(ctx.spec.https, true, dns)) ?? null;
  let rolloutStart = ctx.clock.now();
  const firstDeploy = (service.desiredCount ?? 0) === 0;
  let serviceChanged = false;
  const result = async (outcome: Outcome, deploymentId: string | null, healthMs: number, reason?: string, details: string[] = []): Promise<DeployResult> => {
    const ok = outcome === "healthy";
    const restored = !ok && outcome !== "interrupted" ? await restore(ctx, { service, taskDefinitionArn, registered: o.registered, serviceChanged, firstDeploy }) : undefined;
    if (restored) details.push(restored.said);
    details.push(...(await release.finish(ctx, taskDefinitionArn, outcome)));
    if (!ok) phases.reach("failed", reason);
    const end = ctx.clock.now();
    return {
      outcome: ok ? "succeeded" : "failed", image, taskDefinitionArn, deploymentId, url, ...(reason ? { reason } : {}), details,
      ...(restored ? { restored: restored.to } : {}),
      durationsMs: { ...phases.durations(), rollout: deploymentId ? end - rolloutStart - healthMs : 0, healthCheck: healthMs, total: end - started },
    };
  };

  if (o.migrate) {
    ctx.progress(`running the migration: ${o.migrate}`);
    let run;
    try {
      run = await runOneOff(ctx, service, taskDefinitionArn, ["sh", "-c", o.migrate], (l) => ctx.progress(`  migrate | ${l.message}`), { timeoutMs: left(), liveLogs: false });
    } catch (e) {
      // AWS refused to start it (RunTask failing past its retries): the revision this run registered goes all the same.
      if (ctx.signal.aborted) throw e;
      return result("failed", null, 0, `the migration could not run (${errorMessage(e)}); the service was not changed`);
    }
    if (run.outcome !== "exited") return result(run.outcome === "interrupted" ? "interrupted" : "failed", null, 0, `the migration was ${run.outcome === "interrupted" ? "interrupted" : "still running at --timeout"} and its task stopped; the service was not changed`);
    if (run.exitCode !== 0) return result("failed", null, 0, `the migration exited with code ${run.exitCode}; the service was not changed`);
    phases.reach("migrated");
  }

  rolloutStart = ctx.clock.now();
  const updated = await ctx.aws.ecs.send(new UpdateServiceCommand({
    cluster: ctx.names.cluster, service: ctx.names.service, taskDefinition: taskDefinitionArn,
    ...(firstDeploy ? { desiredCount: ctx.spec.app.desiredCount } : {}),
  }));
  serviceChanged = true;
  const deployment = updated.service?.deployments?.find((d) => d.status === "PRIMARY" && d.taskDefinition === taskDefinitionArn);
  // The service changed but nothing follows it: put it back like any failed rollout.
  if (!deployment?.id) return result("failed", null, 0, "the service update started no deployment for the new task definition (ECS's answer lists none)");
  ctx.progress(`deployment ${deployment.id} started${firstDeploy ? ` (first deploy: ${ctx.spec.app.desiredCount} task)` : ""}`);
  const earlier = new Set([...(service.deployments ?? []), ...(updated.service?.deployments ?? [])].map((d) => d.id!).filter((id) => id !== deployment.id));

  const unhealthy = new Map<string, string>();
  const tgArn = await targetGroupArn(ctx, service.loadBalancers?.[0]?.targetGroupArn);
  const rollout = await followRollout(ctx, { deploymentId: deployment.id, earlier, tgArn, phases, unhealthy, timeoutMs: left() });
  if (!rollout.ok) {
    const details = ctx.signal.aborted ? [] : await explainFailure(ctx, taskDefinitionArn, unhealthy);
    return result(ctx.signal.aborted ? "interrupted" : rollout.rolledBack ? "rolled-back" : "failed", deployment.id, 0, rollout.reason, details);
  }
  phases.reach("completed");

  if (!url) return result("failed", deployment.id, 0, `no load balancer ${ctx.names.alb}: nothing to health-check`);
  const healthUrl = `${url}${ctx.spec.app.healthPath}`;
  const healthTimeoutMs = Math.min(o.healthTimeoutMs, left());
  const health = await waitHealthy(ctx, healthUrl, healthTimeoutMs, ctx.progress);
  if (health.ok) {
    phases.reach("health", healthUrl);
    return result("healthy", deployment.id, health.ms);
  }
  if (health.interrupted) return result("interrupted", deployment.id, health.ms, `interrupted while waiting for GET ${healthUrl} to answer 200`);
  const limit = healthTimeoutMs < o.healthTimeoutMs ? " (--timeout reached)" : "";
  return result("failed-health", deployment.id, health.ms, `GET ${healthUrl} did not answer 200 within ${Math.round(healthTimeoutMs / 1000)} s${limit} (last: ${health.last})`);
}

/**
 * After a failed rollout or health check: the service back on the revision (and task count) it had before the
 * run, unless ECS's circuit breaker already put it there, and a revision this run registered deregistered, so
 * that `up`, which adopts the family's newest ACTIVE revision, never moves the service onto it. Not started for
 * an interrupt: the user asked to stop watching, and the deployment goes on in ECS.
 */
async function restore(
  ctx: AppCtx, o: { service: Service; taskDefinitionArn: string; registered: boolean; serviceChanged: boolean; firstDeploy: boolean },
): Promise<{ said: string; to: NonNullable<DeployResult["restored"]> } | undefined> {
  const before = o.service.taskDefinition!;
  const count = o.service.desiredCount ?? 0;
  const said: string[] = [];
  if (o.serviceChanged) {
    const now = (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: ctx.names.cluster, services: [ctx.names.service] }))).services?.[0];
    if (now?.taskDefinition !== before || (now?.desiredCount ?? 0) !== count) {
      await ctx.aws.ecs.send(new UpdateServiceCommand({ cluster: ctx.names.cluster, service: ctx.names.service, taskDefinition: before, desiredCount: count }));
      said.push(`Restored: the service is back on ${before.split("/").pop()} with ${count} task(s), as before this run${o.firstDeploy ? " (no image had been deployed)" : "; ECS rolls back to it now (`spontime-infra status` follows it)"}.`);
    } else {
      said.push(`ECS's circuit breaker already put the service back on ${before.split("/").pop()}, as before this run.`);
    }
  }
  if (o.registered) {
    await ctx.aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: o.taskDefinitionArn }));
    said.push(`The new revision ${o.taskDefinitionArn.split("/").pop()} was deregistered (kept in \`spontime-infra releases\`).`);
  }
  if (!said.length) return undefined;
  if (o.firstDeploy) said.push("Fix the image, push it, and run `spontime-infra deploy --tag <tag>` again.");
  return { said: said.join(" "), to: { taskDefinitionArn: before, desiredCount: count, deregistered: o.registered ? o.taskDefinitionArn : "" } };
}
