import {
  CreateRepositoryCommand, DeleteRepositoryCommand, DescribeRepositoriesCommand, GetLifecyclePolicyCommand, ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand, PutImageTagMutabilityCommand, PutLifecyclePolicyCommand,
} from "@aws-sdk/client-ecr";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, tagList, tagMap, type Tags } from "../aws/tags.js";
import type { Ctx, DesiredStack } from "./context.js";
import { tagged } from "./tagging.js";

const KEY = "ecr-repository";
/** The lifecycle policy: the newest `keep` images stay, older ones expire. */
const lifecyclePolicy = (keep: number) => ({
  rules: [{ rulePriority: 1, description: `keep the last ${keep} images`, selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep }, action: { type: "expire" } }],
});

const desired = (spec: DesiredStack) => ({
  scanOnPush: false,
  // Mutable: `deploy --tag` may push a tag again (a rebuilt `latest`), which an IMMUTABLE repository refuses.
  tagMutability: "MUTABLE",
  // The whole policy, so a rule added or changed by hand shows, not only the count.
  lifecyclePolicy: lifecyclePolicy(spec.ecr.keepImages),
});
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = { scanOnPush: boolean; tagMutability?: string; lifecyclePolicy?: unknown; tags: Tags };

const putLifecycle = (ctx: Ctx, policy: Want["lifecyclePolicy"]) =>
  ctx.aws.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: ctx.names.ecrRepository, lifecyclePolicyText: JSON.stringify(policy) }));

export const ecrRepository = tagged<Want, Attrs, { repositoryUri: string; repositoryArn: string }>({
  key: KEY,
  kind: "ecr:repository",
  client: "ecr",
  tagging: "ecr",
  actions: { observe: ["ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:GetLifecyclePolicy"], create: ["ecr:CreateRepository", "ecr:PutLifecyclePolicy"], update: ["ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy"], delete: ["ecr:DeleteRepository"] },
  tagTarget: (live) => live.outputs.repositoryArn,
  ignored: { "encryption": "fixed at creation", "repository policy": "grants other accounts pulls; the stack pulls with its own execution role" },
  stateful: true,
  deleteTakes: "every image in it: `down --keep-images` keeps the repository",
  // A retried CreateRepository whose first answer was lost.
  alreadyExists: hasCode("RepositoryAlreadyExistsException"),
  title: (spec) => `ECR repository ${spec.appName}`,
  desired,
  async observe(ctx) {
    const name = ctx.names.ecrRepository;
    const repo = (await absentIfNotFound(() => ctx.aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))))?.repositories?.[0];
    if (!repo?.repositoryArn) return undefined;
    const tags = tagMap((await ctx.aws.ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }))).tags);
    assertOurs("ECR repository", name, tags, ctx.spec.appName, repo.repositoryArn);
    const policy = await absentIfNotFound(() => ctx.aws.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name })));

    return {
      id: name,
      state: "ready",
      attrs: {
        scanOnPush: repo.imageScanningConfiguration?.scanOnPush ?? false, tagMutability: repo.imageTagMutability,
        lifecyclePolicy: policy?.lifecyclePolicyText ? JSON.parse(policy.lifecyclePolicyText) : undefined, tags,
      },
      outputs: { repositoryUri: repo.repositoryUri!, repositoryArn: repo.repositoryArn },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.ecrRepository;
    const out = await ctx.aws.ecr.send(new CreateRepositoryCommand({
      repositoryName: name, imageTagMutability: want.tagMutability as "MUTABLE", imageScanningConfiguration: { scanOnPush: want.scanOnPush }, tags: tagList(want.tags),
    }));
    await putLifecycle(ctx, want.lifecyclePolicy);
    return { id: name, outputs: { repositoryUri: out.repository!.repositoryUri!, repositoryArn: out.repository!.repositoryArn! } };
  },
  async update(ctx, want, live, changed) {
    if (changed.includes("scanOnPush")) await ctx.aws.ecr.send(new PutImageScanningConfigurationCommand({ repositoryName: live.id, imageScanningConfiguration: { scanOnPush: want.scanOnPush } }));
    if (changed.includes("tagMutability")) await ctx.aws.ecr.send(new PutImageTagMutabilityCommand({ repositoryName: live.id, imageTagMutability: want.tagMutability as "MUTABLE" }));
    if (changed.includes("lifecyclePolicy")) await putLifecycle(ctx, want.lifecyclePolicy);
  },
  async delete(ctx, live) {
    // `force` deletes the images too; `down` asks before it gets here.
    await ignoreNotFound(() => ctx.aws.ecr.send(new DeleteRepositoryCommand({ repositoryName: live.id, force: true })));
  },
});
