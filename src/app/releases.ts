import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, TagResourceCommand } from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { findService } from "../aws/ecs.js";
import { mapLimit } from "../engine/graph.js";
import { UserError, errorMessage } from "../errors.js";
import type { AppCtx } from "./context.js";

/**
 * The stack's deploy history lives in AWS, on the task-definition revisions themselves, so that a teammate or CI
 * with another state directory sees the same list: each deploy (or rollback) of a revision is one tag on it,
 * `spontime:release:<ms since epoch>` = `<outcome> by <who>[ rollback-from <revision>]`, and the image's digest
 * at deploy time is `spontime:image-digest`. ECS task definitions take tags (TagResource,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html), up to 50 each, values of at most
 * 256 letters, digits, spaces and `+ - = . _ : / @` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html).
 */
export const RELEASE_TAG = "spontime:release:";
export const DIGEST_TAG = "spontime:image-digest";
/** Tags that belong to one revision's history: a new revision copied from it starts without them. */
export const isReleaseTag = (key: string) => key.startsWith(RELEASE_TAG) || key === DIGEST_TAG;

export const OUTCOMES = ["in-progress", "healthy", "rolled-back", "failed-health", "failed", "interrupted"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Release {
  revision: number;
  taskDefinitionArn: string;
  image: string;
  tag: string | null;
  digest: string | null;
  deployedAt: string;
  deployedBy: string;
  outcome: Outcome;
  /** A rollback: the revision the service ran before it. */
  rollbackFrom: number | null;
  /** Deregistered revisions (a failed deploy's) stay readable but cannot be deployed again as they are. */
  active: boolean;
  /** The service runs this revision now. */
  current: boolean;
}

/** One deploy, as `deploy` and `rollback` write it when they start and again when they know the outcome. */
export class ReleaseRecord {
  readonly key: string;
  constructor(readonly at: number, readonly by: string, readonly rollbackFrom?: number) { this.key = `${RELEASE_TAG}${at}`; }

  tag(outcome: Outcome): { key: string; value: string } {
    const text = `${outcome} by ${this.by}${this.rollbackFrom ? ` rollback-from ${this.rollbackFrom}` : ""}`;
    return { key: this.key, value: text.replace(/[^\w +\-=.:/@]/g, "_").slice(0, 256) };
  }

  /** Says how the deploy ended, on its revision; a failure to say so is a line in the result, never a failed deploy. */
  async finish(ctx: AppCtx, taskDefinitionArn: string, outcome: Outcome): Promise<string[]> {
    try {
      await ctx.aws.ecs.send(new TagResourceCommand({ resourceArn: taskDefinitionArn, tags: [this.tag(outcome)] }));
      return [];
    } catch (e) {
      return [`(the release history could not record this outcome: ${errorMessage(e)})`];
    }
  }
}

/** Who deploys: the CI run when GitHub Actions runs us (its documented variables), else the caller's AWS identity. */
export async function deployer(ctx: AppCtx): Promise<string> {
  const env = ctx.env;
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID) {
    return `github ${env.GITHUB_REPOSITORY ?? ""}/actions/runs/${env.GITHUB_RUN_ID}${env.GITHUB_ACTOR ? ` @${env.GITHUB_ACTOR}` : ""}`;
  }
  try {
    // GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    return (await (await ctx.aws.sts()).send(new GetCallerIdentityCommand({}))).Arn ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** How many of the family's newest revisions `releases` and `rollback` read (one DescribeTaskDefinition each). */
export const REVISIONS_READ = 50;

const revisionOf = (arn: string) => Number(arn.split(":").pop());

/** The family's newest revisions, ACTIVE and INACTIVE (a failed deploy's revision is deregistered), newest first. */
async function revisions(ctx: AppCtx): Promise<string[]> {
  const family = ctx.names.taskFamily;
  const pages = await Promise.all((["ACTIVE", "INACTIVE"] as const).map((status) =>
    ctx.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status, sort: "DESC", maxResults: 100 }))));
  // familyPrefix is a prefix: "app" also lists "app-2".
  const own = new RegExp(`:task-definition/${family.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+$`);
  return pages.flatMap((p) => p.taskDefinitionArns ?? []).filter((a) => own.test(a)).sort((a, b) => revisionOf(b) - revisionOf(a)).slice(0, REVISIONS_READ);
}

/** The stack's releases, newest first: every deploy and rollback recorded on the family's newest revisions. */
export async function listReleases(ctx: AppCtx): Promise<Release[]> {
  const running = (await findService(ctx))?.taskDefinition;
  const described = await mapLimit(await revisions(ctx), 4, (arn) => ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] })));
  const out: Release[] = [];
  for (const d of described) {
    const td = d.taskDefinition!;
    const tags = Object.fromEntries((d.tags ?? []).map((t) => [t.key!, t.value ?? ""]));
    const image = td.containerDefinitions?.find((c) => c.name === ctx.names.container)?.image ?? "";
    for (const [key, value] of Object.entries(tags)) {
      if (!key.startsWith(RELEASE_TAG)) continue;
      const m = /^(\S+) by (.*?)(?: rollback-from (\d+))?$/.exec(value);
      const outcome = OUTCOMES.find((o) => o === m?.[1]);
      if (!m || !outcome) continue;
      out.push({
        revision: td.revision!, taskDefinitionArn: td.taskDefinitionArn!, image,
        tag: image.includes("@") ? null : (/:([^:/]+)$/.exec(image)?.[1] ?? null),
        digest: tags[DIGEST_TAG] ?? (image.includes("@") ? image.split("@")[1]! : null),
        deployedAt: new Date(Number(key.slice(RELEASE_TAG.length))).toISOString(), deployedBy: m[2]!, outcome,
        rollbackFrom: m[3] ? Number(m[3]) : null, active: td.status === "ACTIVE", current: td.taskDefinitionArn === running,
      });
    }
  }
  return out.sort((a, b) => b.deployedAt.localeCompare(a.deployedAt));
}

/**
 * What `rollback` goes back to: `--to` a revision (`7` or `family:7`) or an image tag (its newest healthy release),
 * else the newest healthy release of another revision than the one the service runs now.
 */
export function pickRollback(releases: Release[], current: string, to?: string): Release {
  const healthy = releases.filter((r) => r.outcome === "healthy");
  if (to) {
    const revision = /^(?:.*:)?(\d+)$/.exec(to)?.[1];
    const found = revision ? releases.find((r) => r.revision === Number(revision)) : healthy.find((r) => r.tag === to) ?? releases.find((r) => r.tag === to);
    if (!found) throw new UserError(`rollback --to ${to}: no release of that ${revision ? "revision" : "image tag"} among the last ${REVISIONS_READ} revisions`, "`spontime-infra releases` lists them");
    if (found.taskDefinitionArn === current) throw new UserError(`rollback --to ${to}: the service already runs revision ${found.revision}`);
    return found;
  }
  const earlier = healthy.find((r) => r.taskDefinitionArn !== current);
  if (!earlier) {
    throw new UserError(`no earlier healthy release to roll back to (the service runs revision ${revisionOf(current)})`, "`spontime-infra releases` lists what was deployed; `deploy --tag <tag>` deploys a fixed image");
  }
  return earlier;
}
