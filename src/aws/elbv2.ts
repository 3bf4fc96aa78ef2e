import { DescribeLoadBalancersCommand, DescribeTagsCommand, type LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { sharedRead, type ReadsCtx } from "../engine/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";
import { tagMap } from "./tags.js";

/** The stack's ALB by name, shared while observing (the ALB and its listener both need it); deploy uses it too. */
export function findLoadBalancer(ctx: ReadsCtx & { aws: Aws; names: { alb: string } }): Promise<LoadBalancer | undefined> {
  return sharedRead(ctx, "elbv2:alb", async () =>
    (await absentIfNotFound(() => ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [ctx.names.alb] }))))?.LoadBalancers?.[0]);
}

/** Tags of one ELB resource (load balancer, target group, listener). */
export const elbTagsOf = async (ctx: { aws: Aws }, arn: string) =>
  tagMap((await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions?.[0]?.Tags);
