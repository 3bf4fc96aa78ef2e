import { actionOf, findOwnListener, listenerLifecycle, type ListenerAction, type ListenerRule } from "./listeners.js";
import { type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import { certificateValidation } from "./certificate-validation.js";
import type { DesiredStack } from "./context.js";
import { loadBalancer } from "./load-balancer.js";
import { targetGroup } from "./target-group.js";
import { tagged } from "./tagging.js";

const KEY = "listener-https";

/**
 * TLS 1.3 and 1.2 only, forward secrecy: the policy ELB's own console proposes for new HTTPS listeners
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
 */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

const desired = (_spec: DesiredStack, ref: RefFn) => ({
  loadBalancerArn: ref(loadBalancer).loadBalancerArn,
  port: 443,
  protocol: "HTTPS",
  // The issued certificate: the listener waits for the validation, as ELB refuses a certificate not yet issued.
  certificateArn: ref(certificateValidation).certificateArn,
  sslPolicy: TLS_POLICY,
  action: { forwardTo: ref(targetGroup).targetGroupArn } as ListenerAction,
  rules: [] as ListenerRule[],
});
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Omit<Partial<Want>, "tags"> & { ruleArns?: string[]; tags: Tags };

export const httpsListener = tagged<Want, Attrs, { listenerArn: string }>({
  key: KEY,
  kind: "elbv2:listener",
  client: "elbv2",
  tagging: "elbv2",
  actions: { observe: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeRules"], create: ["elasticloadbalancing:CreateListener"], update: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:DeleteRule"], delete: ["elasticloadbalancing:DeleteListener"] },
  ignored: {
    "extra certificates (SNI), mutual TLS": "an extra certificate serves another name; the stack's certificate is the default one and is compared",
  },
  replaceOn: ["loadBalancerArn"],
  title: (spec) => `HTTPS listener :443${spec.https ? ` for ${spec.https.domain}` : ""} forwarding to the target group`,
  desired,
  async observe(ctx, prior) {
    const found = await findOwnListener(ctx, prior, 443);
    if (!found) return undefined;
    const { listener: l, tags, rules, ruleArns } = found;
    return {
      id: l.ListenerArn,
      state: "ready",
      attrs: {
        loadBalancerArn: l.LoadBalancerArn, port: l.Port, protocol: l.Protocol, certificateArn: l.Certificates?.[0]?.CertificateArn,
        sslPolicy: l.SslPolicy, action: actionOf(l), rules, ruleArns, tags,
      },
      outputs: { listenerArn: l.ListenerArn },
    };
  },
  ...listenerLifecycle,
});
