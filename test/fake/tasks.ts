/**
 * What ECS tasks and service deployments do on the clock, phase by phase as deploy-model.ts times them: a
 * task is PROVISIONING (scheduling), PENDING (pulling its image, by size), RUNNING; ECS registers it in the
 * service's target group, where it turns healthy after HealthyThresholdCount checks one interval apart. Once
 * the new tasks are healthy the old ones drain for the deregistration delay, get SIGTERM and stop, and the
 * deployment is COMPLETED. Images behave as pushed (ecr.ts: `ok`, `crash`, `http400`), a missing image fails
 * the pull; the circuit breaker fails a deployment after its threshold of failed tasks and rolls back to the
 * last completed one. The container's name, port and log stream come from the requests (the task
 * definition's container and awslogs options, the service's load balancer block), never from the product's
 * conventions.
 */
import type { FakeAws } from "./aws.js";
import { LATENCY } from "./common.js";
import { AWS_DEFAULTS, TIMING, breakerThreshold, healthyAfterMs, pullMs, unhealthyAfterMs, type DeploySettings } from "./deploy-model.js";
import { imageOf, type ImageBehavior } from "./ecr.js";
import type { EcsService, TaskDef } from "./ecs.js";

export interface Deployment {
  id: string; status: "PRIMARY" | "ACTIVE"; taskDefinition: string; desiredCount: number; rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED"; rolloutStateReason?: string;
  createdAt: number; failedTasks: number; runningCount: number; pendingCount: number;
  /** When UpdateService last raised the task count without a new deployment: the tasks it adds start then, not at createdAt. */
  scaledAt?: number;
  /** The provider its tasks run on, from the service's strategy when the deployment started (none on a launch type). */
  capacityProvider?: string;
}
export interface Task {
  arn: string; id: string; taskDefinitionArn: string; cluster: string; container: string; ip: string; behavior: ImageBehavior | "missing"; createdAt: number;
  lastStatus: "PROVISIONING" | "PENDING" | "RUNNING" | "STOPPED"; desiredStatus: "RUNNING" | "STOPPED"; stoppedReason?: string; exitCode?: number; stopAt?: number; stoppedAt?: number;
  /** When the image pull starts and the container runs (the lifecycle's timestamps, as DescribeTasks reports them). */
  pullStartedAt: number; pullStoppedAt?: number; startedAt?: number;
  /** In the service's target group: registered, healthy (or unhealthy) from, draining from/until. */
  registeredAt?: number; healthyAt?: number; unhealthyAt?: number; drainFrom?: number; drainUntil?: number;
  startedBy?: string; group?: string; deploymentId?: string; command?: string[];
  /** https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html (capacityProviderName) */
  capacityProviderName?: string;
}
interface TargetHealth { State: "initial" | "healthy" | "unhealthy" | "draining"; Reason?: string; Description?: string }

/**
 * The awslogs driver names a task's stream `<awslogs-stream-prefix>/<container name>/<task id>`; it exists once
 * the container has started. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
 */
const streamName = (prefix: string | undefined, container: string, taskId: string) => (prefix ? `${prefix}/${container}/${taskId}` : taskId);

/** What a deploy's timing depends on for a task of service group `group`: its target group's checks and the image. */
export function settingsFor(fake: FakeAws, group: string | undefined, imageSizeMb: number): DeploySettings {
  const svc = [...fake.ecs.services.values()].find((s) => `service:${s.name}` === group);
  const tg = fake.elb.tgs.get(svc?.loadBalancers[0]?.targetGroupArn ?? "");
  return {
    healthyThreshold: tg?.healthyThreshold ?? AWS_DEFAULTS.healthyThreshold, unhealthyThreshold: tg?.unhealthyThreshold ?? AWS_DEFAULTS.unhealthyThreshold,
    intervalSeconds: tg?.interval ?? AWS_DEFAULTS.intervalSeconds, deregistrationDelaySeconds: Number(tg?.deregistrationDelay ?? AWS_DEFAULTS.deregistrationDelaySeconds),
    gracePeriodSeconds: svc?.healthCheckGracePeriodSeconds ?? 0, imageSizeMb,
  };
}

/**
 * A private address in the task's subnet, past the four addresses AWS reserves at the start of every subnet
 * (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 */
function addressIn(fake: FakeAws, subnetId: string | undefined, n: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(fake.ec2.subnets.get(subnetId ?? "")?.cidr ?? "");
  if (!m) throw new Error(`fake: task placed in unknown subnet ${subnetId}`);
  const first = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const usable = 2 ** (32 - Number(m[5])) - 5;
  const at = first + 4 + (n % usable);
  return [24, 16, 8, 0].map((shift) => Math.floor(at / 2 ** shift) % 256).join(".");
}

