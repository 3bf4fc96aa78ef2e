import {
  DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetGroupsCommand, type Listener, type LoadBalancer, type TargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { sharedRead, type ReadsCtx } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";
import { assertOurs, tagMap, type Tags } from "./tags.js";

type ElbCtx = ReadsCtx & { aws: Aws; names: { alb: string; targetGroup: string } };

/** The stack's ALB by name, shared while observing (the ALB and its listeners need it); deploy uses it too. */
export function findLoadBalancer(ctx: ReadsCtx & { aws: Aws; names: { alb: string } }): Promise<LoadBalancer | undefined> {
  return sharedRead(ctx, "elbv2:alb", async () =>
    (await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [ctx.names.alb] }))))?.LoadBalancers?.[0]);
}

/** The stack's target group by name, shared while observing; deploy uses it too. */
export function findTargetGroup(ctx: ReadsCtx & { aws: Aws; names: { targetGroup: string } }): Promise<TargetGroup | undefined> {
  return sharedRead(ctx, "elbv2:tg", async () =>
    (await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [ctx.names.targetGroup] }))))?.TargetGroups?.[0]);
}

/** Every listener of an ALB, one listing shared while observing (both listeners look in it). */
export async function listenersOf(ctx: ReadsCtx & { aws: Aws }, loadBalancerArn: string): Promise<Listener[]> {
  const out = await sharedRead(ctx, `elbv2:listeners:${loadBalancerArn}`, () =>
    absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))));
  return out?.Listeners ?? [];
}

/** DescribeTags takes up to 20 ARNs of any ELB kind (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html). */
const TAGS_PER_CALL = 20;

async function describeTags(ctx: { aws: Aws }, arns: string[]): Promise<Map<string, Tags>> {
  const tags = new Map<string, Tags>();
  for (let i = 0; i < arns.length; i += TAGS_PER_CALL) {
    const out = await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAGS_PER_CALL) }));
    for (const d of out.TagDescriptions ?? []) tags.set(d.ResourceArn!, tagMap(d.Tags));
  }
  return tags;
}

/** The ARNs of the stack's ELB resources that exist: its ALB, its target group, the ALB's listeners. */
async function stackArns(ctx: ElbCtx): Promise<string[]> {
  const [lb, tg] = await Promise.all([findLoadBalancer(ctx), findTargetGroup(ctx)]);
  const listeners = lb?.LoadBalancerArn ? await listenersOf(ctx, lb.LoadBalancerArn) : [];
  return [lb?.LoadBalancerArn, tg?.TargetGroupArn, ...listeners.map((l) => l.ListenerArn)].filter((a): a is string => !!a);
}

/**
 * Tags of one ELB resource (load balancer, target group, listener). While the stack is observed, one
 * DescribeTags answers for all of the stack's ELB resources at once; otherwise (a wait) it asks for this one.
 */
export async function elbTagsOf(ctx: ElbCtx, arn: string): Promise<Tags> {
  const all = ctx.reads?.sharing ? await sharedRead(ctx, "elbv2:tags", async () => describeTags(ctx, await stackArns(ctx))) : undefined;
  return all?.get(arn) ?? (await describeTags(ctx, [arn])).get(arn) ?? {};
}

/** Tags of one of the stack's ELB resources, refused (assertOurs) when it is not tagged for this stack. */
export async function ownElbTags(ctx: ElbCtx & { spec: { appName: string } }, what: string, id: string, arn: string): Promise<Tags> {
  const tags = await elbTagsOf(ctx, arn);
  assertOurs(what, id, tags, ctx.spec.appName);
  return tags;
}
