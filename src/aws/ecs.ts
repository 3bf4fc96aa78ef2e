import {
  DeregisterTaskDefinitionCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput, type Service, type Task, type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { sharedRead, type ReadsCtx } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { codeSaying, errorCode } from "./errors.js";
import { tagMap } from "./tags.js";

type EcsCtx = { aws: Aws; names: { cluster: string; service: string } } & ReadsCtx;

/** The stack's service if it is ACTIVE or DRAINING; an INACTIVE service is a deleted one. Shared while observing. */
export function findService(ctx: EcsCtx): Promise<Service | undefined> {
  return sharedRead(ctx, "ecs:service", () => describeService(ctx));
}

async function describeService(ctx: EcsCtx): Promise<Service | undefined> {
  try {
    const out = await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: ctx.names.cluster, services: [ctx.names.service], include: ["TAGS"] }));
    const s = out.services?.[0];
    return s && s.status !== "INACTIVE" ? s : undefined;
  } catch (e) {
    if (errorCode(e) === "ClusterNotFoundException") return undefined;
    throw e;
  }
}

/** The family's newest ACTIVE revision (AWS answers the family name with it; an emulator may answer an INACTIVE one). */
export async function activeTaskDefinition(ctx: EcsCtx, family: string): ReturnType<typeof findTaskDefinition> {
  const found = await findTaskDefinition(ctx, family);
  return found?.taskDefinition.status === "ACTIVE" ? found : undefined;
}

/**
 * ECS answers a family without revisions with ClientException "Unable to describe task definition."
 * (strvcom/terraform-aws-fargate#45); it answers ClientException for much else too (a throttled family, a
 * malformed ARN), which is not "absent".
 */
const familyMissing = codeSaying("ClientException", /Unable to describe task definition/i);

/** A task definition by family or ARN; undefined when the family has no ACTIVE revision. */
export async function findTaskDefinition(ctx: EcsCtx, ref: string): Promise<{ taskDefinition: TaskDefinition; tags: Record<string, string> } | undefined> {
  try {
    const out = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ["TAGS"] }));
    if (!out.taskDefinition) return undefined;
    return { taskDefinition: out.taskDefinition, tags: tagMap(out.tags) };
  } catch (e) {
    if (familyMissing(e)) return undefined;
    throw e;
  }
}

/** What makes two revisions run the same thing (the rest, revision numbers, ARNs and dates, differs between any two). */
const sameDefinition = (a: TaskDefinition, b: TaskDefinition) => {
  const of = (t: TaskDefinition) => JSON.stringify([t.family, t.containerDefinitions, t.cpu, t.memory, t.executionRoleArn, t.taskRoleArn, t.runtimePlatform, t.networkMode, t.requiresCompatibilities]);
  return of(a) === of(b);
};

/**
 * RegisterTaskDefinition has no idempotency token
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html): when its answer is
 * lost, the SDK's retry registers a second, identical revision. So the revision just before the new one, if it is
 * the same definition and nothing runs it (`running`: the service's revision), is that extra copy: deregistered.
 */
export async function registerTaskDefinition(ctx: EcsCtx, input: RegisterTaskDefinitionCommandInput, running: string | undefined): Promise<TaskDefinition> {
  const registered = (await ctx.aws.ecs.send(new RegisterTaskDefinitionCommand(input))).taskDefinition!;
  const revision = registered.revision ?? 1;
  if (revision > 1) {
    const before = (await findTaskDefinition(ctx, `${registered.family}:${revision - 1}`))?.taskDefinition;
    if (before?.status === "ACTIVE" && before.taskDefinitionArn !== running && sameDefinition(before, registered)) {
      await ctx.aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: before.taskDefinitionArn }));
    }
  }
  return registered;
}

type Deployment = NonNullable<Service["deployments"]>[number];

/** Where one deployment stands, as ECS shows it. */
export type RolloutReading =
  | { is: "completed" }
  | { is: "failed"; reason: string | undefined }
  | { is: "rolled back"; primary: Deployment; reason: string | undefined }
  | { is: "rolling"; deployment: Deployment }
  | { is: "not listed yet" };

/**
 * The one reading of a rollout, for `up`'s service and for `deploy`: the deployment `id` while it is PRIMARY;
 * else a PRIMARY that came after it (`isNewer`) means it was rolled back (the circuit breaker's rollback is
 * itself a deployment that completes), and an older one that DescribeServices does not list it yet (ECS is
 * eventually consistent: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html).
 */
export function readRollout(s: Service | undefined, id: string, isNewer: (primary: Deployment) => boolean): RolloutReading {
  const ours = s?.deployments?.find((d) => d.id === id);
  const primary = s?.deployments?.find((d) => d.status === "PRIMARY");
  if (ours && ours === primary) {
    if (ours.rolloutState === "FAILED") return { is: "failed", reason: ours.rolloutStateReason };
    if (ours.rolloutState === "COMPLETED") return { is: "completed" };
    return { is: "rolling", deployment: ours };
  }
  if (primary && isNewer(primary)) return { is: "rolled back", primary, reason: ours?.rolloutStateReason };
  return { is: "not listed yet" };
}

export const taskId = (arn: string | undefined) => arn?.split("/").pop() ?? "";

type TasksCtx = { aws: Aws; names: { cluster: string; service: string } };

export async function describeTasks(ctx: TasksCtx, arns: string[]): Promise<Task[]> {
  if (!arns.length) return [];
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const page = await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: ctx.names.cluster, tasks: arns.slice(i, i + 100) }));
    out.push(...(page.tasks ?? []));
  }
  return out;
}

/** The service's recently stopped tasks, newest first (ECS keeps them about an hour). */
export async function stoppedTasks(ctx: TasksCtx): Promise<Task[]> {
  const list = await ctx.aws.ecs.send(new ListTasksCommand({ cluster: ctx.names.cluster, serviceName: ctx.names.service, desiredStatus: "STOPPED" }));
  return (await describeTasks(ctx, list.taskArns ?? [])).sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
}

/** How a stopped task ended, in ECS's words: `task <id> stopped: <reason> (exit code N)`. */
export function howItStopped(t: Task, container: string): string {
  const c = t.containers?.find((x) => x.name === container);
  return `task ${taskId(t.taskArn)} stopped: ${t.stoppedReason ?? "unknown reason"}${c?.exitCode !== undefined && c.exitCode !== null ? ` (exit code ${c.exitCode})` : ""}${c?.reason ? `: ${c.reason}` : ""}`;
}
