/**
 * What ECS tasks and service deployments do on the clock: a task is RUNNING 60 s after launch and its target
 * healthy 3 min later; images behave as pushed (ecr.ts: `ok`, `crash`, `http400`), a missing image fails the
 * pull; the deployment circuit breaker fails a deployment after 3 failed tasks and rolls back to the last
 * completed one. The container's name, port and log stream come from the requests (the task definition's
 * container and awslogs options, the service's load balancer block), never from the product's conventions.
 */
import type { FakeAws } from "./aws.js";
import { LATENCY } from "./common.js";
import { imageBehavior, type ImageBehavior } from "./ecr.js";
import type { EcsService, TaskDef } from "./ecs.js";

export interface Deployment {
  id: string; status: "PRIMARY" | "ACTIVE"; taskDefinition: string; desiredCount: number; rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED"; rolloutStateReason?: string;
  createdAt: number; failedTasks: number; runningCount: number; pendingCount: number;
}
export interface Task {
  arn: string; id: string; taskDefinitionArn: string; cluster: string; container: string; ip: string; behavior: ImageBehavior | "missing"; createdAt: number;
  lastStatus: "PROVISIONING" | "RUNNING" | "STOPPED"; desiredStatus: "RUNNING" | "STOPPED"; stoppedReason?: string; exitCode?: number; stopAt?: number;
  startedBy?: string; group?: string; deploymentId?: string; command?: string[];
}
interface TargetHealth { State: "initial" | "healthy" | "unhealthy"; Reason?: string; Description?: string }

/**
 * The awslogs driver names a task's stream `<awslogs-stream-prefix>/<container name>/<task id>`.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
 */
const streamName = (prefix: string | undefined, container: string, taskId: string) => (prefix ? `${prefix}/${container}/${taskId}` : taskId);

export function launchTask(fake: FakeAws, td: TaskDef, clusterName: string, extra: { startedBy?: string; group?: string; deploymentId?: string; command?: string[] }): Task {
  const id = fake.nextSeq().toString(16).padStart(32, "0");
  const container = td.def.containerDefinitions![0]!;
  const behavior = imageBehavior(fake, container.image!);
  const t: Task = {
    arn: fake.arn("ecs", `task/${clusterName}/${id}`), id, taskDefinitionArn: td.arn, createdAt: fake.clock.now(), lastStatus: "PROVISIONING", desiredStatus: "RUNNING",
    ip: `10.0.1.${(fake.state.seq % 250) + 2}`, behavior, cluster: clusterName, container: container.name!, ...extra,
  };
  const options = container.logConfiguration?.options ?? {};
  const group = fake.logs.groups.get(options["awslogs-group"] ?? "");
  const stream = streamName(options["awslogs-stream-prefix"], t.container, id);
  const log = (message: string, at: number) => group?.events.push({ logStreamName: stream, timestamp: at, message });
  const port = container.portMappings?.[0]?.containerPort;
  const running = t.createdAt + LATENCY.taskRunning;
  if (behavior === "missing") {
    t.stopAt = t.createdAt + LATENCY.taskExit;
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
    if (behavior === "http400") {
      t.stopAt = running + LATENCY.targetHealthy;
      t.exitCode = 0;
      t.stoppedReason = "Task failed ELB health checks in (target-group)";
      log(`Invalid HTTP_HOST header: '${t.ip}:${port}'. You may need to add '${t.ip}' to ALLOWED_HOSTS.`, running + 30_000);
    }
  }
  fake.ecs.tasks.set(t.arn, t);
  return t;
}

export function stopTask(t: Task, reason: string, exitCode?: number): void {
  t.lastStatus = "STOPPED";
  t.desiredStatus = "STOPPED";
  t.stoppedReason = reason;
  if (exitCode !== undefined) t.exitCode = exitCode;
}

export function startDeployment(fake: FakeAws, s: EcsService): void {
  for (const d of s.deployments) d.status = "ACTIVE";
  s.deployments.unshift(newDeployment(fake, s, s.taskDefinition));
  tickService(fake, s, fake.clock.now());
}

const newDeployment = (fake: FakeAws, s: EcsService, taskDefinition: string): Deployment => ({
  id: fake.id("ecs-svc"), status: "PRIMARY", taskDefinition, desiredCount: s.desiredCount, rolloutState: "IN_PROGRESS", createdAt: fake.clock.now(), failedTasks: 0, runningCount: 0, pendingCount: 0,
});

/** The service a task belongs to, and the target (group, port) its load balancer block registers the task as. */
function target(fake: FakeAws, t: Task): { targetGroupArn?: string; port?: number } {
  const svc = [...fake.ecs.services.values()].find((s) => `service:${s.name}` === t.group);
  const lb = svc?.loadBalancers[0];
  return { targetGroupArn: lb?.targetGroupArn, port: lb?.containerPort };
}

