import {
  CreateRepositoryCommand, DeleteRepositoryCommand, DescribeRepositoriesCommand, GetLifecyclePolicyCommand, ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand, PutLifecyclePolicyCommand,
} from "@aws-sdk/client-ecr";
import { absentIfNotFound, ignoreNotFound } from "../aws/ec2.js";
import type { Ctx, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromKeyValueTags, keyValueTags } from "./owned.js";

const KEY = "ecr-repository";
const desired = (spec: Target) => ({ scanOnPush: false, keepImages: spec.ecr.keepImages });
type Want = ReturnType<typeof desired>;

const lifecyclePolicy = (keep: number) => JSON.stringify({
  rules: [{ rulePriority: 1, description: `keep the last ${keep} images`, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep }, action: { type: "expire" } }],
});

const putLifecycle = (ctx: Ctx, keep: number) =>
  ctx.aws.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: ctx.names.ecrRepository, lifecyclePolicyText: lifecyclePolicy(keep) }));

export const ecrRepository: Resource<Want> = {
  key: KEY,
  kind: "ecr:repository",
  dependsOn: [],
  title: (spec) => `ECR repository ${spec.appName}`,
  desired,
  async observe(ctx, prior) {
    const name = ctx.names.ecrRepository;
    const repo = (await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))))?.repositories?.[0];
    if (!repo?.repositoryArn) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `ECR repository ${name}`, name, async () =>
      fromKeyValueTags((await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }))).tags));
    const policy = await absentIfNotFound(() => ctx.aws.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name })));
    const keep = policy?.lifecyclePolicyText ? JSON.parse(policy.lifecyclePolicyText).rules?.[0]?.selection?.countNumber : undefined;
    return {
      id: name,
      attrs: { scanOnPush: repo.imageScanningConfiguration?.scanOnPush ?? false, keepImages: keep },
      outputs: { repositoryUri: repo.repositoryUri!, repositoryArn: repo.repositoryArn, registryId: repo.registryId ?? "" },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.ecrRepository;
    const out = await ctx.aws.ecr.send(new CreateRepositoryCommand({
      repositoryName: name, imageTagMutability: "MUTABLE", imageScanningConfiguration: { scanOnPush: want.scanOnPush }, tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    await putLifecycle(ctx, want.keepImages);
    return { id: name, outputs: { repositoryUri: out.repository!.repositoryUri! } };
  },
  async update(ctx, want, _live, changed) {
    if (changed.includes("scanOnPush")) await ctx.aws.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: ctx.names.ecrRepository, imageScanningConfiguration: { scanOnPush: want.scanOnPush } }));
    if (changed.includes("keepImages")) await putLifecycle(ctx, want.keepImages);
  },
  async delete(ctx, live) {
    // `force` deletes the images too; `down` asks before it gets here.
    await ignoreNotFound(() => ctx.aws.ecr.send(new DeleteRepositoryCommand({ repositoryName: live.id, force: true })));
  },
};
