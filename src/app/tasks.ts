import { RunTaskCommand, StopTaskCommand, type Service, type Task } from "@aws-sdk/client-ecs";
import { randomUUID } from "node:crypto";
import { backoff, poll } from "../engine/poll.js";
import { describeTasks, findService, findTaskDefinition, taskId } from "../aws/ecs.js";
import { findDbInstance } from "../aws/rds.js";
import { awaitingFirstDeploy } from "../config/names.js";
import { ToolError, UserError } from "../errors.js";
import type { AppCtx } from "./context.js";
import { printOnce, readLogs, type LogLine } from "./logs.js";

/** A task's states before its container starts (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html). */
export const NOT_STARTED = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/**
 * Tasks started while the stack sleeps would run against a stopped database (StartDBInstance takes minutes, and
 * only `wake` also brings the service back): refused, saying what to run.
 */
export async function requireAwake(ctx: AppCtx, command: string): Promise<void> {
  const status = (await findDbInstance(ctx))?.DBInstanceStatus;
  if (status === "stopped" || status === "stopping") {
    throw new UserError(`the stack is asleep (its database is ${status}): \`${command}\` would start tasks that cannot reach it`, `run \`spontime-infra wake\` first, then \`spontime-infra ${command}\` again`);
  }
}

/** `run`: a one-off task of the revision the service runs, on the service's network. */
export async function runInService(ctx: AppCtx, command: string[], print: (l: LogLine) => void, o: { timeoutMs: number; liveLogs: boolean }): Promise<OneOff> {
  const service = await findService(ctx);
  if (!service?.taskDefinition) throw new UserError(`no ECS service ${ctx.names.service} to take the task definition and network from`, "run `spontime-infra up` and a first `deploy`");
  await requireAwake(ctx, "run");
  // Before the first deploy the revision names a tag nobody pushed: the task could only fail its pull.
  const image = (await findTaskDefinition(ctx, service.taskDefinition))?.taskDefinition.containerDefinitions?.find((c) => c.name === ctx.names.container)?.image;
  if (!image || awaitingFirstDeploy(image)) throw new UserError("no image deployed yet: deploy an image first", "push an image and run `spontime-infra deploy --tag <tag>`, then `run`");
  return runOneOff(ctx, service, service.taskDefinition, command, print, o);
}

export interface OneOff {
  task: Task;
  /** The container's exit code once it stopped; undefined when the wait ended first. */
  exitCode?: number;
  outcome: "exited" | "timeout" | "interrupted";
}

/**
 * A one-off task from a task definition, on the service's network (its subnet, security group, public IP),
 * with the container's command replaced. Streams the task's logs with a status line at least every 10 s;
 * answers the container's exit code. When the wait times out or is interrupted, the task is stopped, not
 * left running unwatched.
 */
export async function runOneOff(
  ctx: AppCtx, service: Service, taskDefinition: string, command: string[], print: (l: LogLine) => void,
  o: { timeoutMs: number; /** Stream lines as they come (`run`), or read them once the task stopped (a migration in CI: fewer calls). */ liveLogs: boolean },
): Promise<OneOff> {
  const start = ctx.clock.now();
  const out = await ctx.aws.ecs.send(new RunTaskCommand({
    cluster: ctx.names.cluster,
    taskDefinition,
    launchType: "FARGATE",
    networkConfiguration: service.networkConfiguration,
    overrides: { containerOverrides: [{ name: ctx.names.container, command }] },
    startedBy: ctx.names.startedBy,
    // The SDK retries a call whose response was lost with the same input: the token makes it the same task.
    clientToken: ctx.names.runClientToken(randomUUID()),
    count: 1,
  }));
  const arn = out.tasks?.[0]?.taskArn;
  if (!arn) throw new ToolError(`run task: ECS started nothing (${out.failures?.map((f) => `${f.reason}${f.detail ? `: ${f.detail}` : ""}`).join(", ") || "no reason given"})`);
  const id = taskId(arn);
  ctx.progress(`task ${id} started: ${command.join(" ")}`);
  const lines = printOnce(print);
  let task: Task = out.tasks![0]!;
  const r = await poll(async () => {
    task = (await describeTasks(ctx, [arn]))[0] ?? task;
    // No log stream before the container starts: no read either.
    if (o.liveLogs ? !NOT_STARTED.has(task.lastStatus ?? "PROVISIONING") : task.lastStatus === "STOPPED") {
      lines.print(await readLogs(ctx, { startTime: lines.since(start), taskId: id }));
    }
    return task.lastStatus === "STOPPED" ? { done: true as const, value: task } : { done: false as const, state: (task.lastStatus ?? "PROVISIONING").toLowerCase() };
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs: o.timeoutMs, delay: o.liveLogs ? backoff(3_000, 6_000) : backoff(5_000, 10_000),
    progress: (state, ms) => ctx.progress(`task ${id}: ${state} [${Math.round(ms / 1000)}s]`),
  });
  if (r.outcome !== "done") {
    const why = r.outcome === "interrupted" ? "interrupted" : `still ${r.state} after ${Math.round(r.elapsedMs / 1000)} s`;
    await ctx.aws.ecs.send(new StopTaskCommand({ cluster: ctx.names.cluster, task: arn, reason: `spontime-infra: ${why}` }));
    ctx.progress(`stopped task ${id} (${why})`);
    return { task, outcome: r.outcome };
  }
  const container = task.containers?.find((c) => c.name === ctx.names.container) ?? task.containers?.[0];
  if (container?.exitCode === undefined) {
    throw new ToolError(`task ${id} stopped without an exit code: ${task.stoppedReason ?? "unknown reason"}${container?.reason ? ` (${container.reason})` : ""}`);
  }
  return { task, exitCode: container.exitCode, outcome: "exited" };
}
