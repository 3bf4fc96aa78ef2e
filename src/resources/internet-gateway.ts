import { AttachInternetGatewayCommand, CreateInternetGatewayCommand, DeleteInternetGatewayCommand, DescribeInternetGatewaysCommand, DetachInternetGatewayCommand } from "@aws-sdk/client-ec2";
import { errorCode } from "../aws/errors.js";
import { findEc2, ignoreNotFound, managedTags, retag, sendNaming, tagSpecifications } from "../aws/ec2.js";
import type { Ctx, Resource, Target, Deps } from "../engine/types.js";
import { stackTags } from "../config/names.js";

const KEY = "internet-gateway";

const desired = (spec: Target, deps: Deps) => ({ vpcId: deps("vpc").vpcId, tags: stackTags(spec, KEY) });

const attach = (ctx: Ctx, id: string, vpcId: string) =>
  sendNaming(ctx)(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }));

async function detach(ctx: Ctx, id: string, vpcId: string) {
  try {
    await ctx.aws.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }));
  } catch (e) {
    // Detached by an earlier, interrupted attempt: the goal is reached.
    if (errorCode(e) !== "Gateway.NotAttached" && !/NotFound/.test(errorCode(e))) throw e;
  }
}

export const internetGateway: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "ec2:internet-gateway",
  dependsOn: ["vpc"],
  title: () => "internet gateway",
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const g = await findEc2(ctx, "internet-gateways", KEY, prior, async (q) => (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: q.ids, Filters: q.filters }))).InternetGateways, (x) => x.InternetGatewayId);
    if (!g?.InternetGatewayId) return undefined;
    const vpcId = g.Attachments?.find((a) => ["available", "attached"].includes(String(a.State)))?.VpcId;
    return { id: g.InternetGatewayId, attrs: { vpcId, tags: managedTags(ctx.spec, KEY, g.Tags) }, outputs: { internetGatewayId: g.InternetGatewayId } };
  },
  async create(ctx, want) {
    const out = await ctx.aws.ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications(ctx.spec, KEY, "internet-gateway") }));
    const id = out.InternetGateway!.InternetGatewayId!;
    await attach(ctx, id, want.vpcId!);
    return { id, outputs: { internetGatewayId: id } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("vpcId")) {
      if (live.attrs.vpcId) await detach(ctx, live.id, String(live.attrs.vpcId));
      await attach(ctx, live.id, want.vpcId!);
    }
    if (changed.includes("tags")) await retag(ctx, live.id, KEY);
  },
  async delete(ctx, live) {
    // Detach fails with DependencyViolation while the VPC still has mapped public addresses; the engine retries.
    if (live.attrs.vpcId) await detach(ctx, live.id, String(live.attrs.vpcId));
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: live.id })));
  },
};
