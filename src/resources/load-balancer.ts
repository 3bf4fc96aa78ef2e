import {
  CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancerAttributesCommand, ModifyLoadBalancerAttributesCommand, SetSecurityGroupsCommand, SetSubnetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ignoreNotFound } from "../aws/errors.js";
import { findLoadBalancer, ownElbTags } from "../aws/elbv2.js";
import { tagList, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import { UserError } from "../errors.js";
import type { Ctx, DesiredStack } from "./context.js";
import { DELETION_PROTECTION_LEFT_ALONE } from "./db-instance.js";
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
  // AWS's defaults, which CreateLoadBalancer leaves (it takes no attributes): 60 s is what the app's slowest
  // request must fit in; invalid headers are passed to Django as on any ALB; no access logs (no bucket).
  idleTimeoutSeconds: 60,
  dropInvalidHeaderFields: false,
  deletionProtection: false,
  accessLogs: "off",
});
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Partial<Omit<Want, "tags">> & { subnetIds: string[]; securityGroupIds: string[]; tags: Tags };

/** The ALB attribute each compared field is (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html). */
const ATTRIBUTE = {
  idleTimeoutSeconds: "idle_timeout.timeout_seconds",
  dropInvalidHeaderFields: "routing.http.drop_invalid_header_fields.enabled",
  deletionProtection: "deletion_protection.enabled",
} as const;

/** The compared attributes, from one DescribeLoadBalancerAttributes; access logs as where they go, or "off". */
function attributesOf(list: { Key?: string; Value?: string }[]): Pick<Attrs, keyof typeof ATTRIBUTE | "accessLogs"> {
  const a = Object.fromEntries(list.map((x) => [x.Key, x.Value]));
  return {
    idleTimeoutSeconds: a[ATTRIBUTE.idleTimeoutSeconds] === undefined ? undefined : Number(a[ATTRIBUTE.idleTimeoutSeconds]),
    dropInvalidHeaderFields: a[ATTRIBUTE.dropInvalidHeaderFields] === "true",
    deletionProtection: a[ATTRIBUTE.deletionProtection] === "true",
    accessLogs: a["access_logs.s3.enabled"] === "true" ? `s3://${a["access_logs.s3.bucket"]}/${a["access_logs.s3.prefix"] ?? ""}` : "off",
  };
}

const setAttributes = (ctx: Ctx, arn: string, values: Partial<Record<keyof typeof ATTRIBUTE, number | boolean>>) =>
  ctx.aws.elbv2.send(new ModifyLoadBalancerAttributesCommand({
    LoadBalancerArn: arn, Attributes: Object.entries(values).map(([field, value]) => ({ Key: ATTRIBUTE[field as keyof typeof ATTRIBUTE], Value: String(value) })),
  }));

export const loadBalancer = tagged<Want, Attrs, { loadBalancerArn: string; dnsName: string; canonicalHostedZoneId: string }>({
  key: KEY,
  kind: "elbv2:load-balancer",
  client: "elbv2",
  tagging: "elbv2",
  actions: { observe: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeLoadBalancerAttributes"], create: ["elasticloadbalancing:CreateLoadBalancer"], update: ["elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:ModifyLoadBalancerAttributes"], delete: ["elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:DeleteLoadBalancer"] },
  // An internet-facing ALB needs the VPC's internet gateway attached first.
  after: [internetGateway],
  replaceOn: ["scheme"],
  leftAlone: {
    deletionProtection: DELETION_PROTECTION_LEFT_ALONE,
    accessLogs: "someone sent them to a bucket of theirs (an audit trail); the stack has no bucket to prefer",
  },
  ignored: {
    "routing.http2.enabled, routing.http.desync_mitigation_mode, client_keep_alive.seconds and the other ALB attributes": "AWS's defaults, which the app does not depend on",
  },
  refuse(_want, live, changed) {
    if (live.attrs.deletionProtection && changed.includes("scheme")) return "a new scheme means a new load balancer, and this one's deletion protection is on: turn it off in the EC2 console first";
    return undefined;
  },
  readyTimeoutMs: 15 * 60_000,
  waitUntilGone: true,
  typicalReadyMs: 60_000, // provisioning -> active takes 1-3 min
  title: (spec) => `application load balancer ${spec.appName}-alb (HTTP)`,
  desired,
  async observe(ctx) {
    const lb = await findLoadBalancer(ctx);
    if (!lb?.LoadBalancerArn) return undefined;
    const tags = await ownElbTags(ctx, "load balancer", ctx.names.alb, lb.LoadBalancerArn);
    const attributes = await ctx.aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    const state = lb.State?.Code;
    return {
      id: lb.LoadBalancerArn,
      ...(state === "provisioning" ? { state: "pending" as const, why: "provisioning" } : state === "failed" ? { state: "failed" as const, why: lb.State?.Reason ?? "failed" } : { state: "ready" as const }),
      attrs: {
        scheme: lb.Scheme,
        subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort(),
        securityGroupIds: [...(lb.SecurityGroups ?? [])].sort(),
        ...attributesOf(attributes.Attributes ?? []),
        tags,
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
    const attributes = changed.filter((f): f is "idleTimeoutSeconds" | "dropInvalidHeaderFields" => f === "idleTimeoutSeconds" || f === "dropInvalidHeaderFields");
    if (attributes.length) await setAttributes(ctx, live.id, Object.fromEntries(attributes.map((f) => [f, want[f]])));
  },
  async delete(ctx, live) {
    if (live.attrs.deletionProtection) {
      // `down` refuses earlier without the flag; this only guards a path that forgot to ask.
      if (!ctx.disableDeletionProtection) throw new UserError(`the load balancer ${ctx.names.alb} has deletion protection on`, "run `spontime-infra down --disable-deletion-protection` to turn it off and delete");
      await setAttributes(ctx, live.id, { deletionProtection: false });
    }
    await ignoreNotFound(() => ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: live.id })));
  },
});
