/** ECR: repository names unique, NotFound errors as the SDK names them; images as `docker push` left them. */
import * as ECR from "@aws-sdk/client-ecr";
import type { FakeAws } from "./aws.js";
import { awsError, fromUpper, toUpper, type Service, type Tags } from "./common.js";
import { DEFAULT_IMAGE_MB } from "./deploy-model.js";

/** What an image does when a task runs it: serves, crashes on start, or answers 400 to the health check. */
export type ImageBehavior = "ok" | "crash" | "http400";
export interface Repository { name: string; arn: string; uri: string; scanOnPush: boolean; policy?: string; images: Map<string, Image>; tags: Tags }
/** A pushed image: what it does when run, and its compressed size (the pull time depends on it). */
export interface Image { behavior: ImageBehavior; sizeMb: number }
export interface EcrState { repos: Map<string, Repository> }

export const emptyEcr = (): EcrState => ({ repos: new Map() });

export function pushImage(fake: FakeAws, repository: string, tag: string, behavior: ImageBehavior, sizeMb = DEFAULT_IMAGE_MB): string {
  const r = fake.ecr.repos.get(repository);
  if (!r) throw new Error(`fake: no repository ${repository}`);
  r.images.set(tag, { behavior, sizeMb });
  return `${r.uri}:${tag}`;
}

/** The image `<repository uri>:<tag>`, or undefined if it was never pushed. */
export function imageOf(fake: FakeAws, image: string): Image | undefined {
  const at = image.lastIndexOf(":");
  const repo = [...fake.ecr.repos.values()].find((r) => r.uri === image.slice(0, at));
  return repo?.images.get(image.slice(at + 1));
}

export function ecrService(fake: FakeAws): Service<typeof ECR> {
  const { account } = fake;
  const repos = () => fake.ecr.repos;
  const shape = (r: Repository) => ({ repositoryName: r.name, repositoryArn: r.arn, repositoryUri: r.uri, registryId: account, imageScanningConfiguration: { scanOnPush: r.scanOnPush } });
  const get = (name: string | undefined) => {
    const r = repos().get(name ?? "");
    if (!r) throw awsError("RepositoryNotFoundException", `The repository with name '${name}' does not exist in the registry with id '${account}'`);
    return r;
  };
  const byArn = (arn: string | undefined) => {
    const r = [...repos().values()].find((x) => x.arn === arn);
    if (!r) throw awsError("RepositoryNotFoundException", `The repository ${arn} does not exist`);
    return r;
  };
  return {
    client: ECR.ECRClient,
    sdk: ECR,
    reads: {
      DescribeRepositories: (i) => ({ repositories: (i.repositoryNames ?? [...repos().keys()]).map((n) => shape(get(n))) }),
      GetLifecyclePolicy: (i) => {
        const r = get(i.repositoryName);
        if (!r.policy) throw awsError("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist");
        return { lifecyclePolicyText: r.policy };
      },
      ListTagsForResource: (i) => ({ tags: toUpper([...repos().values()].find((r) => r.arn === i.resourceArn)?.tags ?? {}) }),
      DescribeImages: (i) => {
        const r = get(i.repositoryName);
        const ids = i.imageIds ?? [...r.images.keys()].map((t) => ({ imageTag: t }));
        for (const id of ids) if (!r.images.has(id.imageTag ?? "")) throw awsError("ImageNotFoundException", `The image with imageId {imageTag:'${id.imageTag}'} does not exist within the repository`);
        return { imageDetails: ids.map((id) => ({ repositoryName: r.name, imageTags: [id.imageTag], imageDigest: `sha256:${id.imageTag}` })) };
      },
    },
    writes: {
      CreateRepository: (i) => {
        const name = i.repositoryName!;
        if (repos().has(name)) throw awsError("RepositoryAlreadyExistsException", `The repository with name '${name}' already exists`);
        const r: Repository = {
          name, arn: fake.arn("ecr", `repository/${name}`), uri: `${account}.dkr.ecr.${fake.region}.amazonaws.com/${name}`,
          scanOnPush: i.imageScanningConfiguration?.scanOnPush ?? false, images: new Map(), tags: fromUpper(i.tags),
        };
        repos().set(name, r);
        return { repository: shape(r) };
      },
      TagResource: (i) => { Object.assign(byArn(i.resourceArn).tags, fromUpper(i.tags)); },
      UntagResource: (i) => { const r = byArn(i.resourceArn); for (const k of i.tagKeys ?? []) delete r.tags[k]; },
      PutLifecyclePolicy: (i) => { get(i.repositoryName).policy = i.lifecyclePolicyText; return { repositoryName: i.repositoryName }; },
      PutImageScanningConfiguration: (i) => { get(i.repositoryName).scanOnPush = i.imageScanningConfiguration?.scanOnPush ?? false; },
      DeleteRepository: (i) => {
        const r = get(i.repositoryName);
        if (r.images.size && !i.force) throw awsError("RepositoryNotEmptyException", "The repository cannot be deleted because it still contains images");
        repos().delete(r.name);
        return { repository: shape(r) };
      },
    },
  };
}
