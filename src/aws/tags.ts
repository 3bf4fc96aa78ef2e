import { AddTagsToCertificateCommand, RemoveTagsFromCertificateCommand } from "@aws-sdk/client-acm";
import { CreateTagsCommand, DeleteTagsCommand } from "@aws-sdk/client-ec2";
import { TagResourceCommand as EcrTag, UntagResourceCommand as EcrUntag } from "@aws-sdk/client-ecr";
import { TagResourceCommand as EcsTag, UntagResourceCommand as EcsUntag } from "@aws-sdk/client-ecs";
import { AddTagsCommand, RemoveTagsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { TagRoleCommand, UntagRoleCommand } from "@aws-sdk/client-iam";
import { TagResourceCommand as LogsTag, UntagResourceCommand as LogsUntag } from "@aws-sdk/client-cloudwatch-logs";
import { AddTagsToResourceCommand, RemoveTagsFromResourceCommand } from "@aws-sdk/client-rds";
import { TagResourceCommand as SchedulerTag, UntagResourceCommand as SchedulerUntag } from "@aws-sdk/client-scheduler";
import { UserError } from "../errors.js";
import { isUserTagKey, recordedUserKey, TAG_STACK, TAG_USER_KEYS, TOOL_TAG_KEYS, withUserKeys } from "../config/names.js";
import type { Aws } from "./clients.js";

export type Tags = Record<string, string>;
type TagPair = { Key?: string; Value?: string } | { key?: string; value?: string };

/** Tags as a map, from either form AWS answers with (`{Key, Value}`, or ECS's `{key, value}`). */
export const tagMap = (list: readonly TagPair[] | undefined): Tags =>
  Object.fromEntries((list ?? []).map((t) => ("Key" in t || "Value" in t ? [t.Key ?? "", t.Value ?? ""] : [(t as { key?: string }).key ?? "", (t as { value?: string }).value ?? ""])));

/** A resource's tags in the `{ Key, Value }` form most services take, with the record of its user keys. */
export const tagList = (tags: Tags) => Object.entries(withUserKeys(tags)).map(([Key, Value]) => ({ Key, Value }));
/** The same in ECS's `{ key, value }` form. */
export const ecsTagList = (tags: Tags) => Object.entries(withUserKeys(tags)).map(([key, value]) => ({ key, value }));

/**
 * The live tags this tool owns: its own keys, the user keys the spec names now, and the user keys it set
 * before (recorded in a tag of its own, so a key removed from the spec is removed from AWS too). Tags anyone
 * else added are not ours: never drift, never touched. The record itself is bookkeeping, left out.
 */
export function ownedTags(live: Tags, spec: { tags: Tags }): Tags {
  const record = live[TAG_USER_KEYS];
  const mine = (k: string) => TOOL_TAG_KEYS.includes(k) || (isUserTagKey(k) && (k in spec.tags || recordedUserKey(record, k)));
  return Object.fromEntries(Object.entries(live).filter(([k]) => mine(k)));
}

/**
 * Refuses a resource this stack did not make: found by an id from the state file (a hand-edited or copied file
 * can hold another stack's ids) or by a name another stack uses. Untagged counts as not ours.
 */
/**
 * The AWS CLI command that puts the stack tag back on a resource (`arn`: its ARN when `id` is a name), by the
 * service its ARN names: EC2 ids and IAM role names have none.
 */
export function retagCommand(what: string, id: string, app: string, arn = id.startsWith("arn:") ? id : undefined): string {
  const tag = `Key=${TAG_STACK},Value=${app}`;
  switch (arn?.split(":")[2] ?? (what === "IAM role" ? "iam" : "ec2")) {
    case "ec2": return `aws ec2 create-tags --resources ${id} --tags ${tag}`;
    case "iam": return `aws iam tag-role --role-name ${id} --tags ${tag}`;
    case "elasticloadbalancing": return `aws elbv2 add-tags --resource-arns ${arn} --tags ${tag}`;
    case "rds": return `aws rds add-tags-to-resource --resource-name ${arn} --tags ${tag}`;
    case "ecs": return `aws ecs tag-resource --resource-arn ${arn} --tags key=${TAG_STACK},value=${app}`;
    case "logs": return `aws logs tag-resource --resource-arn ${arn} --tags ${TAG_STACK}=${app}`;
    case "acm": return `aws acm add-tags-to-certificate --certificate-arn ${arn} --tags ${tag}`;
    default: return `aws ${arn!.split(":")[2]} tag-resource --resource-arn ${arn} --tags ${tag}`; // ECR, Scheduler
  }
}

/**
 * Refuses a resource not tagged for this stack. Without any stack tag it may be ours with the tag removed by
 * hand (or a revision registered by hand): the hint gives the exact command that tags it back.
 */
export function assertOurs(what: string, id: string, tags: Tags, app: string, arn?: string): void {
  const owner = tags[TAG_STACK];
  if (owner === app) return;
  throw new UserError(
    `${what} ${id} is ${owner ? `tagged for stack ${owner}` : `not tagged ${TAG_STACK}=${app}`}: refusing to adopt, change or delete it`,
    owner
      ? "it belongs to that stack: pick another appName, or move this stack's state file aside if it names it (resources are found again by their tags)"
      : `if it is this stack's and its tag was removed by hand, put it back with \`${retagCommand(what, id, app, arn)}\` and run again; if it is someone else's, pick another appName`,
  );
}

/** `actions`: the IAM actions of `add` and `remove`; AWS also asks for the add action to tag in a create call. */
type Tagger = { actions: readonly [add: string, remove: string]; add(aws: Aws, id: string, tags: Tags): Promise<unknown>; remove(aws: Aws, id: string, keys: string[]): Promise<unknown> };

/** How each service adds and removes tags on one resource (`id` is the ARN, or the name for IAM roles). */
export const TAGGERS = {
  ec2: {
    actions: ["ec2:CreateTags", "ec2:DeleteTags"],
    add: (aws, id, tags) => aws.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: keys.map((Key) => ({ Key })) })),
  },
  rds: {
    actions: ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
    add: (aws, id, tags) => aws.rds.send(new AddTagsToResourceCommand({ ResourceName: id, Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: id, TagKeys: keys })),
  },
  logs: {
    actions: ["logs:TagResource", "logs:UntagResource"],
    add: (aws, id, tags) => aws.logs.send(new LogsTag({ resourceArn: id, tags })),
    remove: (aws, id, keys) => aws.logs.send(new LogsUntag({ resourceArn: id, tagKeys: keys })),
  },
  ecr: {
    actions: ["ecr:TagResource", "ecr:UntagResource"],
    add: (aws, id, tags) => aws.ecr.send(new EcrTag({ resourceArn: id, tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.ecr.send(new EcrUntag({ resourceArn: id, tagKeys: keys })),
  },
  iam: {
    actions: ["iam:TagRole", "iam:UntagRole"],
    add: (aws, id, tags) => aws.iam.send(new TagRoleCommand({ RoleName: id, Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.iam.send(new UntagRoleCommand({ RoleName: id, TagKeys: keys })),
  },
  elbv2: {
    actions: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
    add: (aws, id, tags) => aws.elbv2.send(new AddTagsCommand({ ResourceArns: [id], Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.elbv2.send(new RemoveTagsCommand({ ResourceArns: [id], TagKeys: keys })),
  },
  ecs: {
    actions: ["ecs:TagResource", "ecs:UntagResource"],
    add: (aws, id, tags) => aws.ecs.send(new EcsTag({ resourceArn: id, tags: ecsTagList(tags) })),
    remove: (aws, id, keys) => aws.ecs.send(new EcsUntag({ resourceArn: id, tagKeys: keys })),
  },
  scheduler: {
    actions: ["scheduler:TagResource", "scheduler:UntagResource"],
    add: (aws, id, tags) => aws.scheduler.send(new SchedulerTag({ ResourceArn: id, Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.scheduler.send(new SchedulerUntag({ ResourceArn: id, TagKeys: keys })),
  },
  acm: {
    actions: ["acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"],
    add: (aws, id, tags) => aws.acm.send(new AddTagsToCertificateCommand({ CertificateArn: id, Tags: tagList(tags) })),
    remove: (aws, id, keys) => aws.acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: id, Tags: keys.map((Key) => ({ Key })) })),
  },
} satisfies Record<string, Tagger>;

/** A service whose resources this tool tags. */
export type TagService = keyof typeof TAGGERS;

/**
 * Brings one resource's owned tags to `want`: sets what differs, removes owned keys no longer wanted, and
 * rewrites the record of user keys along with them (removed with the last user key: Scheduler refuses an empty value).
 */
export async function syncTags(aws: Aws, service: TagService, id: string, want: Tags, have: Tags): Promise<void> {
  const tagger: Tagger = TAGGERS[service];
  const set = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  const gone = Object.keys(have).filter((k) => !(k in want));
  if (!Object.keys(set).length && !gone.length) return;
  const record = withUserKeys(want)[TAG_USER_KEYS];
  if (record) set[TAG_USER_KEYS] = record;
  else if (Object.keys(have).some(isUserTagKey)) gone.push(TAG_USER_KEYS);
  if (Object.keys(set).length) await tagger.add(aws, id, set);
  if (gone.length) await tagger.remove(aws, id, gone);
}
