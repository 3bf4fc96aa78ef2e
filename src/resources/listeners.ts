import {
  CreateListenerCommand, DeleteListenerCommand, DeleteRuleCommand, DescribeListenersCommand, DescribeRulesCommand, ModifyListenerCommand,
  type Action, type Listener, type ProtocolEnum, type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ReadsCtx } from "../shared/reads.js";
import type { Stored } from "../engine/types.js";
import type { Aws } from "../aws/clients.js";
import { findLoadBalancer, listenersOf, ownElbTags } from "../aws/elbv2.js";
import { absentIfNotFound, ignoreNotFound } from "../aws/errors.js";
import { tagList, type Tags } from "../aws/tags.js";

type ListenerCtx = ReadsCtx & { aws: Aws; names: { alb: string; targetGroup: string } };

/** What a listener does with a request: forward it to the target group, or (HTTP with https on) redirect it. */
export type ListenerAction = { forwardTo: string } | { redirectTo: "HTTPS:443"; status: "HTTP_301" };

/** The listener's first default action as `ListenerAction` (a rule added by hand shows as a difference). */
export function actionOf(l: Listener): ListenerAction | undefined {
  const a = l.DefaultActions?.[0];
  if (a?.Type === "forward") return { forwardTo: a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? "" };
  const r = a?.RedirectConfig;
  if (a?.Type === "redirect" && r) return { redirectTo: `${r.Protocol}:${r.Port}` as "HTTPS:443", status: r.StatusCode as "HTTP_301" };
  return undefined;
}

/** The action in ELB's shape: a redirect keeps host, path and query (`#{...}` are ELB's placeholders). */
export function defaultActions(action: ListenerAction): Action[] {
  if ("forwardTo" in action) return [{ Type: "forward", TargetGroupArn: action.forwardTo }];
  const [Protocol, Port] = action.redirectTo.split(":");
  return [{ Type: "redirect", RedirectConfig: { Protocol, Port, Host: "#{host}", Path: "/#{path}", Query: "#{query}", StatusCode: action.status } }];
}

/** What the stack wants of a listener: HTTP, or HTTPS with its certificate and TLS policy. */
export interface ListenerSettings { port: number; protocol: string; certificateArn?: string; sslPolicy?: string; action: ListenerAction }

/** The settings in ELB's shape, the same for CreateListener and ModifyListener. */
const elbListenerSettings = (want: ListenerSettings) => ({
  Port: want.port,
  Protocol: want.protocol as ProtocolEnum,
  ...(want.certificateArn ? { Certificates: [{ CertificateArn: want.certificateArn }] } : {}),
  ...(want.sslPolicy ? { SslPolicy: want.sslPolicy } : {}),
  DefaultActions: defaultActions(want.action),
});

/**
 * A rule beyond the default action, as a person reads it (`path-pattern /admin/*` → `forward …/other-tg`). The
 * stack makes none: one added by hand sends some traffic elsewhere, and `up` deletes it.
 */
export interface ListenerRule { priority: string; if: string; then: string }

const ruleOf = (r: Rule): ListenerRule => ({
  priority: r.Priority ?? "",
  if: (r.Conditions ?? []).map((c) => `${c.Field} ${[...(c.Values ?? []), ...(c.PathPatternConfig?.Values ?? []), ...(c.HostHeaderConfig?.Values ?? [])].join(",")}`).join(" and "),
  then: (r.Actions ?? []).map((a) => `${a.Type} ${a.TargetGroupArn ?? a.RedirectConfig?.Host ?? a.FixedResponseConfig?.StatusCode ?? ""}`.trim()).join(", "),
});

/** The listener's rules other than its default one (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeRules.html). */
async function rulesOf(ctx: { aws: Aws }, listenerArn: string): Promise<{ rules: ListenerRule[]; ruleArns: string[] }> {
  const out = await ctx.aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
  const extra = (out.Rules ?? []).filter((r) => !r.IsDefault);
  return { rules: extra.map(ruleOf), ruleArns: extra.map((r) => r.RuleArn!) };
}

type Wanted = ListenerSettings & { loadBalancerArn: string; rules: ListenerRule[]; tags: Tags };

/** Create, update and delete of a listener, the same for HTTP and HTTPS: only the settings differ. */
export const listenerLifecycle = {
  async create(ctx: { aws: Aws }, want: Wanted) {
    // CreateListener with the same settings returns the existing listener: a retried call adopts it.
    const out = await ctx.aws.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: want.loadBalancerArn, ...elbListenerSettings(want), Tags: tagList(want.tags) }));
    const arn = out.Listeners![0]!.ListenerArn!;
    return { id: arn, outputs: { listenerArn: arn } };
  },
  async update(ctx: { aws: Aws }, want: Wanted, live: { id: string; attrs: { ruleArns?: string[] } }, changed: readonly string[]) {
    // The stack wants no rule: every one found is deleted (one already gone, a retried call, is deleted).
    if (changed.includes("rules")) for (const arn of live.attrs.ruleArns ?? []) await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: arn })));
    if (changed.some((f) => f !== "rules")) await ctx.aws.elbv2.send(new ModifyListenerCommand({ ListenerArn: live.id, ...elbListenerSettings(want) }));
  },
  /** Already gone (a retried call whose first answer was lost) is deleted. */
  async delete(ctx: { aws: Aws }, live: { id: string }) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: live.id })));
  },
};

/**
 * The listener on `port` of the stack's ALB (ELB has no tag filter for listeners), or the one whose ARN we
 * remember if it is elsewhere (a state file naming another stack's listener: refused by its tags).
 */
async function findListener(ctx: ListenerCtx, prior: Stored | undefined, port: number): Promise<Listener | undefined> {
  const lb = await findLoadBalancer(ctx);
  const listeners = lb?.LoadBalancerArn ? await listenersOf(ctx, lb.LoadBalancerArn) : [];
  const remembered = prior?.id ? listeners.find((l) => l.ListenerArn === prior.id) ?? (await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: [prior.id] }))))?.Listeners?.[0] : undefined;
  return remembered ?? listeners.find((l) => l.Port === port);
}

/** The stack's listener on `port` with its tags, refused (assertOurs) when it is not tagged for this stack. */
export async function findOwnListener(
  ctx: ListenerCtx & { spec: { appName: string } }, prior: Stored | undefined, port: number,
): Promise<{ listener: Listener & { ListenerArn: string }; tags: Tags; rules: ListenerRule[]; ruleArns: string[] } | undefined> {
  const l = await findListener(ctx, prior, port);
  if (!l?.ListenerArn) return undefined;
  const tags = await ownElbTags(ctx, "listener", l.ListenerArn, l.ListenerArn);
  return { listener: { ...l, ListenerArn: l.ListenerArn }, tags, ...(await rulesOf(ctx, l.ListenerArn)) };
}
