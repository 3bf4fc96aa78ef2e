import { CreateListenerCommand, DeleteListenerCommand, DescribeListenersCommand, ModifyListenerCommand, type Listener } from "@aws-sdk/client-elastic-load-balancing-v2";
import { absentIfNotFound, ignoreNotFound } from "../aws/ec2.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import type { StoredResource } from "../state/store.js";
import { findLoadBalancer } from "../aws/elbv2.js";
import { keyValueTags } from "./owned.js";

const KEY = "listener-http";

const desired = (_spec: Target, deps: Deps) => ({
  loadBalancerArn: deps("load-balancer").loadBalancerArn!,
  port: 80,
  protocol: "HTTP",
  forwardTo: deps("target-group").targetGroupArn!,
});

/** By the ARN we remember, else the port-80 listener of the stack's ALB (ELB has no tag filter for listeners). */
async function findListener(ctx: Ctx, prior: StoredResource | undefined): Promise<Listener | undefined> {
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

export const listener: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "elbv2:listener",
  dependsOn: ["load-balancer", "target-group"],
  replaceOn: ["loadBalancerArn"],
  title: () => "HTTP listener :80 forwarding to the target group",
  desired,
  async observe(ctx, prior) {
    const l = await findListener(ctx, prior);
    if (!l?.ListenerArn) return undefined;
    return {
      id: l.ListenerArn,
      attrs: { loadBalancerArn: l.LoadBalancerArn, port: l.Port, protocol: l.Protocol, forwardTo: l.DefaultActions?.find((a) => a.Type === "forward")?.TargetGroupArn },
      outputs: { listenerArn: l.ListenerArn },
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: want.loadBalancerArn, Port: 80, Protocol: "HTTP", DefaultActions: forward(want.forwardTo), Tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    const arn = out.Listeners![0]!.ListenerArn!;
    return { id: arn, outputs: { listenerArn: arn } };
  },
  async update(ctx, want, live) {
    await ctx.aws.elbv2.send(new ModifyListenerCommand({ ListenerArn: live.id, Port: 80, Protocol: "HTTP", DefaultActions: forward(want.forwardTo) }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: live.id })));
  },
};
