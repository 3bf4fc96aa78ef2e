import {
  CreateLoadBalancerCommand, DeleteLoadBalancerCommand, SetSecurityGroupsCommand, SetSubnetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ignoreNotFound } from "../aws/ec2.js";
import { elbTagsOf, findLoadBalancer } from "../aws/elbv2.js";
import type { Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, keyValueTags } from "./owned.js";
import { subnetKey } from "./subnet.js";

const KEY = "load-balancer";
const PUBLIC_SUBNETS = [subnetKey("public", 0), subnetKey("public", 1)];

// An application load balancer must span two AZs: hence the second public subnet, used by nothing else.
const desired = (_spec: Target, deps: Deps) => ({
  scheme: "internet-facing",
  subnetIds: PUBLIC_SUBNETS.map((k) => deps(k).subnetId!).sort(),
  securityGroupIds: [deps("sg-alb").groupId!],
});

export const loadBalancer: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "elbv2:load-balancer",
  // An internet-facing ALB needs the VPC's internet gateway attached first.
  dependsOn: [...PUBLIC_SUBNETS, "sg-alb", "internet-gateway"],
  replaceOn: ["scheme"],
  readyTimeoutMs: 15 * 60_000,
  waitUntilGone: true,
  typicalReadyMs: 60_000, // provisioning -> active takes 1-3 min
  title: (spec) => `application load balancer ${spec.appName}-alb (HTTP)`,
  desired,
  async observe(ctx, prior) {
    const lb = await findLoadBalancer(ctx);
    if (!lb?.LoadBalancerArn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `load balancer ${ctx.names.alb}`, lb.LoadBalancerArn, () => elbTagsOf(ctx, lb.LoadBalancerArn!));
    const state = lb.State?.Code;
    return {
      id: lb.LoadBalancerArn,
      attrs: {
        scheme: lb.Scheme,
        subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort(),
        securityGroupIds: [...(lb.SecurityGroups ?? [])].sort(),
      },
      outputs: { loadBalancerArn: lb.LoadBalancerArn, dnsName: lb.DNSName ?? "", state: state ?? "" },
      ...(state === "provisioning" ? { pending: "provisioning" } : {}),
      ...(state === "failed" ? { failed: lb.State?.Reason ?? "failed" } : {}),
    };
  },
  async create(ctx, want) {
    // CreateLoadBalancer is idempotent by name with the same settings: a retry after a crash returns the same ALB.
    const out = await ctx.aws.elbv2.send(new CreateLoadBalancerCommand({
      Name: ctx.names.alb, Type: "application", Scheme: "internet-facing", IpAddressType: "ipv4",
      Subnets: want.subnetIds, SecurityGroups: want.securityGroupIds, Tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    const lb = out.LoadBalancers![0]!;
    return { id: lb.LoadBalancerArn!, outputs: { loadBalancerArn: lb.LoadBalancerArn!, dnsName: lb.DNSName ?? "" } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("subnetIds")) await ctx.aws.elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: live.id, Subnets: want.subnetIds }));
    if (changed.includes("securityGroupIds")) await ctx.aws.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: live.id, SecurityGroups: want.securityGroupIds }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: live.id })));
  },
};
