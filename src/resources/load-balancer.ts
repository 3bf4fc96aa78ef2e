import { CreateLoadBalancerCommand, DeleteLoadBalancerCommand, SetSecurityGroupsCommand, SetSubnetsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ignoreNotFound } from "../aws/errors.js";
import { findLoadBalancer, ownElbTags } from "../aws/elbv2.js";
import { tagList, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { DesiredStack } from "./context.js";
import { internetGateway } from "./internet-gateway.js";
import { albGroup } from "./security-group.js";
import { publicSubnets } from "./subnet.js";
import { tagged } from "./tagging.js";

const KEY = "load-balancer";

// An application load balancer must span two AZs: hence the second public subnet, used by nothing else.
const desired = (_spec: DesiredStack, ref: RefFn) => ({
  scheme: "internet-facing",
  subnetIds: publicSubnets.map((s) => ref(s).subnetId).sort(),
  securityGroupIds: [ref(albGroup).groupId],
});
type Attrs = { scheme?: string; subnetIds: string[]; securityGroupIds: string[]; tags: Tags };

export const loadBalancer = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { loadBalancerArn: string; dnsName: string; canonicalHostedZoneId: string }>({
  key: KEY,
  kind: "elbv2:load-balancer",
  client: "elbv2",
  tagging: "elbv2",
  actions: { observe: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"], create: ["elasticloadbalancing:CreateLoadBalancer"], update: ["elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetSecurityGroups"], delete: ["elasticloadbalancing:DeleteLoadBalancer"] },
  // An internet-facing ALB needs the VPC's internet gateway attached first.
  after: [internetGateway],
  replaceOn: ["scheme"],
  readyTimeoutMs: 15 * 60_000,
  waitUntilGone: true,
  typicalReadyMs: 60_000, // provisioning -> active takes 1-3 min
  title: (spec) => `application load balancer ${spec.appName}-alb (HTTP)`,
  desired,
  async observe(ctx) {
    const lb = await findLoadBalancer(ctx);
    if (!lb?.LoadBalancerArn) return undefined;
    const tags = await ownElbTags(ctx, "load balancer", ctx.names.alb, lb.LoadBalancerArn);
    const state = lb.State?.Code;
    return {
      id: lb.LoadBalancerArn,
      ...(state === "provisioning" ? { state: "pending" as const, why: "provisioning" } : state === "failed" ? { state: "failed" as const, why: lb.State?.Reason ?? "failed" } : { state: "ready" as const }),
      attrs: {
        scheme: lb.Scheme,
        subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort(),
        securityGroupIds: [...(lb.SecurityGroups ?? [])].sort(),
        tags: tags,
      },
      // The ALB's own Route 53 zone: what an alias record for the domain points at.
      outputs: { loadBalancerArn: lb.LoadBalancerArn, dnsName: lb.DNSName ?? "", canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? "" },
    };
  },
  async create(ctx, want) {
    // CreateLoadBalancer is idempotent by name with the same settings: a retry after a crash returns the same ALB.
    const out = await ctx.aws.elbv2.send(new CreateLoadBalancerCommand({
      Name: ctx.names.alb, Type: "application", Scheme: "internet-facing", IpAddressType: "ipv4",
      Subnets: want.subnetIds, SecurityGroups: want.securityGroupIds, Tags: tagList(want.tags),
    }));
    const lb = out.LoadBalancers![0]!;
    return { id: lb.LoadBalancerArn!, outputs: { loadBalancerArn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? "", canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? "" } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("subnetIds")) await ctx.aws.elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: live.id, Subnets: want.subnetIds }));
    if (changed.includes("securityGroupIds")) await ctx.aws.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: live.id, SecurityGroups: want.securityGroupIds }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: live.id })));
  },
});
