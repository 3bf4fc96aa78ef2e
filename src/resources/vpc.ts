import { CreateVpcCommand, DeleteVpcCommand, DescribeVpcAttributeCommand, DescribeVpcsCommand, ModifyVpcAttributeCommand } from "@aws-sdk/client-ec2";
import { findEc2, ignoreNotFound, managedTags, retag, sendNaming, tagSpecifications } from "../aws/ec2.js";
import type { Ctx, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";

const KEY = "vpc";

const desired = (spec: Target) => ({ cidr: spec.network.vpcCidr, dnsSupport: true, dnsHostnames: true, tags: stackTags(spec, KEY) });

async function setDns(ctx: Ctx, id: string, want: { dnsSupport: boolean; dnsHostnames: boolean }, fields: string[]) {
  const send = sendNaming(ctx);
  // One attribute per call: EC2 rejects both in one request. Support first: hostnames need it on.
  if (fields.includes("dnsSupport")) await send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: want.dnsSupport } }));
  if (fields.includes("dnsHostnames")) await send(new ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: want.dnsHostnames } }));
}

export const vpc: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "ec2:vpc",
  dependsOn: [],
  replaceOn: ["cidr"],
  title: (spec) => `VPC ${spec.network.vpcCidr}`,
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const v = await findEc2(ctx, "vpcs", KEY, prior, async (q) => (await ec2.send(new DescribeVpcsCommand({ VpcIds: q.ids, Filters: q.filters }))).Vpcs, (x) => x.VpcId);
    if (!v?.VpcId) return undefined;
    const attr = (Attribute: "enableDnsSupport" | "enableDnsHostnames") => sendNaming(ctx)(new DescribeVpcAttributeCommand({ VpcId: v.VpcId, Attribute }));
    const [support, hostnames] = await Promise.all([attr("enableDnsSupport"), attr("enableDnsHostnames")]);
    return {
      id: v.VpcId,
      attrs: { cidr: v.CidrBlock, dnsSupport: support.EnableDnsSupport?.Value ?? false, dnsHostnames: hostnames.EnableDnsHostnames?.Value ?? false, tags: managedTags(ctx.spec, KEY, v.Tags) },
      outputs: { vpcId: v.VpcId },
      ...(v.State === "pending" ? { pending: "pending" } : {}),
    };
  },
  async create(ctx, want) {
    const out = await ctx.aws.ec2.send(new CreateVpcCommand({ CidrBlock: want.cidr, TagSpecifications: tagSpecifications(ctx.spec, KEY, "vpc") }));
    const id = out.Vpc!.VpcId!;
    await setDns(ctx, id, want, ["dnsSupport", "dnsHostnames"]);
    return { id, outputs: { vpcId: id } };
  },
  async update(ctx, want, live, changed) {
    await setDns(ctx, live.id, want, changed);
    if (changed.includes("tags")) await retag(ctx, live.id, KEY);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteVpcCommand({ VpcId: live.id })));
  },
};