export function launchTask(fake: FakeAws, td: TaskDef, clusterName: string, extra: { startedBy?: string; group?: string; deploymentId?: string; command?: string[]; subnetId?: string; capacityProviderName?: string }, now = fake.clock.now()): Task {
  const id = fake.nextSeq().toString(16).padStart(32, "0");
  const container = td.def.containerDefinitions![0]!;
  const image = imageOf(fake, container.image!);
  const behavior = image?.behavior ?? "missing";
  const s = settingsFor(fake, extra.group, image?.sizeMb ?? 0);
  const pullStartedAt = now + TIMING.scheduleMs;
  const running = pullStartedAt + pullMs(s.imageSizeMb) + TIMING.containerStartMs;
  const t: Task = {
    arn: fake.arn("ecs", `task/${clusterName}/${id}`), id, taskDefinitionArn: td.arn, createdAt: now, lastStatus: "PROVISIONING", desiredStatus: "RUNNING",
    ip: addressIn(fake, extra.subnetId, fake.state.seq), behavior, cluster: clusterName, container: container.name!, pullStartedAt, ...extra,
  };
  const options = container.logConfiguration?.options ?? {};
  const group = fake.logs.groups.get(options["awslogs-group"] ?? "");
  const stream = streamName(options["awslogs-stream-prefix"], t.container, id);
  const log = (message: string, at: number) => group?.events.push({ logStreamName: stream, timestamp: at, message });
  const port = container.portMappings?.[0]?.containerPort;
  if (behavior !== "missing") Object.assign(t, { pullStoppedAt: running - TIMING.containerStartMs, startedAt: running });
  if (extra.group && behavior !== "missing") t.registeredAt = running + TIMING.registerMs;
  if (behavior === "missing") {
    t.stopAt = pullStartedAt + LATENCY.taskExit;
    t.stoppedReason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): image not found";
  } else if (extra.command) {
    const fails = extra.command.join(" ").includes("fail");
    t.stopAt = running + LATENCY.taskExit;
    t.exitCode = fails ? 1 : 0;
    t.stoppedReason = "Essential container in task exited";
    log(`running ${extra.command.join(" ")}`, running);
    log(fails ? "django.db.utils.OperationalError: migration failed" : "Operations to perform: done", t.stopAt);
  } else if (behavior === "crash") {
    t.stopAt = running + LATENCY.taskExit;
    t.exitCode = 1;
    t.stoppedReason = "Essential container in task exited";
    log("django.core.exceptions.ImproperlyConfigured: crash on start", t.stopAt);
  } else {
    log(`[INFO] Listening at: http://0.0.0.0:${port}`, running);
    if (t.registeredAt !== undefined && behavior === "ok") t.healthyAt = t.registeredAt + healthyAfterMs(s);
    if (t.registeredAt !== undefined && behavior === "http400") {
      t.unhealthyAt = t.registeredAt + unhealthyAfterMs(s);
      // ECS replaces an unhealthy target once it sees it, but not within the grace period after the task
      // started: it deregisters the target (draining) and then stops the task.
      t.drainFrom = Math.max(t.unhealthyAt + TIMING.ecsNoticesMs, running + s.gracePeriodSeconds * 1000);
      t.drainUntil = t.drainFrom + s.deregistrationDelaySeconds * 1000;
      t.stopAt = t.drainUntil + TIMING.stopMs;
      t.exitCode = 0;
      t.stoppedReason = "Task failed ELB health checks in (target-group)";
      log(`Invalid HTTP_HOST header: '${t.ip}:${port}'. You may need to add '${t.ip}' to ALLOWED_HOSTS.`, running + 1_000);
    }
  }
  fake.ecs.tasks.set(t.arn, t);
  return t;
}

export function stopTask(t: Task, reason: string, exitCode?: number, at?: number): void {
  t.lastStatus = "STOPPED";
  t.desiredStatus = "STOPPED";
  t.stoppedReason = reason;
  t.stoppedAt = at;
  if (exitCode !== undefined) t.exitCode = exitCode;
}

export function startDeployment(fake: FakeAws, s: EcsService): void {
  for (const d of s.deployments) d.status = "ACTIVE";
  s.deployments.unshift(newDeployment(fake, s, s.taskDefinition));
  tickService(fake, s, fake.clock.now());
}

/**
 * Deployment ids look like `ecs-svc/1234567890123456789`, and a service's tasks carry their deployment's id
 * as startedBy (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, startedBy).
 */
