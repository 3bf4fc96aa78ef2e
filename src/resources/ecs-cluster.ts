import { CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand } from "@aws-sdk/client-ecs";
import { ignoreNotFound } from "../aws/ec2.js";
import type { Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromLowerKeyValueTags, lowerKeyValueTags } from "./owned.js";

const KEY = "ecs-cluster";
const desired = (_spec: Target) => ({ status: "ACTIVE" });

export const ecsCluster: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "ecs:cluster",
  dependsOn: [],
  title: (spec) => `ECS cluster ${spec.appName}`,
  desired,
  async observe(ctx, prior) {
    const out = await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [ctx.names.cluster], include: ["TAGS"] }));
    const c = out.clusters?.find((x) => x.status === "ACTIVE" || x.status === "PROVISIONING");
    if (!c?.clusterArn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `ECS cluster ${ctx.names.cluster}`, c.clusterArn, async () => fromLowerKeyValueTags(c.tags));
    return { id: c.clusterArn, attrs: { status: "ACTIVE" }, outputs: { clusterArn: c.clusterArn, clusterName: c.clusterName! } };
  },
  async create(ctx) {
    // CreateCluster returns the existing cluster when the name is taken: naturally idempotent.
    const out = await ctx.aws.ecs.send(new CreateClusterCommand({ clusterName: ctx.names.cluster, tags: lowerKeyValueTags(stackTags(ctx.spec, KEY)) }));
    return { id: out.cluster!.clusterArn!, outputs: { clusterArn: out.cluster!.clusterArn!, clusterName: ctx.names.cluster } };
  },
  async delete(ctx) {
    await ignoreNotFound(() => ctx.aws.ecs.send(new DeleteClusterCommand({ cluster: ctx.names.cluster })));
  },
};
