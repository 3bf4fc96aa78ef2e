import { actionOf, findOwnListener, listenerLifecycle, type ListenerAction, type ListenerRule } from "./listeners.js";
import { type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { DesiredStack } from "./context.js";
import { httpsListener } from "./https-listener.js";
import { loadBalancer } from "./load-balancer.js";
import { targetGroup } from "./target-group.js";
import { tagged } from "./tagging.js";

const KEY = "listener-http";

// With https on, plain HTTP answers a permanent redirect to the same URL on HTTPS (host, path, query kept).
const desired = (spec: DesiredStack, ref: RefFn) => {
  // Only once the HTTPS listener answers: no redirect to nothing while ACM waits for DNS. That read (no value
  // taken) orders it, and the ECS service after it: ECS refuses a target group that no listener forwards to.
  if (spec.https) ref(httpsListener);
  return {
    loadBalancerArn: ref(loadBalancer).loadBalancerArn,
    port: 80,
    protocol: "HTTP",
    action: (spec.https ? { redirectTo: "HTTPS:443", status: "HTTP_301" } : { forwardTo: ref(targetGroup).targetGroupArn }) as ListenerAction,
    rules: [] as ListenerRule[],
  };
};
type Attrs = { loadBalancerArn?: string; port?: number; protocol?: string; action?: ListenerAction; rules?: ListenerRule[]; ruleArns?: string[]; tags: Tags };

export const listener = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { listenerArn: string }>({
  key: KEY,
  kind: "elbv2:listener",
  client: "elbv2",
  tagging: "elbv2",
  actions: { observe: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeRules"], create: ["elasticloadbalancing:CreateListener"], update: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteRule"], delete: ["elasticloadbalancing:DeleteListener"] },
  replaceOn: ["loadBalancerArn"],
  title: (spec) => `HTTP listener :80 ${spec.https ? "redirecting to HTTPS" : "forwarding to the target group"}`,
  desired,
  async observe(ctx, prior) {
    const found = await findOwnListener(ctx, prior, 80);
    if (!found) return undefined;
    const { listener: l, tags, rules, ruleArns } = found;
    return {
      id: l.ListenerArn,
      state: "ready",
      attrs: { loadBalancerArn: l.LoadBalancerArn, port: l.Port, protocol: l.Protocol, action: actionOf(l), rules, ruleArns, tags },
      outputs: { listenerArn: l.ListenerArn },
    };
  },
  ...listenerLifecycle,
});
