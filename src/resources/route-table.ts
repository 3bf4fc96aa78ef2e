import {
  AssociateRouteTableCommand, CreateRouteCommand, CreateRouteTableCommand, DeleteRouteTableCommand, DescribeRouteTablesCommand,
  DisassociateRouteTableCommand, ReplaceRouteCommand,
} from "@aws-sdk/client-ec2";
import { findEc2, ignoreNotFound, managedTags, retag, sendNaming, tagSpecifications } from "../aws/ec2.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { subnetKey } from "./subnet.js";

const KEY = "route-table-public";
const PUBLIC_SUBNETS = [subnetKey("public", 0), subnetKey("public", 1)];

const desired = (spec: Target, deps: Deps) => ({
  vpcId: deps("vpc").vpcId!,
  defaultRouteGateway: deps("internet-gateway").internetGatewayId!,
  subnetIds: PUBLIC_SUBNETS.map((k) => deps(k).subnetId!).sort(),
  tags: stackTags(spec, KEY),
});
type Want = ReturnType<typeof desired>;

async function reconcile(ctx: Ctx, id: string, want: Want, have: { defaultRouteGateway?: unknown; associations: Record<string, string> }) {
  const send = sendNaming(ctx);
  if (have.defaultRouteGateway !== want.defaultRouteGateway) {
    const route = { RouteTableId: id, DestinationCidrBlock: "0.0.0.0/0", GatewayId: want.defaultRouteGateway };
    await send(have.defaultRouteGateway ? new ReplaceRouteCommand(route) : new CreateRouteCommand(route));
  }
  for (const subnetId of want.subnetIds) {
    if (!have.associations[subnetId]) await send(new AssociateRouteTableCommand({ RouteTableId: id, SubnetId: subnetId }));
  }
  for (const [subnetId, associationId] of Object.entries(have.associations)) {
    if (!want.subnetIds.includes(subnetId)) await send(new DisassociateRouteTableCommand({ AssociationId: associationId }));
  }
}

export const routeTable: Resource<Want> = {
  key: KEY,
  kind: "ec2:route-table",
  dependsOn: ["vpc", "internet-gateway", ...PUBLIC_SUBNETS],
  replaceOn: ["vpcId"],
  title: () => "public route table (0.0.0.0/0 to the internet gateway)",
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const t = await findEc2(ctx, "route-tables", KEY, prior, async (q) => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: q.ids, Filters: q.filters }))).RouteTables, (x) => x.RouteTableId);
    if (!t?.RouteTableId) return undefined;
    const associations = Object.fromEntries((t.Associations ?? []).filter((a) => a.SubnetId).map((a) => [a.SubnetId!, a.RouteTableAssociationId!]));
    return {
      id: t.RouteTableId,
      attrs: {
        vpcId: t.VpcId,
        defaultRouteGateway: t.Routes?.find((r) => r.DestinationCidrBlock === "0.0.0.0/0")?.GatewayId,
        subnetIds: Object.keys(associations).sort(),
        tags: managedTags(ctx.spec, KEY, t.Tags),
      },
      outputs: { routeTableId: t.RouteTableId, associations: JSON.stringify(associations) },
    };
  },
  async create(ctx, want) {
    const out = await sendNaming(ctx)(new CreateRouteTableCommand({ VpcId: want.vpcId, TagSpecifications: tagSpecifications(ctx.spec, KEY, "route-table") }));
    const id = out.RouteTable!.RouteTableId!;
    await reconcile(ctx, id, want, { associations: {} });
    return { id, outputs: { routeTableId: id } };
  },
  async update(ctx, want, live, changed) {
    await reconcile(ctx, live.id, want, { defaultRouteGateway: live.attrs.defaultRouteGateway, associations: JSON.parse(live.outputs.associations ?? "{}") });
    if (changed.includes("tags")) await retag(ctx, live.id, KEY);
  },
  async delete(ctx, live) {
    const associations: Record<string, string> = JSON.parse(live.outputs.associations ?? "{}");
    for (const associationId of Object.values(associations)) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })));
    }
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteRouteTableCommand({ RouteTableId: live.id })));
  },
};
