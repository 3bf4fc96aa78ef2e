import {
  CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTargetGroupAttributesCommand,
  ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { codeSaying, hasCode, ignoreNotFound } from "../aws/errors.js";
import { findTargetGroup, ownElbTags } from "../aws/elbv2.js";
import { tagList, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { vpc } from "./vpc.js";
import { tagged } from "./tagging.js";

const KEY = "target-group";

/**
 * The target group's own port is not managed: ECS registers each task's IP with the container port, and the
 * health check goes to that "traffic port". So a new container port never forces a new target group (which a
 * listener still forwarding to the old one would block: ResourceInUse).
 */
const desired = (spec: DesiredStack, ref: RefFn) => ({
  vpcId: ref(vpc).vpcId,
  protocol: "HTTP",
  // Fargate tasks (awsvpc) register by IP, never by instance.
  targetType: "ip",
  healthCheckPath: spec.app.healthPath,
  healthCheckIntervalSeconds: spec.app.healthCheck.intervalSeconds,
  healthCheckTimeoutSeconds: spec.app.healthCheck.timeoutSeconds,
  // AWS's default 5 passes × 30 s keeps a new task from traffic for 150 s on every deploy; 2 is its minimum.
  healthyThreshold: spec.app.healthCheck.healthyThreshold,
  unhealthyThreshold: spec.app.healthCheck.unhealthyThreshold,
  matcher: "200",
  // AWS's defaults, relied on: the check is on, over HTTP, to each task's own port.
  healthCheckEnabled: true,
  healthCheckProtocol: "HTTP",
  healthCheckPort: "traffic-port",
  // The default 300 s would make every deploy wait five minutes for the old task to drain.
  deregistrationDelaySeconds: spec.app.deregistrationDelaySeconds,
  // AWS's defaults, relied on: no sticky sessions (Django keeps sessions in the database), no slow start (a deploy
  // would wait it out), requests spread round robin.
  stickiness: false,
  slowStartSeconds: 0,
  algorithm: "round_robin",
});
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Omit<{ [K in keyof Want]?: Want[K] }, "tags"> & { tags: Tags };

const healthCheck = (want: Want) => ({
  HealthCheckEnabled: want.healthCheckEnabled, HealthCheckProtocol: want.healthCheckProtocol as "HTTP", HealthCheckPort: want.healthCheckPort,
  HealthCheckPath: want.healthCheckPath, HealthCheckIntervalSeconds: want.healthCheckIntervalSeconds, HealthCheckTimeoutSeconds: want.healthCheckTimeoutSeconds,
  HealthyThresholdCount: want.healthyThreshold, UnhealthyThresholdCount: want.unhealthyThreshold, Matcher: { HttpCode: want.matcher },
});

/** The compared target group attributes (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html). */
const ATTRIBUTE = {
  deregistrationDelaySeconds: "deregistration_delay.timeout_seconds",
  stickiness: "stickiness.enabled",
  slowStartSeconds: "slow_start.duration_seconds",
  algorithm: "load_balancing.algorithm.type",
} as const;
type AttributeField = keyof typeof ATTRIBUTE;
const isAttribute = (f: string): f is AttributeField => f in ATTRIBUTE;

function attributesOf(list: { Key?: string; Value?: string }[]): Pick<Attrs, AttributeField> {
  const a = Object.fromEntries(list.map((x) => [x.Key, x.Value]));
  const num = (k: string) => (a[k] === undefined ? undefined : Number(a[k]));
  return {
    deregistrationDelaySeconds: num(ATTRIBUTE.deregistrationDelaySeconds), stickiness: a[ATTRIBUTE.stickiness] === undefined ? undefined : a[ATTRIBUTE.stickiness] === "true",
    slowStartSeconds: num(ATTRIBUTE.slowStartSeconds), algorithm: a[ATTRIBUTE.algorithm],
  };
}

const setAttributes = (ctx: Ctx, arn: string, want: Want, fields: AttributeField[]) =>
  ctx.aws.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: fields.map((f) => ({ Key: ATTRIBUTE[f], Value: String(want[f]) })) }));

// ELB can call a VPC created a moment ago unknown until EC2's view reaches it.
const vpcNotVisibleYet = codeSaying("ValidationError", /VPC ID .* not found/i);

export const targetGroup = tagged<Want, Attrs, { targetGroupArn: string }>({
  key: KEY,
  kind: "elbv2:target-group",
  client: "elbv2",
  tagging: "elbv2",
  actions: { observe: ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTags"], create: ["elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes"], update: ["elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes"], delete: ["elasticloadbalancing:DeleteTargetGroup"] },
  ignored: {
    "stickiness type and cookie duration": "they matter only with stickiness on, which is compared",
    "IP address type, protocol version": "fixed at creation",
  },
  replaceOn: ["vpcId", "protocol", "targetType"],
  // A listener still forwards to it.
  inUse: hasCode("ResourceInUse"),
  // CreateTargetGroup returns the existing group only for the very same settings (API_CreateTargetGroup); one of
  // ours made with other settings (a crashed or racing run, or an emulator's retry) answers this: found by name,
  // adopted if tagged for the stack, then updated.
  alreadyExists: hasCode("DuplicateTargetGroupName"),
  title: (spec) => `target group ${spec.appName}-tg (ip, ${spec.app.healthPath} every ${spec.app.healthCheck.intervalSeconds} s)`,
  desired,
  async observe(ctx) {
    const tg = await findTargetGroup(ctx);
    if (!tg?.TargetGroupArn) return undefined;
    const tags = await ownElbTags(ctx, "target group", ctx.names.targetGroup, tg.TargetGroupArn);
    const attributes = await ctx.aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
    return {
      id: tg.TargetGroupArn,
      state: "ready",
      attrs: {
        vpcId: tg.VpcId, protocol: tg.Protocol, targetType: tg.TargetType, healthCheckPath: tg.HealthCheckPath,
        healthCheckIntervalSeconds: tg.HealthCheckIntervalSeconds, healthCheckTimeoutSeconds: tg.HealthCheckTimeoutSeconds,
        healthyThreshold: tg.HealthyThresholdCount, unhealthyThreshold: tg.UnhealthyThresholdCount, matcher: tg.Matcher?.HttpCode,
        healthCheckEnabled: tg.HealthCheckEnabled, healthCheckProtocol: tg.HealthCheckProtocol, healthCheckPort: tg.HealthCheckPort,
        ...attributesOf(attributes.Attributes ?? []), tags,
      },
      outputs: { targetGroupArn: tg.TargetGroupArn },
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.elbv2.sendWith({ retryIf: vpcNotVisibleYet, deadlineMs: 60_000 })(new CreateTargetGroupCommand({
      Name: ctx.names.targetGroup, Protocol: "HTTP", Port: ctx.spec.app.containerPort, VpcId: want.vpcId, TargetType: "ip",
      ...healthCheck(want), Tags: tagList(want.tags),
    }));
    const arn = out.TargetGroups![0]!.TargetGroupArn!;
    // The other attributes are AWS's defaults: only the delay differs.
    await setAttributes(ctx, arn, want, ["deregistrationDelaySeconds"]);
    return { id: arn, outputs: { targetGroupArn: arn } };
  },
  async update(ctx, want, live, changed) {
    if (changed.some((f) => !isAttribute(f))) {
      await ctx.aws.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: live.id, ...healthCheck(want) }));
    }
    const attributes = changed.filter(isAttribute);
    if (attributes.length) await setAttributes(ctx, live.id, want, attributes);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: live.id })));
  },
});