function targetHealth(fake: FakeAws, t: Task): TargetHealth {
  if (t.lastStatus !== "RUNNING") return { State: "initial", Reason: "Elb.RegistrationInProgress" };
  if (t.behavior === "http400") return { State: "unhealthy", Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [400]" };
  if (fake.clock.now() < t.createdAt + LATENCY.taskRunning + LATENCY.targetHealthy) return { State: "initial", Reason: "Elb.InitialHealthChecking" };
  return { State: "healthy" };
}

/** The targets registered in a target group: every live task of a service that names it. */
export function targetsOf(fake: FakeAws, targetGroupArn: string): { id: string; port?: number; health: TargetHealth }[] {
  return [...fake.ecs.tasks.values()]
    .filter((t) => t.group && t.lastStatus !== "STOPPED" && target(fake, t).targetGroupArn === targetGroupArn)
    .map((t) => ({ id: t.ip, port: target(fake, t).port, health: targetHealth(fake, t) }));
}

/** What GET http://<alb-dns>/... answers: 200 once a healthy target of a working image serves it. */
export function httpGet(fake: FakeAws, url: string): number {
  const host = new URL(url).host;
  const lb = [...fake.elb.lbs.values()].find((l) => l.dns === host);
  if (!lb || lb.state !== "active") throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  const tgArns = [...fake.elb.listeners.values()].filter((l) => l.lbArn === lb.arn).map((l) => l.targetGroupArn);
  const healthy = tgArns.some((arn) => targetsOf(fake, arn).some((x) => x.health.State === "healthy"));
  return healthy && !fake.httpDown ? 200 : 503;
}

/** Moves every service, task and draining service forward to `now`. */
export function tickEcs(fake: FakeAws, now: number): void {
  const { services, tasks } = fake.ecs;
  for (const svc of services.values()) tickService(fake, svc, now);
  for (const task of tasks.values()) {
    if (task.lastStatus !== "STOPPED" && task.stopAt !== undefined && now >= task.stopAt) stopTask(task, task.stoppedReason ?? "Task stopped", task.exitCode);
    else if (task.lastStatus === "PROVISIONING" && now >= task.createdAt + LATENCY.taskRunning) task.lastStatus = "RUNNING";
  }
  for (const svc of services.values()) if (svc.status === "DRAINING" && now >= svc.inactiveAt) svc.status = "INACTIVE";
}

/** Rolls a service's deployments forward on the clock, with the circuit breaker's rollback. */
export function tickService(fake: FakeAws, s: EcsService, now: number): void {
  if (s.status !== "ACTIVE") return;
  const primary = s.deployments[0];
  if (!primary) return;
  const tasks = () => [...fake.ecs.tasks.values()];
  const group = `service:${s.name}`;
  const live = () => tasks().filter((t) => t.group === group && t.deploymentId === primary.id && t.lastStatus !== "STOPPED");
  const td = fake.ecs.taskDefs.get(primary.taskDefinition);
  const breaker = s.deploymentConfiguration?.deploymentCircuitBreaker;
  // Count failed tasks of the primary; replace them while the breaker allows.
  primary.failedTasks = tasks().filter((t) => t.deploymentId === primary.id && t.lastStatus === "STOPPED" && t.stoppedReason !== "Service deleted" && t.stoppedReason !== "Scaled in").length;
  if (primary.rolloutState === "IN_PROGRESS" && primary.failedTasks >= 3 && breaker?.enable) {
    primary.rolloutState = "FAILED";
    primary.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
    s.events.push({ createdAt: new Date(now), message: `(service ${s.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.` });
    const previous = s.deployments.find((d) => d !== primary && d.rolloutState === "COMPLETED");
    if (breaker.rollback && previous) {
      for (const t of live()) stopTask(t, "Scaled in", 0);
      // Rollback: a new PRIMARY deployment with the last good task definition; the failed one goes away.
      s.taskDefinition = previous.taskDefinition;
      s.deployments = s.deployments.filter((d) => d !== primary);
      for (const d of s.deployments) d.status = "ACTIVE";
      s.deployments.unshift(newDeployment(fake, s, previous.taskDefinition));
      tickService(fake, s, now);
    }
    return;
  }
  if (primary.rolloutState === "FAILED") return;
  let running = live();
  while (running.length < s.desiredCount && td) {
    launchTask(fake, td, s.clusterArn.split("/").pop()!, { group, deploymentId: primary.id, startedBy: `ecs-svc/${primary.id}` });
    running = live();
  }
  for (const t of running.slice(s.desiredCount)) stopTask(t, "Scaled in", 0);
  running = live();
  primary.desiredCount = s.desiredCount;
  primary.runningCount = running.filter((t) => t.lastStatus === "RUNNING").length;
  primary.pendingCount = running.length - primary.runningCount;
  const healthy = running.filter((t) => targetHealth(fake, t).State === "healthy" || (!s.loadBalancers.length && t.lastStatus === "RUNNING")).length;
  if (primary.rolloutState === "IN_PROGRESS" && healthy >= s.desiredCount) {
    primary.rolloutState = "COMPLETED";
    primary.rolloutStateReason = "ECS deployment completed.";
    for (const old of s.deployments.slice(1)) for (const t of tasks().filter((x) => x.deploymentId === old.id && x.lastStatus !== "STOPPED")) stopTask(t, "Scaled in", 0);
    s.deployments = [primary];
    s.events.push({ createdAt: new Date(now), message: `(service ${s.name}) has reached a steady state.` });
  }
}
