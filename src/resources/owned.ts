import { UserError } from "../errors.js";
import type { Ctx } from "../engine/types.js";
import type { StoredResource } from "../state/store.js";
import { TAG_STACK } from "../config/names.js";

/**
 * Named resources (RDS, ECR, IAM, logs, ELB, ECS) are found by their deterministic name. One we have no record
 * of is adopted only if its tags say it belongs to this stack: adopting a stranger's database would be worse
 * than failing. The tag read happens only when adopting, so a routine `up` costs no extra call.
 */
export async function checkOwnedWhenAdopting(
  ctx: Ctx,
  prior: StoredResource | undefined,
  what: string,
  id: string,
  readTags: () => Promise<Record<string, string>>,
): Promise<void> {
  if (prior?.id === id) return;
  const tags = await readTags();
  if (tags[TAG_STACK] !== ctx.spec.appName) {
    throw new UserError(
      `${what} already exists and is not tagged ${TAG_STACK}=${ctx.spec.appName}`,
      "it belongs to something else: pick another appName, or delete it yourself if it is a leftover",
    );
  }
}

/** Tags in the `{ Key, Value }` form most services take. */
export const keyValueTags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
/** Tags in ECS's `{ key, value }` form. */
export const lowerKeyValueTags = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
export const fromKeyValueTags = (tags: readonly { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
export const fromLowerKeyValueTags = (tags: readonly { key?: string; value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key ?? "", t.value ?? ""]));
