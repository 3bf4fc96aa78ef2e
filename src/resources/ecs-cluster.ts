import { CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand, PutClusterCapacityProvidersCommand, type CapacityProviderStrategyItem } from "@aws-sdk/client-ecs";
import { CreateServiceLinkedRoleCommand } from "@aws-sdk/client-iam";
import { codeSaying, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, ecsTagList, tagMap, type Tags } from "../aws/tags.js";
import type { Ctx, DesiredStack } from "./context.js";
import { tagged } from "./tagging.js";

const KEY = "ecs-cluster";

/** One capacity provider takes every task: what the service runs on (`app.capacity`). */
export const strategyOf = (capacity: string): Required<Pick<CapacityProviderStrategyItem, "capacityProvider" | "weight" | "base">>[] =>
  [{ capacityProvider: capacity, weight: 1, base: 0 }];

/**
 * On Spot the cluster carries both Fargate providers (a service can use only providers associated with its
 * cluster: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html, capacityProviderStrategy)
 * and defaults to Spot. On FARGATE they are left as they are: the service then names its launch type or
 * strategy itself, and a provider still used by the service could not be removed anyway.
 */
const desired = (spec: DesiredStack) => ({
  ...(spec.app.capacity === "FARGATE_SPOT" ? { capacityProviders: ["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy: strategyOf("FARGATE_SPOT") } : {}),
});
type Attrs = { capacityProviders?: string[]; defaultCapacityProviderStrategy?: ReturnType<typeof strategyOf>; tags: Tags };

/**
 * ECS needs its service-linked role (AWSServiceRoleForECS) before the first cluster of an account works; ECS
 * makes it itself, but the first CreateCluster can fail while it does ("Unable to assume the service linked
 * role"; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html).
 * Creating it first is idempotent: "has been taken" means it exists.
 */
export async function ensureEcsServiceLinkedRole(ctx: Pick<Ctx, "aws">): Promise<void> {
  try {
    await ctx.aws.iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: "ecs.amazonaws.com" }));
  } catch (e) {
    // AWS answers InvalidInput "... has been taken"; an emulator may say EntityAlreadyExists: both mean it is there.
    if (!hasCode("EntityAlreadyExists")(e) && !(hasCode("InvalidInput")(e) && /has been taken/i.test((e as Error).message ?? ""))) throw e;
  }
}
/** The role exists, but ECS cannot use it for a few seconds more. */
const linkedRoleNotReady = codeSaying("InvalidParameterException", /service linked role/i);
/** The cluster is still applying an earlier change of its providers. */
const clusterNotActive = codeSaying("ClientException", /not ACTIVE/i);

export const ecsCluster = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { clusterArn: string; clusterName: string }>({
  key: KEY,
  kind: "ecs:cluster",
  client: "ecs",
  tagging: "ecs",
  actions: { observe: ["ecs:DescribeClusters"], create: ["iam:CreateServiceLinkedRole", "ecs:CreateCluster"], delete: ["ecs:DeleteCluster"] },
  optionalActions: { when: (spec) => spec.app?.capacity === "FARGATE_SPOT", says: 'with `app.capacity: "FARGATE_SPOT"`', actions: { update: ["ecs:PutClusterCapacityProviders"] } },
  ignored: {
    "Container Insights, Service Connect defaults": "observability and service discovery: no task changes",
    "capacity providers on FARGATE": "the service names its own launch type; compared on Spot, where the service needs them",
  },
  inUse: hasCode("ClusterContainsServicesException", "ClusterContainsTasksException"),
  title: (spec) => `ECS cluster ${spec.appName}`,
  desired,
  async observe(ctx) {
    const out = await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [ctx.names.cluster], include: ["TAGS"] }));
    const c = out.clusters?.find((x) => x.status === "ACTIVE" || x.status === "PROVISIONING");
    if (!c?.clusterArn) return undefined;
    const tags = tagMap(c.tags);
    assertOurs("ECS cluster", ctx.names.cluster, tags, ctx.spec.appName, c.clusterArn);
    const attrs = {
      capacityProviders: [...(c.capacityProviders ?? [])].sort(),
      defaultCapacityProviderStrategy: (c.defaultCapacityProviderStrategy ?? []).map((i) => ({ capacityProvider: i.capacityProvider!, weight: i.weight ?? 0, base: i.base ?? 0 })),
      tags: tags,
    };
    return { id: c.clusterArn, state: "ready", attrs, outputs: { clusterArn: c.clusterArn, clusterName: c.clusterName! } };
  },
  async create(ctx, want) {
    await ensureEcsServiceLinkedRole(ctx);
    // CreateCluster returns the existing cluster when the name is taken: naturally idempotent.
    const out = await ctx.aws.ecs.sendWith({ retryIf: linkedRoleNotReady, deadlineMs: 60_000 })(new CreateClusterCommand({
      clusterName: ctx.names.cluster, capacityProviders: want.capacityProviders, defaultCapacityProviderStrategy: want.defaultCapacityProviderStrategy, tags: ecsTagList(want.tags),
    }));
    return { id: out.cluster!.clusterArn!, outputs: { clusterArn: out.cluster!.clusterArn!, clusterName: ctx.names.cluster } };
  },
  async update(ctx, want) {
    if (want.capacityProviders) {
      // The whole list each time (providers left out are removed), retried while the cluster is busy with an
      // earlier change, as terraform-provider-aws does (#11285, retryClusterCapacityProvidersPut).
      await ctx.aws.ecs.sendWith({ retryOn: ["UpdateInProgressException"], retryIf: clusterNotActive })(new PutClusterCapacityProvidersCommand({
        cluster: ctx.names.cluster, capacityProviders: want.capacityProviders, defaultCapacityProviderStrategy: want.defaultCapacityProviderStrategy,
      }));
    }
  },
  async delete(ctx) {
    await ignoreNotFound(() => ctx.aws.ecs.send(new DeleteClusterCommand({ cluster: ctx.names.cluster })));
  },
});
