import { z } from "zod";
import { digest, movedSince, type Observed, type Plan } from "../engine/plan.js";
import { UserError } from "../errors.js";
import type { Stack } from "./stack.js";

/**
 * A plan saved by `plan --out FILE`, for CI that plans on a pull request and applies the reviewed plan after the
 * merge (`up --plan FILE`), as Terraform's `plan -out` and `apply FILE`. It holds no secret: diffs are masked
 * as `plan` prints them, and what the plan assumed is kept as digests. It applies only while the state file
 * (its serial), the spec and every resource it saw are as they were.
 */
const Diff = z.object({
  field: z.string(), path: z.string(), before: z.unknown(), after: z.unknown(),
  forcesReplace: z.boolean().optional(), downtime: z.boolean().optional(), note: z.string().optional(), sensitive: z.boolean().optional(),
});
const Change = z.object({
  key: z.string(), kind: z.string(), title: z.string(), action: z.enum(["noop", "create", "update", "replace", "delete"]),
  id: z.string().optional(), diffs: z.array(Diff), duplicates: z.array(z.string()).optional(), stateful: z.boolean().optional(),
  assumed: z.object({ id: z.string().optional(), fields: z.record(z.string(), z.string()), afterApply: z.boolean().optional() }),
  planned: z.record(z.string(), z.string().nullable()),
});
const SavedPlanSchema = z.object({
  format: z.literal("spontime-infra plan"),
  version: z.literal(1),
  app: z.string(),
  region: z.string(),
  /** The state file's serial when the plan was made: any write since (another run) makes the plan stale. */
  serial: z.number().int(),
  /** A digest of the spec (without the profile, which may differ between the planning and the applying machine). */
  spec: z.string(),
  createdAt: z.string(),
  plan: z.object({ mode: z.literal("up"), changes: z.array(Change), notes: z.array(z.string()).optional() }),
});
export type SavedPlan = z.output<typeof SavedPlanSchema>;

const specDigest = (stack: Stack) => digest({ ...stack.options.spec, profile: undefined });

export function savedPlan(stack: Stack, plan: Plan, at: Date): SavedPlan {
  const { spec } = stack.options;
  return {
    format: "spontime-infra plan", version: 1, app: spec.appName, region: spec.region, serial: stack.state.data.serial, spec: specDigest(stack), createdAt: at.toISOString(),
    plan: { mode: "up", changes: plan.changes, ...(plan.notes ? { notes: plan.notes } : {}) },
  };
}

/** Reads a saved plan: a file that is not one, or is another stack's, is bad input (exit 2). */
export function parseSavedPlan(text: string, file: string, stack: Stack): SavedPlan {
  let parsed: SavedPlan;
  try {
    parsed = SavedPlanSchema.parse(JSON.parse(text));
  } catch {
    throw new UserError(`${file} is not a plan saved by \`spontime-infra plan --out\``, "save one with `spontime-infra plan --out FILE`");
  }
  const { appName, region } = stack.options.spec;
  if (parsed.app !== appName || parsed.region !== region) throw new UserError(`${file} is the plan of stack ${parsed.app} in ${parsed.region}, not ${appName} in ${region}`);
  return parsed;
}

/** What moved since the plan was saved, before AWS is read: the spec, or the state file (another run wrote it). */
export function movedBeforeReading(stack: Stack, saved: SavedPlan): string[] {
  return [
    saved.spec !== specDigest(stack) ? "the spec changed" : "",
    saved.serial !== stack.state.data.serial ? `the state file changed (serial ${saved.serial}, now ${stack.state.data.serial}): another run wrote it` : "",
  ].filter(Boolean);
}

/** What moved at AWS since the plan was saved: each resource the plan saw, as it is now. */
export const movedAtAws = (saved: SavedPlan, observed: Observed): string[] =>
  saved.plan.changes.map((ch) => movedSince(ch, observed.get(ch.key))).filter(Boolean);