const newDeployment = (fake: FakeAws, s: EcsService, taskDefinition: string, at = fake.clock.now()): Deployment => ({
  id: `ecs-svc/${String(fake.nextSeq()).padStart(19, "0")}`, status: "PRIMARY", taskDefinition, desiredCount: s.desiredCount, rolloutState: "IN_PROGRESS", createdAt: at, failedTasks: 0, runningCount: 0, pendingCount: 0,
  ...(s.capacityProviderStrategy?.length ? { capacityProvider: s.capacityProviderStrategy.find((i) => (i.weight ?? 0) > 0)?.capacityProvider } : {}),
});

/** The service a task belongs to, and the target (group, port) its load balancer block registers the task as. */
function target(fake: FakeAws, t: Task): { targetGroupArn?: string; port?: number } {
  const svc = [...fake.ecs.services.values()].find((s) => `service:${s.name}` === t.group);
  const lb = svc?.loadBalancers[0];
  return { targetGroupArn: lb?.targetGroupArn, port: lb?.containerPort };
}

/** Target states: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html */
function targetHealth(t: Task, now: number): TargetHealth {
  if (t.drainFrom !== undefined && now >= t.drainFrom) return { State: "draining", Reason: "Target.DeregistrationInProgress" };
  if (now < t.registeredAt!) return { State: "initial", Reason: "Elb.RegistrationInProgress" };
  if (t.unhealthyAt !== undefined && now >= t.unhealthyAt) return { State: "unhealthy", Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [400]" };
  if (t.healthyAt !== undefined && now >= t.healthyAt) return { State: "healthy" };
  return { State: "initial", Reason: "Elb.InitialHealthChecking" };
}

/** The targets registered in a target group: every running task of a service that names it, until it has drained. */
export function targetsOf(fake: FakeAws, targetGroupArn: string): { id: string; port?: number; health: TargetHealth }[] {
  const now = fake.clock.now();
  return [...fake.ecs.tasks.values()]
    .filter((t) => t.group && t.lastStatus === "RUNNING" && t.registeredAt !== undefined && !(t.drainUntil !== undefined && now >= t.drainUntil) && target(fake, t).targetGroupArn === targetGroupArn)
    .map((t) => ({ id: t.ip, port: target(fake, t).port, health: targetHealth(t, now) }));
}

/** What GET http://<alb-dns>/... answers: 200 once a healthy target of a working image serves it. */
/** A network failure as Node's fetch (undici) throws it: `fetch failed`, the socket's error as `cause` (nodejs/undici#1248). */
const fetchFailed = (code: string, message: string) => Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(message), { code }) });

export function httpGet(fake: FakeAws, url: string): number {
  const { hostname, protocol } = new URL(url);
  const host = fake.resolveHost(hostname);
  const lb = [...fake.elb.lbs.values()].find((l) => l.dns === host);
  if (!lb || lb.state !== "active") throw fetchFailed("ENOTFOUND", `getaddrinfo ENOTFOUND ${hostname}`);
  // The listener on the URL's port answers: a redirect as such (the client does not follow it), else its targets.
  const listener = [...fake.elb.listeners.values()].find((l) => l.lbArn === lb.arn && l.port === (protocol === "https:" ? 443 : 80));
  if (!listener) throw fetchFailed("ECONNREFUSED", `connect ECONNREFUSED ${hostname}:${protocol === "https:" ? 443 : 80}`);
  if (listener.redirect) return Number(listener.redirect.StatusCode?.replace("HTTP_", ""));
  const healthy = targetsOf(fake, listener.targetGroupArn!).some((x) => x.health.State === "healthy");
  return healthy && !fake.httpDown ? 200 : 503;
}

/** A live task's status from its lifecycle's times (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html). */
function refreshStatus(t: Task, now: number): void {
  t.lastStatus = t.startedAt !== undefined && now >= t.startedAt ? "RUNNING" : now >= t.pullStartedAt ? "PENDING" : "PROVISIONING";
}

/** Moves every service, task and draining service forward to `now`. */
export function tickEcs(fake: FakeAws, now: number): void {
  const { services, tasks } = fake.ecs;
  for (const task of tasks.values()) {
    if (task.lastStatus === "STOPPED") continue;
    if (task.stopAt !== undefined && now >= task.stopAt) stopTask(task, task.stoppedReason ?? "Task stopped", task.exitCode, task.stopAt);
    else refreshStatus(task, now);
  }
  for (const svc of services.values()) tickService(fake, svc, now);
  for (const svc of services.values()) if (svc.status === "DRAINING" && now >= svc.inactiveAt) svc.status = "INACTIVE";
}

/**
 * Rolls a service's deployments forward to `now`, with the circuit breaker's rollback. Everything happens at
 * the time ECS would do it, not when the fake is next called: a failed task is replaced the moment it stops,
 * the breaker trips when the threshold-th task stops.
 */
