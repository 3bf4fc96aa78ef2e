import { CreateVpcCommand, DeleteVpcCommand, DescribeVpcAttributeCommand, DescribeVpcsCommand, ModifyVpcAttributeCommand, type Vpc } from "@aws-sdk/client-ec2";
import { findEc2, sendNaming, withDuplicates, tagSpecifications } from "../aws/ec2.js";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { tagMap, type Tags } from "../aws/tags.js";
import type { Ctx, DesiredStack } from "./context.js";
import { tagged } from "./tagging.js";

const KEY = "vpc";

const desired = (spec: DesiredStack) => ({ cidr: spec.network.vpcCidr, dnsSupport: true, dnsHostnames: true });
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = { cidr?: string; dnsSupport: boolean; dnsHostnames: boolean; tags: Tags };

async function setDns(ctx: Ctx, id: string, want: Want, fields: string[]) {
  const send = sendNaming(ctx);
  // One attribute per call: EC2 rejects both in one request. Support first: hostnames need it on.
  if (fields.includes("dnsSupport")) await send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: want.dnsSupport } }));
  if (fields.includes("dnsHostnames")) await send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: want.dnsHostnames } }));
}

export const vpc = tagged<Want, Attrs, { vpcId: string }>({
  key: KEY,
  kind: "ec2:vpc",
  client: "ec2",
  tagging: "ec2",
  actions: { observe: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"], create: ["ec2:CreateVpc", "ec2:ModifyVpcAttribute"], update: ["ec2:ModifyVpcAttribute"], delete: ["ec2:DeleteVpc"] },
  ignored: { "instance tenancy, secondary CIDR blocks, IPv6": "the stack's subnets are in the primary CIDR block it compares" },
  replaceOn: ["cidr"],
  inUse: hasCode("DependencyViolation"),
  // A VPC's primary CIDR cannot change, and a new VPC means a new everything, the database included: EC2 refuses
  // to delete the old one while anything is in it (DependencyViolation), so `up` could only retry for 30 minutes.
  refuse(want, live, changed) {
    if (!changed.includes("cidr")) return undefined;
    return `a VPC's CIDR cannot change (${live.attrs.cidr} → ${want.cidr}), and a new VPC means new subnets and a new database: set network.vpcCidr back to ${live.attrs.cidr}, or run \`spontime-infra down\` (its final snapshot keeps the data) and then \`up\` with the new CIDR`;
  },
  title: (spec) => `VPC ${spec.network.vpcCidr}`,
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const found = await findEc2(ctx, "VPC", KEY, prior, async (q) => (await ec2.send(new DescribeVpcsCommand({ VpcIds: q.ids, Filters: q.filters }))).Vpcs, (x) => x.VpcId);
    if (!found) return undefined;
    const attr = (Attribute: "enableDnsSupport" | "enableDnsHostnames") => sendNaming(ctx)(new DescribeVpcAttributeCommand({ VpcId: found.item.VpcId, Attribute }));
    const [support, hostnames] = await Promise.all([attr("enableDnsSupport"), attr("enableDnsHostnames")]);
    const live = (v: Vpc) => ({
      id: v.VpcId!,
      attrs: { cidr: v.CidrBlock, dnsSupport: support.EnableDnsSupport?.Value ?? false, dnsHostnames: hostnames.EnableDnsHostnames?.Value ?? false, tags: tagMap(v.Tags) },
      outputs: { vpcId: v.VpcId! },
      ...(v.State === "pending" ? { state: "pending" as const, why: "pending" } : { state: "ready" as const }),
    });
    return withDuplicates(found, live);
  },
  async create(ctx, want) {
    const out = await ctx.aws.ec2.send(new CreateVpcCommand({ CidrBlock: want.cidr, TagSpecifications: tagSpecifications(ctx, KEY, "vpc") }));
    const id = out.Vpc!.VpcId!;
    await setDns(ctx, id, want, ["dnsSupport", "dnsHostnames"]);
    return { id, outputs: { vpcId: id } };
  },
  async update(ctx, want, live, changed) {
    await setDns(ctx, live.id, want, changed);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteVpcCommand({ VpcId: live.id })));
  },
});
