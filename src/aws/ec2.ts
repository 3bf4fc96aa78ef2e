import type { Filter, ResourceType, Tag } from "@aws-sdk/client-ec2";
import { stackTags, TAG_RESOURCE, TAG_STACK } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import type { ReadCache } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";
import { assertOurs, tagList, tagMap } from "./tags.js";

type Ec2Ctx = { aws: Aws; reads: ReadCache; spec: Pick<Spec, "appName" | "tags"> };

export const tagSpecifications = (spec: Pick<Spec, "appName" | "tags">, key: string, type: ResourceType) => [{ ResourceType: type, Tags: tagList(stackTags(spec, key)) }];

/** EC2 is eventually consistent: an id created a moment ago can answer NotFound to the next call naming it. */
const NOT_VISIBLE_YET = [
  "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidInternetGatewayID.NotFound",
  "InvalidGatewayID.NotFound", "InvalidRouteTableID.NotFound",
];

/** `send` for calls that name resources created moments ago: their NotFound is retried, for a minute at most. */
export const sendNaming = (ctx: { aws: Aws }) => ctx.aws.ec2.sendWith({ retryOn: NOT_VISIBLE_YET, deadlineMs: 60_000 });

/** One EC2 Describe call, by ids or by filters. */
export type Ec2Describe<T> = (query: { ids?: string[]; filters?: Filter[] }) => Promise<T[] | undefined>;

/**
 * Finds one EC2 item by the id remembered in state, else by its resource tag. The stack's items of a kind are
 * listed once per observation (by the stack tag) and shared. An id from the state file is trusted only if
 * its tags say it is this stack's. Other items carrying the same resource tag are duplicates (a retried
 * create has no idempotency token for most EC2 calls): returned for the engine to delete.
 */
export async function findEc2<T extends { Tags?: Tag[] }>(
  ctx: Ec2Ctx, what: string, key: string, prior: { id: string } | undefined, describe: Ec2Describe<T>, idOf: (item: T) => string | undefined,
): Promise<{ item: T; duplicates: T[] } | undefined> {
  const stack = (await ctx.reads.get(`ec2:${what}`, () => describe({ filters: [{ Name: `tag:${TAG_STACK}`, Values: [ctx.spec.appName] }] }))) ?? [];
  const tagged = stack.filter((item) => tagMap(item.Tags)[TAG_RESOURCE] === key).sort((a, b) => idOf(a)!.localeCompare(idOf(b)!));
  let item: T | undefined;
  if (prior?.id) {
    item = stack.find((i) => idOf(i) === prior.id) ?? (await absentIfNotFound(() => describe({ ids: [prior.id] })))?.[0];
    if (item) assertOurs(what, prior.id, tagMap(item.Tags), ctx.spec.appName);
  }
  item ??= tagged[0];
  return item ? { item, duplicates: tagged.filter((t) => idOf(t) !== idOf(item)) } : undefined;
}

/** What observe returns for a found item, with each duplicate turned into the same shape. */
export const withDuplicates = <T, L>(found: { item: T; duplicates: T[] }, live: (item: T) => L): L & { duplicates?: L[] } =>
  ({ ...live(found.item), ...(found.duplicates.length ? { duplicates: found.duplicates.map(live) } : {}) });
