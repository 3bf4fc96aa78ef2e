/** ECR: repository names unique, NotFound errors as the SDK names them; images as `docker push` left them. */
import * as ECR from "@aws-sdk/client-ecr";
import { createHash } from "node:crypto";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, TAG_RULES, toUpper, type Service, type Tags } from "./common.js";
import { DEFAULT_IMAGE_MB } from "./deploy-model.js";

/** What an image does when a task runs it: serves, crashes on start, or answers 400 to the health check. */
export type ImageBehavior = "ok" | "crash" | "http400";
/**
 * `images` by tag; `digests` keeps every image pushed, tagged or not: a tag pushed again names the new image,
 * and the old one stays pullable by its digest (`<uri>@sha256:...`) until a lifecycle rule expires it
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
 */
/** `tagMutability`: MUTABLE unless asked (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html, imageTagMutability). */
export interface Repository { name: string; arn: string; uri: string; scanOnPush: boolean; tagMutability: string; policy?: string; images: Map<string, Image>; digests: Map<string, Image>; tags: Tags }
/** A pushed image: what it does when run, its compressed size (the pull time depends on it), its content digest. */
export interface Image { behavior: ImageBehavior; sizeMb: number; digest: string }
export interface EcrState { repos: Map<string, Repository> }

export const emptyEcr = (): EcrState => ({ repos: new Map() });

export function pushImage(fake: FakeAws, repository: string, tag: string, behavior: ImageBehavior, sizeMb = DEFAULT_IMAGE_MB): string {
  const r = fake.ecr.repos.get(repository);
  if (!r) throw new Error(`fake: no repository ${repository}`);
  // A different image each push: the digest is of the content, which the fake stands in for by a counter.
  const digest = `sha256:${createHash("sha256").update(`${repository}:${tag}:${behavior}:${fake.state.seq++}`).digest("hex")}`;
  const image = { behavior, sizeMb, digest };
  r.images.set(tag, image);
  r.digests.set(digest, image);
  return `${r.uri}:${tag}`;
}

/** The image `<repository uri>:<tag>` or `<repository uri>@<digest>`, or undefined if it was never pushed. */
export function imageOf(fake: FakeAws, image: string): Image | undefined {
  const byDigest = image.includes("@");
  const at = byDigest ? image.indexOf("@") : image.lastIndexOf(":");
  const repo = [...fake.ecr.repos.values()].find((r) => r.uri === image.slice(0, at));
  return byDigest ? repo?.digests.get(image.slice(at + 1)) : repo?.images.get(image.slice(at + 1));
}

export function ecrService(fake: FakeAws): Service<typeof ECR> {
  const { account } = fake;
  const repos = () => fake.ecr.repos;
  const shape = (r: Repository) => ({ repositoryName: r.name, repositoryArn: r.arn, repositoryUri: r.uri, registryId: account, imageScanningConfiguration: { scanOnPush: r.scanOnPush }, imageTagMutability: r.tagMutability });
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
        return { imageDetails: ids.map((id) => ({ repositoryName: r.name, imageTags: [id.imageTag], imageDigest: r.images.get(id.imageTag!)!.digest })) };
      },
    },
    writes: {
      CreateRepository: (i) => {
        const name = i.repositoryName!;
        if (repos().has(name)) throw awsError("RepositoryAlreadyExistsException", `The repository with name '${name}' already exists`);
        const r: Repository = {
          name, arn: fake.arn("ecr", `repository/${name}`), uri: `${account}.dkr.ecr.${fake.region}.amazonaws.com/${name}`,
          scanOnPush: i.imageScanningConfiguration?.scanOnPush ?? false, tagMutability: i.imageTagMutability ?? "MUTABLE", images: new Map(), digests: new Map(), tags: checkTags(TAG_RULES.ecr, {}, fromUpper(i.tags)),
        };
        repos().set(name, r);
        return { repository: shape(r) };
      },
      TagResource: (i) => { const r = byArn(i.resourceArn); Object.assign(r.tags, checkTags(TAG_RULES.ecr, r.tags, fromUpper(i.tags))); },
      UntagResource: (i) => { const r = byArn(i.resourceArn); for (const k of i.tagKeys ?? []) delete r.tags[k]; },
      PutLifecyclePolicy: (i) => { get(i.repositoryName).policy = i.lifecyclePolicyText; return { repositoryName: i.repositoryName }; },
      PutImageTagMutability: (i) => { get(i.repositoryName).tagMutability = i.imageTagMutability!; return { imageTagMutability: i.imageTagMutability }; },
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
