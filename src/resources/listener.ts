import { CreateListenerCommand, DeleteListenerCommand, DescribeListenersCommand, ModifyListenerCommand, type Listener } from "@aws-sdk/client-elastic-load-balancing-v2";
import { absentIfNotFound, ignoreNotFound } from "../aws/errors.js";
import { elbTagsOf, findLoadBalancer } from "../aws/elbv2.js";
import { assertOurs, ownedTags, syncTags, tagList, type Tags } from "../aws/tags.js";
import { stackTags } from "../config/names.js";
import type { RefFn, Stored } from "../engine/types.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";
import { loadBalancer } from "./load-balancer.js";
import { targetGroup } from "./target-group.js";

const KEY = "listener-http";

const desired = (spec: DesiredStack, ref: RefFn) => ({
  loadBalancerArn: ref(loadBalancer).loadBalancerArn,
  port: 80,
  protocol: "HTTP",
  forwardTo: ref(targetGroup).targetGroupArn,
  tags: stackTags(spec, KEY),
});
type Attrs = { loadBalancerArn?: string; port?: number; protocol?: string; forwardTo?: string; tags: Tags };

/** By the ARN we remember, else the port-80 listener of the stack's ALB (ELB has no tag filter for listeners). */
async function findListener(ctx: Ctx, prior: Stored | undefined): Promise<Listener | undefined> {
  if (prior?.id) {
    const byArn = await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: [prior.id] })));
    if (byArn?.Listeners?.[0]) return byArn.Listeners[0];
  }
  const lb = await findLoadBalancer(ctx);
  if (!lb?.LoadBalancerArn) return undefined;
  const out = await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })));
  return out?.Listeners?.find((l) => l.Port === 80);
}

const forward = (targetGroupArn: string) => [{ Type: "forward" as const, TargetGroupArn: targetGroupArn }];

export const listener: StackResource<ReturnType<typeof desired>, Attrs, { listenerArn: string }> = {
  key: KEY,
  kind: "elbv2:listener",
  replaceOn: ["loadBalancerArn"],
  title: () => "HTTP listener :80 forwarding to the target group",
  desired,
  async observe(ctx, prior) {
    const l = await findListener(ctx, prior);
    if (!l?.ListenerArn) return undefined;
    const tags = await elbTagsOf(ctx, l.ListenerArn);
    assertOurs("listener", l.ListenerArn, tags, ctx.spec.appName);
    return {
      id: l.ListenerArn,
      state: "ready",
      attrs: { loadBalancerArn: l.LoadBalancerArn, port: l.Port, protocol: l.Protocol, forwardTo: l.DefaultActions?.find((a) => a.Type === "forward")?.TargetGroupArn, tags: ownedTags(tags, ctx.spec) },
      outputs: { listenerArn: l.ListenerArn },
    };
  },
  async create(ctx, want) {
    // CreateListener with the same settings returns the existing listener: a retried call adopts it.
    const out = await ctx.aws.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: want.loadBalancerArn, Port: want.port, Protocol: "HTTP", DefaultActions: forward(want.forwardTo), Tags: tagList(want.tags),
    }));
    const arn = out.Listeners![0]!.ListenerArn!;
    return { id: arn, outputs: { listenerArn: arn } };
  },
  async update(ctx, want, live, changed) {
    if (changed.some((f) => f !== "tags")) await ctx.aws.elbv2.send(new ModifyListenerCommand({ ListenerArn: live.id, Port: want.port, Protocol: "HTTP", DefaultActions: forward(want.forwardTo) }));
    if (changed.includes("tags")) await syncTags(ctx.aws, "elbv2", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: live.id })));
  },
};
