import { DescribeListenersCommand, type Action, type Listener } from "@aws-sdk/client-elastic-load-balancing-v2";
import { sharedRead, type ReadsCtx } from "../engine/reads.js";
import type { Stored } from "../engine/types.js";
import type { Aws } from "./clients.js";
import { elbTagsOf, findLoadBalancer } from "./elbv2.js";
import { absentIfNotFound } from "./errors.js";
import { assertOurs, type Tags } from "./tags.js";

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

/** By the ARN we remember, else the listener on `port` of the stack's ALB (ELB has no tag filter for listeners). */
async function findListener(ctx: ReadsCtx & { aws: Aws; names: { alb: string } }, prior: Stored | undefined, port: number): Promise<Listener | undefined> {
  if (prior?.id) {
    const byArn = await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ ListenerArns: [prior.id] })));
    if (byArn?.Listeners?.[0]) return byArn.Listeners[0];
  }
  const lb = await findLoadBalancer(ctx);
  if (!lb?.LoadBalancerArn) return undefined;
  const arn = lb.LoadBalancerArn;
  // One listing for both listeners while the stack is observed.
  const out = await sharedRead(ctx, `elbv2:listeners:${arn}`, () => absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: arn }))));
  return out?.Listeners?.find((l) => l.Port === port);
}


/** The stack's listener on `port` with its tags, refused (assertOurs) when it is not tagged for this stack. */
export async function findOwnListener(
  ctx: ReadsCtx & { aws: Aws; names: { alb: string }; spec: { appName: string } }, prior: Stored | undefined, port: number,
): Promise<{ listener: Listener & { ListenerArn: string }; tags: Tags } | undefined> {
  const l = await findListener(ctx, prior, port);
  if (!l?.ListenerArn) return undefined;
  const tags = await elbTagsOf(ctx, l.ListenerArn);
  assertOurs("listener", l.ListenerArn, tags, ctx.spec.appName);
  return { listener: { ...l, ListenerArn: l.ListenerArn }, tags };
}
