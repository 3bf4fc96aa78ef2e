import { CreateSubnetCommand, DeleteSubnetCommand, DescribeSubnetsCommand, ModifySubnetAttributeCommand, type Subnet } from "@aws-sdk/client-ec2";
import { findEc2, sendNaming, tagSpecifications, withDuplicates } from "../aws/ec2.js";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { tagMap, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { vpc } from "./vpc.js";
import { tagged } from "./tagging.js";

export type Tier = "public" | "private";
type Attrs = { vpcId?: string; cidr?: string; availabilityZone?: string; mapPublicIpOnLaunch: boolean; tags: Tags };
type Out = { subnetId: string; availabilityZone: string };

/**
 * Subnet `<tier>-<a|b>`: the first of each pair in the primary AZ (task, DB), the second in the other AZ.
 * A new CIDR or AZ makes the new subnet first: the ALB, the service and the DB subnet group move to it, and
 * the old one is deleted at the end of the run (AWS refuses to delete a subnet that network interfaces use).
 */
export function subnet(tier: Tier, index: 0 | 1) {
  const key = `subnet-${tier}-${index === 0 ? "a" : "b"}`;
  const cidrOf = (spec: DesiredStack) => (tier === "public" ? spec.network.publicSubnets : spec.network.privateSubnets)[index];
  const desired = (spec: DesiredStack, ref: RefFn) => ({
    vpcId: ref(vpc).vpcId,
    cidr: cidrOf(spec),
    availabilityZone: spec.availabilityZones[index],
    // Public subnets give tasks a public IP: with no NAT gateway that is how they reach ECR and CloudWatch.
    mapPublicIpOnLaunch: tier === "public",
  });
  const setPublicIp = (ctx: Ctx, id: string, value: boolean) =>
    sendNaming(ctx)(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: value } }));
  const resource = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, Out>({
    key,
    kind: "ec2:subnet",
    client: "ec2",
    tagging: "ec2",
    actions: { observe: ["ec2:DescribeSubnets"], create: ["ec2:CreateSubnet", "ec2:ModifySubnetAttribute"], update: ["ec2:ModifySubnetAttribute"], delete: ["ec2:DeleteSubnet"] },
    ignored: { "IPv6, DNS hostname type": "the stack uses neither; its tasks and load balancer use IPv4 addresses" },
    replaceOn: ["vpcId", "cidr", "availabilityZone"],
    createBeforeDelete: true,
    inUse: hasCode("DependencyViolation"),
    // A retried CreateSubnet whose first answer was lost: the same CIDR is taken, by the subnet that call made.
    alreadyExists: hasCode("InvalidSubnet.Conflict"),
    refuse(want, live, changed) {
      // The primary private subnet holds the database: RDS keeps an instance in its subnet (ModifyDBSubnetGroup
      // refuses to drop a subnet in use), so a new CIDR or AZ there could never converge.
      const field = (["cidr", "availabilityZone"] as const).find((f) => changed.includes(f));
      if (field && tier === "private" && index === 0) {
        return `the database lives in this subnet and RDS cannot move it to a new ${field === "cidr" ? "CIDR" : "AZ"} (${live.attrs[field]} → ${want[field]}): set it back to ${live.attrs[field]}, or run \`spontime-infra down\` (its final snapshot keeps the data) and then \`up\``;
      }
      // The new subnet is made before the old one goes (the ALB and the DB subnet group move to it first), and two
      // subnets of a VPC cannot share a CIDR (CreateSubnet answers InvalidSubnet.Conflict): a new AZ needs a new CIDR.
      if (field === "availabilityZone" && !changed.includes("cidr")) {
        return `a subnet cannot move to another AZ (${live.attrs.availabilityZone} → ${want.availabilityZone}), and its replacement cannot take the same CIDR ${want.cidr} while the old one still holds it: give network.${tier}Subnets[${index}] a new CIDR together with the new AZ`;
      }
      return undefined;
    },
    title: (spec) => `${tier} subnet ${cidrOf(spec)} (${spec.availabilityZones[index]})`,
    desired,
    async observe(ctx, prior) {
      const ec2 = ctx.aws.ec2;
      const found = await findEc2(ctx, "subnet", key, prior, async (q) => (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: q.ids, Filters: q.filters }))).Subnets, (x) => x.SubnetId);
      if (!found) return undefined;
      return withDuplicates(found, (s: Subnet) => ({
        id: s.SubnetId!,
        attrs: { vpcId: s.VpcId, cidr: s.CidrBlock, availabilityZone: s.AvailabilityZone, mapPublicIpOnLaunch: s.MapPublicIpOnLaunch ?? false, tags: tagMap(s.Tags) },
        outputs: { subnetId: s.SubnetId!, availabilityZone: s.AvailabilityZone ?? "" },
        ...(s.State === "pending" ? { state: "pending" as const, why: "pending" } : { state: "ready" as const }),
      }));
    },
    async create(ctx, want) {
      const out = await sendNaming(ctx)(new CreateSubnetCommand({
        VpcId: want.vpcId, CidrBlock: want.cidr, AvailabilityZone: want.availabilityZone, TagSpecifications: tagSpecifications(ctx, key, "subnet"),
      }));
      const id = out.Subnet!.SubnetId!;
      if (want.mapPublicIpOnLaunch) await setPublicIp(ctx, id, true);
      return { id, outputs: { subnetId: id, availabilityZone: want.availabilityZone } };
    },
    // The public IP setting is the only field an update gets: the others are replaced, tags are tagged()'s.
    async update(ctx, want, live) {
      await setPublicIp(ctx, live.id, want.mapPublicIpOnLaunch);
    },
    async delete(ctx, live) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteSubnetCommand({ SubnetId: live.id })));
    },
  });
  return resource;
}

export const publicSubnets = [subnet("public", 0), subnet("public", 1)] as const;
export const privateSubnets = [subnet("private", 0), subnet("private", 1)] as const;
/** Where the task runs: the primary AZ's public subnet. */
export const primarySubnet = publicSubnets[0];
