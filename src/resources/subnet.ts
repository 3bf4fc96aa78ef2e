import { CreateSubnetCommand, DeleteSubnetCommand, DescribeSubnetsCommand, ModifySubnetAttributeCommand } from "@aws-sdk/client-ec2";
import { findEc2, ignoreNotFound, managedTags, retag, sendNaming, tagSpecifications } from "../aws/ec2.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";

export type Tier = "public" | "private";

/** Subnet `<tier>-<a|b>`: the first of each pair in the primary AZ (task, DB), the second in the other AZ. */
export function subnet(tier: Tier, index: 0 | 1): Resource<ReturnType<ReturnType<typeof wantFor>>> {
  const key = subnetKey(tier, index);
  const cidrOf = (spec: Target) => (tier === "public" ? spec.network.publicSubnets : spec.network.privateSubnets)[index];
  const desired = wantFor(tier, index, key, cidrOf);
  const setPublicIp = (ctx: Ctx, id: string, value: boolean) =>

    sendNaming(ctx)(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: value } }));
  return {
    key,
    kind: "ec2:subnet",
    dependsOn: ["vpc"],
    replaceOn: ["vpcId", "cidr", "availabilityZone"],
    title: (spec) => `${tier} subnet ${cidrOf(spec as Target)}`,
    desired,
    async observe(ctx, prior) {
      const ec2 = ctx.aws.ec2;
      const s = await findEc2(ctx, "subnets", key, prior, async (q) => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: q.ids, Filters: q.filters }))).Subnets, (x) => x.SubnetId);
      if (!s?.SubnetId) return undefined;
      return {
        id: s.SubnetId,
        attrs: { vpcId: s.VpcId, cidr: s.CidrBlock, availabilityZone: s.AvailabilityZone, mapPublicIpOnLaunch: s.MapPublicIpOnLaunch ?? false, tags: managedTags(ctx.spec, key, s.Tags) },
        outputs: { subnetId: s.SubnetId, availabilityZone: s.AvailabilityZone ?? "" },
        ...(s.State === "pending" ? { pending: "pending" } : {}),
      };
    },
    async create(ctx, want) {
      const out = await sendNaming(ctx)(new CreateSubnetCommand({
        VpcId: want.vpcId, CidrBlock: want.cidr, AvailabilityZone: want.availabilityZone, TagSpecifications: tagSpecifications(ctx.spec, key, "subnet"),
      }));
      const id = out.Subnet!.SubnetId!;
      if (want.mapPublicIpOnLaunch) await setPublicIp(ctx, id, true);
      return { id, outputs: { subnetId: id, availabilityZone: want.availabilityZone } };
    },
    async update(ctx, want, live, changed) {
      if (changed.includes("mapPublicIpOnLaunch")) await setPublicIp(ctx, live.id, want.mapPublicIpOnLaunch);
      if (changed.includes("tags")) await retag(ctx, live.id, key);
    },
    async delete(ctx, live) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteSubnetCommand({ SubnetId: live.id })));
    },
  };
}

function wantFor(tier: Tier, index: 0 | 1, key: string, cidrOf: (spec: Target) => string) {
  return (spec: Target, deps: Deps) => ({
    vpcId: deps("vpc").vpcId!,
    cidr: cidrOf(spec),
    availabilityZone: spec.availabilityZones[index],
    // Public subnets give tasks a public IP: with no NAT gateway that is how they reach ECR and CloudWatch.
    mapPublicIpOnLaunch: tier === "public",
    tags: stackTags(spec, key),
  });
}

export const subnetKey = (tier: Tier, index: 0 | 1) => `subnet-${tier}-${index === 0 ? "a" : "b"}`;
