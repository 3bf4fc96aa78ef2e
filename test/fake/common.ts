import type { mockClient } from "aws-sdk-client-mock";

/** What every service of the fake shares: errors as the SDK raises them, the latency table, tag shapes, handler types. */

export type Tags = Record<string, string>;

export class CrashError extends Error {
  override readonly name = "SimulatedCrash";
  constructor() { super("simulated crash: the process died here"); }
}

/** An error shaped as the SDK v3 deserialises a service error: `name` is the AWS error code. */
export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status, requestId: `req-${Math.random().toString(16).slice(2, 10)}` } });
}

/**
 * One page of a list call: AWS's documented page size (or the caller's max), `pageSize` when a test asks for
 * smaller pages (`FakeAws.pageSize`: AWS may page at any size, and every list loop must follow the token).
 */
export function page<T>(all: readonly T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = Number(token ?? 0);
  const end = start + size;
  return { items: all.slice(start, end), ...(end < all.length ? { next: String(end) } : {}) };
}

/** How long AWS takes, in virtual milliseconds. */
export const LATENCY = {
  call: 150,
  albActive: 120_000,
  albEniLinger: 90_000,
  rdsCreate: 600_000,
  rdsModify: 60_000,
  rdsDelete: 300_000,
  rdsStop: 60_000,
  rdsStart: 300_000,
  /** A snapshot of a small (20 GB) database: a few minutes. */
  rdsSnapshot: 180_000,
  serviceDrain: 30_000,
  /** How long a one-off command or a crashing app runs before its container exits; a failed pull's retries. (ECS tasks' phases: deploy-model.ts.) */
  taskExit: 30_000,
};

// EC2, ELB, RDS and IAM spell tags `{Key, Value}`; ECS `{key, value}`; ECR `{Key, Value}`; Logs a plain map.
export const fromUpper = (list: { Key?: string; Value?: string }[] | undefined): Tags => Object.fromEntries((list ?? []).map((t) => [t.Key!, t.Value ?? ""]));
export const toUpper = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
export const fromLower = (list: { key?: string; value?: string }[] | undefined): Tags => Object.fromEntries((list ?? []).map((t) => [t.key!, t.value ?? ""]));
export const toLower = (tags: Tags) => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** How one service checks the tags of a create or a tag call, and the codes it answers with. */
interface TagRules { keyMax: number; valueMax: number; valueMin?: number; chars?: RegExp; reserved?: RegExp; tooMany: string; invalid: string }
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** 50 tags per resource everywhere, "aws:" ones apart; lengths and characters as each API reference's Tag type says. */
export const TAG_RULES = {
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions: EC2 allows any character.
  ec2: { keyMax: 128, valueMax: 256, tooMany: "TagLimitExceeded", invalid: "InvalidParameterValue" },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html
  iam: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, tooMany: "LimitExceeded", invalid: "InvalidInput" },
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Tag.html, API_AddTags.html (TooManyTags)
  elbv2: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, tooMany: "TooManyTags", invalid: "ValidationError" },
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html: no "aws:" or "rds:" prefix
  rds: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, reserved: /^rds:/i, tooMany: "TagQuotaPerResourceExceeded", invalid: "InvalidParameterValue" },
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html
  ecs: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, tooMany: "InvalidParameterException", invalid: "InvalidParameterException" },
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html, API_TagResource.html (TooManyTagsException)
  ecr: { keyMax: 128, valueMax: 256, tooMany: "TooManyTagsException", invalid: "InvalidTagParameterException" },
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TagResource.html
  logs: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, tooMany: "TooManyTagsException", invalid: "InvalidParameterException" },
  // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Tag.html: a value of at least 1 character
  scheduler: { keyMax: 128, valueMax: 256, valueMin: 1, tooMany: "ServiceQuotaExceededException", invalid: "ValidationException" },
  // https://docs.aws.amazon.com/acm/latest/APIReference/API_Tag.html
  acm: { keyMax: 128, valueMax: 256, chars: TAG_CHARS, tooMany: "TooManyTagsException", invalid: "InvalidTagException" },
} satisfies Record<string, TagRules>;

/** `added` once checked against the service's rules, with the resource's `current` tags counted in. */
export function checkTags(rules: TagRules, current: Tags, added: Tags): Tags {
  const length = (s: string) => [...s].length;
  for (const [k, v] of Object.entries(added)) {
    const bad = /^aws:/i.test(k) || rules.reserved?.test(k) || length(k) < 1 || length(k) > rules.keyMax
      || length(v) < (rules.valueMin ?? 0) || length(v) > rules.valueMax || (rules.chars && !(rules.chars.test(k) && rules.chars.test(v)));
    if (bad) throw awsError(rules.invalid, `Invalid tag: ${JSON.stringify(k)}=${JSON.stringify(v)}`);
  }
  const count = Object.keys({ ...current, ...added }).filter((k) => !/^aws:/i.test(k)).length;
  if (count > 50) throw awsError(rules.tooMany, `A resource can have at most 50 tags, this request would make ${count}`);
  return added;
}

/** `{ CreateVpc: CreateVpcCommand, ... }` out of an SDK client module. */
type Commands<M> = { [K in keyof M as K extends `${infer Op}Command` ? Op : never]: M[K] };
type InputOf<C> = C extends { new (...args: infer A): unknown } ? Exclude<A[0], undefined> : never;
/** Handlers for some of a client module's operations, each taking that operation's SDK input type. */
export type Handlers<M> = { [Op in keyof Commands<M>]?: (input: InputOf<Commands<M>[Op]>, call: CallContext) => unknown };
/** What a call carries besides its input: the region its client was made for (S3 answers a bucket of another region with a redirect). */
export interface CallContext { region: string }

/**
 * One service of the fake, its operations split as the Service Authorization Reference classifies the IAM
 * actions ("Access level": List and Read are `reads`, Write and Tagging are `writes`), e.g.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html. A call counts as
 * mutating because the fake files it under `writes`, not because of its name or of the product's opinion.
 */
export interface Service<M> {
  client: Parameters<typeof mockClient>[0];
  sdk: M;
  reads: Handlers<M>;
  writes: Handlers<M>;
}
