import {
  AssociateRouteTableCommand, CreateRouteCommand, CreateRouteTableCommand, DeleteRouteTableCommand, DescribeRouteTablesCommand,
  DisassociateRouteTableCommand, ReplaceRouteCommand, type RouteTable,
} from "@aws-sdk/client-ec2";
import { findEc2, sendNaming, tagSpecifications, withDuplicates } from "../aws/ec2.js";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { tagMap, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { internetGateway } from "./internet-gateway.js";
import { publicSubnets } from "./subnet.js";
import { vpc } from "./vpc.js";
import { tagged } from "./tagging.js";

const KEY = "route-table-public";

const desired = (_spec: DesiredStack, ref: RefFn) => ({
  vpcId: ref(vpc).vpcId,
  defaultRouteGateway: ref(internetGateway).internetGatewayId,
  subnetIds: publicSubnets.map((s) => ref(s).subnetId).sort(),
});
type Want = ReturnType<typeof desired> & { tags: Tags };
/** `associations`: association ids by subnet, what disassociating needs (not compared: the spec has no such field). */
type Attrs = { vpcId?: string; defaultRouteGateway?: string; subnetIds: string[]; associations: Record<string, string>; tags: Tags };
type Out = { routeTableId: string };

async function reconcile(ctx: Ctx, id: string, want: Want, have: { defaultRouteGateway?: string; associations: Record<string, string> }) {
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

export const routeTable = tagged<Want, Attrs, Out>({
  key: KEY,
  kind: "ec2:route-table",
  client: "ec2",
  tagging: "ec2",
  actions: { observe: ["ec2:DescribeRouteTables"], create: ["ec2:CreateRouteTable", "ec2:CreateRoute", "ec2:AssociateRouteTable"], update: ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"], delete: ["ec2:DisassociateRouteTable", "ec2:DeleteRouteTable"] },
  ignored: { "routes to other networks (a VPC peering)": "added by hand for other traffic; the route to the internet gateway is compared" },
  replaceOn: ["vpcId"],
  inUse: hasCode("DependencyViolation"),
  // Retried CreateRoute / AssociateRouteTable calls whose first answer was lost.
  alreadyExists: hasCode("RouteAlreadyExists", "Resource.AlreadyAssociated"),
  // The same calls retried during a repair, and a retried DisassociateRouteTable whose first attempt landed.
  alreadyDone: hasCode("RouteAlreadyExists", "Resource.AlreadyAssociated", "InvalidAssociationID.NotFound"),
  title: () => "public route table (0.0.0.0/0 to the internet gateway)",
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const found = await findEc2(ctx, "route table", KEY, prior, async (q) => (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: q.ids, Filters: q.filters }))).RouteTables, (x) => x.RouteTableId);
    if (!found) return undefined;
    return withDuplicates(found, (t: RouteTable) => {
      const associations = Object.fromEntries((t.Associations ?? []).filter((a) => a.SubnetId).map((a) => [a.SubnetId!, a.RouteTableAssociationId!]));
      return {
        id: t.RouteTableId!,
        state: "ready" as const,
        attrs: {
          vpcId: t.VpcId,
          defaultRouteGateway: t.Routes?.find((r) => r.DestinationCidrBlock === "0.0.0.0/0")?.GatewayId,
          subnetIds: Object.keys(associations).sort(),
          associations,
          tags: tagMap(t.Tags),
        },
        outputs: { routeTableId: t.RouteTableId! },
      };
    });
  },
  async create(ctx, want) {
    const out = await sendNaming(ctx)(new CreateRouteTableCommand({
      VpcId: want.vpcId, TagSpecifications: tagSpecifications(ctx, KEY, "route-table"),
      // Same stack, resource and VPC, same token: the SDK's retry of a create whose answer was lost returns the same table.
      ClientToken: ctx.names.routeTableClientToken(want.vpcId),
    }));
    const id = out.RouteTable!.RouteTableId!;
    await reconcile(ctx, id, want, { associations: {} });
    return { id, outputs: { routeTableId: id } };
  },
  async update(ctx, want, live) {
    await reconcile(ctx, live.id, want, { defaultRouteGateway: live.attrs.defaultRouteGateway, associations: live.attrs.associations });
  },
  async delete(ctx, live) {
    for (const associationId of Object.values(live.attrs.associations)) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId: associationId })));
    }
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteRouteTableCommand({ RouteTableId: live.id })));
  },
});
