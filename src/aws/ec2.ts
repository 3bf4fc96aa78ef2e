import { CreateTagsCommand, type Filter, type ResourceType, type Tag } from "@aws-sdk/client-ec2";
import type { Ctx, Target } from "../engine/types.js";
import { stackTags, TAG_RESOURCE, TAG_STACK } from "../config/names.js";
import type { StoredResource } from "../state/store.js";
import { isNotFound } from "./errors.js";
import { fromKeyValueTags, keyValueTags } from "../resources/owned.js";

export const tagSpecifications = (spec: Target, key: string, type: ResourceType) => [{ ResourceType: type, Tags: keyValueTags(stackTags(spec, key)) }];

/** Our tags as they are live: only the keys we set, so tags others add are not drift. */
export function managedTags(spec: Target, key: string, live: readonly Tag[] | undefined): Record<string, string> {
  const have = fromKeyValueTags(live);
  return Object.fromEntries(Object.keys(stackTags(spec, key)).filter((k) => k in have).map((k) => [k, have[k]!]));
}

/** EC2 is eventually consistent: an id created a moment ago can answer NotFound to the next call naming it. */
const NOT_VISIBLE_YET = [
  "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidInternetGatewayID.NotFound",
  "InvalidGatewayID.NotFound", "InvalidRouteTableID.NotFound",
];

/** `send` for calls that name resources created moments ago: their NotFound is retried, for a minute at most. */
export const sendNaming = (ctx: Ctx) => ctx.aws.ec2.sendWith({ retryOn: NOT_VISIBLE_YET, deadlineMs: 60_000 });

/** Reads that answer NotFound for a missing id mean "absent", not failure. */
export async function absentIfNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Deleting something already gone is success. */
export async function ignoreNotFound(action: () => Promise<unknown>): Promise<void> {
  await absentIfNotFound(action);
}

/** One EC2 Describe call, by ids or by filters. */
export type Ec2Describe<T> = (query: { ids?: string[]; filters?: Filter[] }) => Promise<T[] | undefined>;

/**
 * Finds one EC2 item by the id remembered in state, else by its resource tag. The stack's items of a kind are
 * listed once per observation (by the stack tag) and shared; an id missing from that list (its tags removed
 * behind our back) is looked up directly, so it stays ours and gets its tags back.
 */
export async function findEc2<T extends { Tags?: Tag[] }>(ctx: Ctx, kind: string, key: string, prior: StoredResource | undefined, describe: Ec2Describe<T>, idOf: (item: T) => string | undefined): Promise<T | undefined> {
  const stack = (await ctx.reads.get(`ec2:${kind}`, () => describe({ filters: [{ Name: `tag:${TAG_STACK}`, Values: [ctx.spec.appName] }] }))) ?? [];
  if (prior?.id) {
    const byId = stack.find((item) => idOf(item) === prior.id) ?? (await absentIfNotFound(() => describe({ ids: [prior.id] })))?.[0];
    if (byId) return byId;
  }
  return stack.find((item) => fromKeyValueTags(item.Tags)[TAG_RESOURCE] === key);
}

/** Re-applies our tags where they were removed or changed. */
export async function retag(ctx: Ctx, id: string, key: string): Promise<void> {
  await sendNaming(ctx)(new CreateTagsCommand({ Resources: [id], Tags: keyValueTags(stackTags(ctx.spec, key)) }));
}
