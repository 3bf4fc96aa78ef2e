import { AttachInternetGatewayCommand, CreateInternetGatewayCommand, DeleteInternetGatewayCommand, DescribeInternetGatewaysCommand, DetachInternetGatewayCommand, type InternetGateway } from "@aws-sdk/client-ec2";
import { findEc2, sendNaming, tagSpecifications, withDuplicates } from "../aws/ec2.js";
import { errorCode, hasCode, ignoreNotFound } from "../aws/errors.js";
import { tagMap, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { vpc } from "./vpc.js";
import { tagged } from "./tagging.js";

const KEY = "internet-gateway";

const desired = (_spec: DesiredStack, ref: RefFn) => ({ vpcId: ref(vpc).vpcId });
type Attrs = { vpcId?: string; tags: Tags };

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

export const internetGateway = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { internetGatewayId: string }>({
  key: KEY,
  kind: "ec2:internet-gateway",
  client: "ec2",
  tagging: "ec2",
  actions: { observe: ["ec2:DescribeInternetGateways"], create: ["ec2:CreateInternetGateway", "ec2:AttachInternetGateway"], update: ["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"], delete: ["ec2:DetachInternetGateway", "ec2:DeleteInternetGateway"] },
  // Detach fails with DependencyViolation while the VPC still has mapped public addresses.
  inUse: hasCode("DependencyViolation"),
  // A retried AttachInternetGateway whose first answer was lost.
  alreadyExists: hasCode("Resource.AlreadyAssociated"),
  title: () => "internet gateway",
  desired,
  async observe(ctx, prior) {
    const ec2 = ctx.aws.ec2;
    const found = await findEc2(ctx, "internet gateway", KEY, prior, async (q) => (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: q.ids, Filters: q.filters }))).InternetGateways, (x) => x.InternetGatewayId);
    if (!found) return undefined;
    return withDuplicates(found, (g: InternetGateway) => ({
      id: g.InternetGatewayId!,
      state: "ready" as const,
      attrs: { vpcId: g.Attachments?.find((a) => ["available", "attached"].includes(String(a.State)))?.VpcId, tags: tagMap(g.Tags) },
      outputs: { internetGatewayId: g.InternetGatewayId! },
    }));
  },
  async create(ctx, want) {
    const out = await ctx.aws.ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications(ctx, KEY, "internet-gateway") }));
    const id = out.InternetGateway!.InternetGatewayId!;
    await attach(ctx, id, want.vpcId);
    return { id, outputs: { internetGatewayId: id } };
  },
  // The VPC it is attached to is the only field an update gets (tags are tagged()'s).
  async update(ctx, want, live) {
    if (live.attrs.vpcId) await detach(ctx, live.id, live.attrs.vpcId);
    await attach(ctx, live.id, want.vpcId);
  },
  async delete(ctx, live) {
    if (live.attrs.vpcId) await detach(ctx, live.id, live.attrs.vpcId);
    await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: live.id })));
  },
});
