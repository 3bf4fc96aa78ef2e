import {
  CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand,
  ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { absentIfNotFound, ignoreNotFound } from "../aws/ec2.js";
import { errorCode } from "../aws/errors.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { elbTagsOf } from "../aws/elbv2.js";
import { checkOwnedWhenAdopting, keyValueTags } from "./owned.js";

const KEY = "target-group";

const desired = (spec: Target, deps: Deps) => ({
  vpcId: deps("vpc").vpcId!,
  protocol: "HTTP",
  port: spec.app.containerPort,
  // Fargate tasks (awsvpc) register by IP, never by instance.
  targetType: "ip",
  healthCheckPath: spec.app.healthPath,
  // AWS's defaults (5 healthy checks, 300 s draining) make a one-task deploy take 8-9 minutes; see the spec.
  healthCheckIntervalSeconds: spec.app.healthCheck.intervalSeconds,
  healthCheckTimeoutSeconds: spec.app.healthCheck.timeoutSeconds,
  healthyThresholdCount: spec.app.healthCheck.healthyThreshold,
  unhealthyThresholdCount: spec.app.healthCheck.unhealthyThreshold,
  matcher: "200",
  deregistrationDelaySeconds: spec.app.deregistrationDelaySeconds,
});
type Want = ReturnType<typeof desired>;

const healthCheck = (want: Want) => ({
  HealthCheckPath: want.healthCheckPath, HealthCheckIntervalSeconds: want.healthCheckIntervalSeconds, HealthCheckTimeoutSeconds: want.healthCheckTimeoutSeconds,
  HealthyThresholdCount: want.healthyThresholdCount, UnhealthyThresholdCount: want.unhealthyThresholdCount, Matcher: { HttpCode: want.matcher },
});

const setDeregistrationDelay = (ctx: Ctx, arn: string, seconds: number) =>
  ctx.aws.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: String(seconds) }] }));

// ELB can call a VPC created a moment ago unknown until EC2's view reaches it.
const vpcNotVisibleYet = (e: unknown) => errorCode(e) === "ValidationError" && /VPC ID .* not found/i.test((e as Error).message ?? "");

export const targetGroup: Resource<Want> = {
  key: KEY,
  kind: "elbv2:target-group",
  dependsOn: ["vpc"],
  replaceOn: ["vpcId", "protocol", "port", "targetType"],
  title: (spec) => `target group ${spec.appName}-tg (ip, ${spec.app.healthPath} every ${spec.app.healthCheck.intervalSeconds} s)`,
  desired,
  async observe(ctx, prior) {
    const tg = (await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [ctx.names.targetGroup] }))))?.TargetGroups?.[0];
    if (!tg?.TargetGroupArn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `target group ${ctx.names.targetGroup}`, tg.TargetGroupArn, () => elbTagsOf(ctx, tg.TargetGroupArn!));
    const attrs = await ctx.aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
    const delay = attrs.Attributes?.find((a) => a.Key === "deregistration_delay.timeout_seconds")?.Value;
    return {
      id: tg.TargetGroupArn,
      attrs: {
        vpcId: tg.VpcId, protocol: tg.Protocol, port: tg.Port, targetType: tg.TargetType, healthCheckPath: tg.HealthCheckPath,
        healthCheckIntervalSeconds: tg.HealthCheckIntervalSeconds, healthCheckTimeoutSeconds: tg.HealthCheckTimeoutSeconds,
        healthyThresholdCount: tg.HealthyThresholdCount, unhealthyThresholdCount: tg.UnhealthyThresholdCount, matcher: tg.Matcher?.HttpCode, deregistrationDelaySeconds: delay === undefined ? undefined : Number(delay),
      },
      outputs: { targetGroupArn: tg.TargetGroupArn },
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.elbv2.sendWith({ retryIf: vpcNotVisibleYet, deadlineMs: 60_000 })(new CreateTargetGroupCommand({
      Name: ctx.names.targetGroup, Protocol: "HTTP", Port: want.port, VpcId: want.vpcId, TargetType: "ip",
      HealthCheckEnabled: true, ...healthCheck(want),
      Tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    const arn = out.TargetGroups![0]!.TargetGroupArn!;
    await setDeregistrationDelay(ctx, arn, want.deregistrationDelaySeconds);
    return { id: arn, outputs: { targetGroupArn: arn } };
  },
  async update(ctx, want, live, changed) {
    if (changed.some((f) => f !== "deregistrationDelaySeconds")) {
      await ctx.aws.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: live.id, ...healthCheck(want) }));
    }
    if (changed.includes("deregistrationDelaySeconds")) await setDeregistrationDelay(ctx, live.id, want.deregistrationDelaySeconds);
  },
  async delete(ctx, live) {
    // ResourceInUse while a listener still forwards to it: the engine retries.
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: live.id })));
  },
};
