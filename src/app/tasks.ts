import { DescribeTasksCommand, ListTasksCommand, RunTaskCommand, type Service, type Task } from "@aws-sdk/client-ecs";
import { ToolError } from "../errors.js";
import type { AppCtx } from "./context.js";
import { followLogs, type LogLine } from "./logs.js";

export const taskId = (arn: string | undefined) => arn?.split("/").pop() ?? "";

export async function describeTasks(ctx: AppCtx, arns: string[]): Promise<Task[]> {
  if (!arns.length) return [];
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const page = await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: ctx.names.cluster, tasks: arns.slice(i, i + 100) }));
    out.push(...(page.tasks ?? []));
  }
  return out;
}

/** The service's recently stopped tasks, newest first (ECS keeps them about an hour). */
export async function stoppedTasks(ctx: AppCtx): Promise<Task[]> {
  const list = await ctx.aws.ecs.send(new ListTasksCommand({ cluster: ctx.names.cluster, serviceName: ctx.names.service, desiredStatus: "STOPPED" }));
  return (await describeTasks(ctx, list.taskArns ?? [])).sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
}

/**
 * A one-off task from a task definition, on the service's network (its subnet, security group, public IP),
 * with the container's command replaced. Streams the task's logs; answers the container's exit code.
 */
export async function runOneOff(ctx: AppCtx, service: Service, taskDefinition: string, command: string[], print: (l: LogLine) => void): Promise<{ exitCode: number; task: Task }> {
  const start = ctx.clock.now();
  const out = await ctx.aws.ecs.send(new RunTaskCommand({
    cluster: ctx.names.cluster,
    taskDefinition,
    launchType: "FARGATE",
    networkConfiguration: service.networkConfiguration,
    overrides: { containerOverrides: [{ name: ctx.names.container, command }] },
    startedBy: "spontime-infra run",
    count: 1,
  }));
  const arn = out.tasks?.[0]?.taskArn;
  if (!arn) throw new ToolError(`run task: ECS started nothing (${out.failures?.map((f) => f.reason).join(", ") || "no reason given"})`);
  let task: Task | undefined;
  ctx.progress(`task ${taskId(arn)} started: ${command.join(" ")}`);
  await followLogs(ctx, {
    startTime: start,
    taskIds: [taskId(arn)],
    until: async () => {
      task = (await describeTasks(ctx, [arn]))[0];
      if (task?.lastStatus !== "STOPPED") ctx.progress(`task ${taskId(arn)}: ${task?.lastStatus?.toLowerCase() ?? "starting"}`);
      return task?.lastStatus === "STOPPED";
    },
  }, print);
  const container = task?.containers?.find((c) => c.name === ctx.names.container) ?? task?.containers?.[0];
  if (container?.exitCode === undefined) {
    throw new ToolError(`task ${taskId(arn)} stopped without an exit code: ${task?.stoppedReason ?? "unknown reason"}${container?.reason ? ` (${container.reason})` : ""}`);
  }
  return { exitCode: container.exitCode, task: task! };
}
