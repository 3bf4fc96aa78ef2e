import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, type Filter, type ResourceType, type Tag } from "@aws-sdk/client-ec2";
import { stackTags, TAG_CREATED_BY, TAG_RESOURCE, TAG_STACK } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import type { ReadCache } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";
import { assertOurs, tagList, tagMap } from "./tags.js";

type Ec2Ctx = { aws: Aws; reads: ReadCache; spec: Pick<Spec, "appName" | "tags">; run: RunId };

/** The tags of an EC2 create: the stack's, and which run made it (a copy left by a retried create is then provably that run's). */
export const tagSpecifications = (ctx: { spec: Pick<Spec, "appName" | "tags">; run: RunId }, key: string, type: ResourceType) =>
  [{ ResourceType: type, Tags: tagList({ ...stackTags(ctx.spec, key), [TAG_CREATED_BY]: `${ctx.run.since}/${ctx.run.id}` }) }];

/** This run: a random id, and when it started. */
export interface RunId { id: string; since: string }

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
 * its tags say it is this stack's. Other items carrying the same resource tag are extra copies: `duplicates` when
 * this very run made them (its run id in TAG_CREATED_BY: a create retried after its answer was lost, most EC2
 * creates having no idempotency token), for the engine to delete; `others` when another run made them, which
 * may be using them: never deleted by `up` (the stack stops and says how to resolve it).
 */
export async function findEc2<T extends { Tags?: Tag[] }>(
  ctx: Ec2Ctx, what: string, key: string, prior: { id: string } | undefined, describe: Ec2Describe<T>, idOf: (item: T) => string | undefined,
): Promise<{ item: T; duplicates: T[]; others: T[] } | undefined> {
  const stack = (await ctx.reads.get(`ec2:${what}`, () => describe({ filters: [{ Name: `tag:${TAG_STACK}`, Values: [ctx.spec.appName] }] }))) ?? [];
  const tagged = stack.filter((item) => tagMap(item.Tags)[TAG_RESOURCE] === key).sort((a, b) => idOf(a)!.localeCompare(idOf(b)!));
  let item: T | undefined;
  if (prior?.id) {
    item = stack.find((i) => idOf(i) === prior.id) ?? (await absentIfNotFound(() => describe({ ids: [prior.id] })))?.[0];
    if (item) assertOurs(what, prior.id, tagMap(item.Tags), ctx.spec.appName);
  }
  item ??= tagged[0];
  if (!item) return undefined;
  const extra = tagged.filter((t) => idOf(t) !== idOf(item));
  const byThisRun = (t: T) => madeBy(t.Tags)?.run === ctx.run.id;
  return { item, duplicates: extra.filter(byThisRun), others: extra.filter((t) => !byThisRun(t)) };
}

/** Which run made an item, and when, from its TAG_CREATED_BY (absent on what an earlier version made). */
export function madeBy(tags: Tag[] | undefined): { since: string; run: string } | undefined {
  const value = tagMap(tags)[TAG_CREATED_BY];
  const at = value?.lastIndexOf("/") ?? -1;
  return value && at > 0 ? { since: value.slice(0, at), run: value.slice(at + 1) } : undefined;
}

/** What observe returns for a found item, with each extra copy turned into the same shape, and which run made each. */
export const withDuplicates = <T extends { Tags?: Tag[] }, L>(found: { item: T; duplicates: T[]; others: T[] }, live: (item: T) => L) => {
  type Made = L & { createdBy?: { since: string; run: string } };
  const made = (t: T): Made => {
    const by = madeBy(t.Tags);
    return { ...live(t), ...(by ? { createdBy: by } : {}) };
  };
  return {
    ...made(found.item),
    ...(found.duplicates.length ? { duplicates: found.duplicates.map(made) } : {}),
    ...(found.others.length ? { otherCopies: found.others.map(made) } : {}),
  };
};

/** Which filter of DescribeNetworkInterfaces finds what uses an item of each kind (a VPC's also holds subnets). */
const ENI_FILTER: Record<string, string> = { "ec2:vpc": "vpc-id", "ec2:subnet": "subnet-id", "ec2:security-group": "group-id" };

/**
 * What uses an EC2 network item, for a person to decide which copy to keep: the network interfaces in it (an ALB's,
 * the database's, a task's, named by their description), and a VPC's subnets.
 */
export async function networkUsers(aws: Aws, kind: string, id: string): Promise<string[]> {
  const filter = ENI_FILTER[kind];
  if (!filter) return [];
  const enis = (await aws.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: filter, Values: [id] }] }))).NetworkInterfaces ?? [];
  const subnets = kind === "ec2:vpc" ? (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [id] }] }))).Subnets ?? [] : [];
  return [...subnets.map((s) => `subnet ${s.SubnetId}`), ...enis.map((n) => `network interface ${n.NetworkInterfaceId} (${n.Description || "no description"})`)];
}