export function tickService(fake: FakeAws, s: EcsService, now: number): void {
  if (s.status !== "ACTIVE") return;
  const primary = s.deployments[0];
  if (!primary) return;
  const tasks = () => [...fake.ecs.tasks.values()];
  const group = `service:${s.name}`;
  const live = () => tasks().filter((t) => t.group === group && t.deploymentId === primary.id && t.lastStatus !== "STOPPED");
  const td = fake.ecs.taskDefs.get(primary.taskDefinition);
  const breaker = s.deploymentConfiguration?.deploymentCircuitBreaker;
  for (;;) {
    for (const t of live().filter((x) => x.stopAt !== undefined && x.stopAt <= now)) stopTask(t, t.stoppedReason ?? "Task stopped", t.exitCode, t.stopAt);
    const failed = tasks().filter((t) => t.deploymentId === primary.id && t.lastStatus === "STOPPED" && t.stoppedReason !== "Service deleted" && t.stoppedReason !== "Scaled in")
      .sort((a, b) => a.stoppedAt! - b.stoppedAt!);
    primary.failedTasks = failed.length;
    if (primary.rolloutState === "IN_PROGRESS" && failed.length >= breakerThreshold(s.desiredCount) && breaker?.enable) {
      const at = failed[breakerThreshold(s.desiredCount) - 1]!.stoppedAt!;
      primary.rolloutState = "FAILED";
      primary.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
      s.events.push({ createdAt: new Date(at), message: `(service ${s.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.` });
      const previous = s.deployments.find((d) => d !== primary && d.rolloutState === "COMPLETED");
      if (breaker.rollback && previous) {
        for (const t of live()) stopTask(t, "Scaled in", 0, at);
        // Rollback: a new PRIMARY deployment with the last good task definition; the failed one goes away.
        s.taskDefinition = previous.taskDefinition;
        s.deployments = s.deployments.filter((d) => d !== primary);
        for (const d of s.deployments) d.status = "ACTIVE";
        s.deployments.unshift(newDeployment(fake, s, previous.taskDefinition, at));
        tickService(fake, s, now);
      }
      return;
    }
    if (primary.rolloutState === "FAILED" || !td || live().length >= s.desiredCount) break;
    // A free slot is filled when it frees up: at the deployment's start, or when its last task stopped.
    const at = Math.max(primary.createdAt, primary.scaledAt ?? 0, ...failed.map((t) => t.stoppedAt!));
    const subnetId = s.networkConfiguration?.awsvpcConfiguration?.subnets?.[0];
    while (live().length < s.desiredCount) launchTask(fake, td, s.clusterArn.split("/").pop()!, { group, deploymentId: primary.id, startedBy: primary.id, subnetId, capacityProviderName: primary.capacityProvider }, at);
  }
  for (const t of live().slice(s.desiredCount)) stopTask(t, "Scaled in", 0, now);
  const running = live();
  for (const t of running) refreshStatus(t, now);
  primary.desiredCount = s.desiredCount;
  primary.runningCount = running.filter((t) => t.lastStatus === "RUNNING").length;
  primary.pendingCount = running.length - primary.runningCount;
  if (primary.rolloutState !== "IN_PROGRESS") return;
  // When the new tasks are all healthy (or, without a load balancer, running): the old ones drain, stop, and the deployment completes.
  const readyAt = Math.max(0, ...running.map((t) => (s.loadBalancers.length ? t.healthyAt : t.startedAt) ?? Infinity));
  if (running.length < s.desiredCount || now < readyAt) return;
  // The earlier deployments' tasks: running ones, and those this rollout already drained and stopped.
  const old = tasks().filter((t) => t.group === group && t.deploymentId !== primary.id && s.deployments.some((d) => d.id === t.deploymentId) && (t.lastStatus !== "STOPPED" || t.drainFrom !== undefined));
  const delayMs = settingsFor(fake, group, 0).deregistrationDelaySeconds * 1000;
  for (const t of old.filter((x) => x.drainFrom === undefined)) {
    Object.assign(t, { drainFrom: readyAt, drainUntil: readyAt + delayMs, stopAt: readyAt + delayMs + TIMING.stopMs, stoppedReason: "Scaled in", exitCode: 0 });
  }
  const completedAt = running.length || old.length ? Math.max(readyAt, ...old.map((t) => t.stopAt!)) + TIMING.completeMs : readyAt;
  if (now < completedAt) return;
  for (const t of old.filter((x) => x.lastStatus !== "STOPPED")) stopTask(t, "Scaled in", 0, t.stopAt);
  primary.rolloutState = "COMPLETED";
  primary.rolloutStateReason = "ECS deployment completed.";
  s.deployments = [primary];
  s.events.push({ createdAt: new Date(completedAt), message: `(service ${s.name}) has reached a steady state.` });
}
