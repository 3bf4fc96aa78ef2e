import { CreateVpcEndpointCommand, DeleteVpcEndpointsCommand, DescribeVpcEndpointsCommand, ModifyVpcEndpointCommand, type VpcEndpoint } from "@aws-sdk/client-ec2";
import { findEc2, tagSpecifications, withDuplicates, type Ec2Describe } from "../../src/aws/ec2.js";
import { ignoreNotFound } from "../../src/aws/errors.js";
import { tagMap, type Tags } from "../../src/aws/tags.js";
import type { RefFn } from "../../src/engine/types.js";
import type { DesiredStack } from "../../src/resources/context.js";
import { routeTable } from "../../src/resources/route-table.js";
import { tagged } from "../../src/resources/tagging.js";
import { vpc } from "../../src/resources/vpc.js";

const KEY = "s3-endpoint";

const desired = (spec: DesiredStack, ref: RefFn) => ({
  // ref() declares the dependency (the VPC and the route table are made first) and is typed:
  // ref(vpc).vpcID is a compile error.
  vpcId: ref(vpc).vpcId,
  serviceName: `com.amazonaws.${spec.region}.s3`,
  routeTableIds: [ref(routeTable).routeTableId],
});
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Partial<Want> & { tags: Tags };

/** A gateway endpoint: the tasks reach S3 (and ECR's image layers) without crossing the internet. */
export const s3Endpoint = tagged<Want, Attrs, { vpcEndpointId: string }>({
  key: KEY,
  kind: "ec2:vpc-endpoint",
  client: "ec2",
  // Tagged at create (TagSpecifications below), kept in sync by tagged() with ec2:CreateTags/DeleteTags.
  tagging: "ec2",
  // What each step calls: the permission lists (doctor, preflight, README) are derived from it.
  actions: {
    observe: ["ec2:DescribeVpcEndpoints"], create: ["ec2:CreateVpcEndpoint"], update: ["ec2:ModifyVpcEndpoint"], delete: ["ec2:DeleteVpcEndpoints"],
  },
  replaceOn: ["vpcId", "serviceName"],
  title: (spec) => `S3 gateway endpoint com.amazonaws.${spec.region}.s3`,
  desired,
  async observe(ctx, prior) {
    const describe: Ec2Describe<VpcEndpoint> = async (q) => (await ctx.aws.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: q.ids, Filters: q.filters }))).VpcEndpoints;
    // By the id in state, else by its tags; other copies tagged for it are duplicates, which the engine deletes.
    const found = await findEc2(ctx, "VPC endpoint", KEY, prior, describe, (e) => e.VpcEndpointId);
    if (!found) return undefined;
    return withDuplicates(found, (e: VpcEndpoint) => ({
      id: e.VpcEndpointId!,
      state: "ready" as const,
      attrs: { vpcId: e.VpcId, serviceName: e.ServiceName, routeTableIds: [...(e.RouteTableIds ?? [])].sort(), tags: tagMap(e.Tags) },
      outputs: { vpcEndpointId: e.VpcEndpointId! },
    }));
  },
  async create(ctx, want) {
    const out = await ctx.aws.ec2.send(new CreateVpcEndpointCommand({
      VpcEndpointType: "Gateway", VpcId: want.vpcId, ServiceName: want.serviceName, RouteTableIds: want.routeTableIds,
      TagSpecifications: tagSpecifications(ctx, KEY, "vpc-endpoint"),
    }));
    const id = out.VpcEndpoint!.VpcEndpointId!;
    return { id, outputs: { vpcEndpointId: id } };
  },
  async update(ctx, want, live) {
    const have = live.attrs.routeTableIds ?? [];
    await ctx.aws.ec2.send(new ModifyVpcEndpointCommand({
      VpcEndpointId: live.id,
      AddRouteTableIds: want.routeTableIds.filter((id) => !have.includes(id)),
      RemoveRouteTableIds: have.filter((id) => !want.routeTableIds.includes(id)),
    }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [live.id] })));
  },
});
