import { existsSync, readFileSync } from "node:fs";
import * as z from "zod";
import { UserError } from "../errors.js";
import { SpecSchema, type Spec } from "./schema.js";

export const DEFAULT_CONFIG = "spontime.config.json";

export interface SpecOverrides { region?: string; profile?: string }

/** Reads and validates the spec; with no file at the default path the seed's defaults apply. */
export function loadSpec(path: string | undefined, overrides: SpecOverrides, env: NodeJS.ProcessEnv = process.env): Spec {
  const file = path ?? DEFAULT_CONFIG;
  let raw: unknown = {};
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${file}: not valid JSON (${(e as Error).message})`, "fix the syntax, or run `spontime-infra init` for a fresh file");
    }
  } else if (path !== undefined) {
    throw new UserError(`${file}: no such file`, "run `spontime-infra init` to write one, or drop --config to use the defaults");
  }
  const parsed = SpecSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${file}: ${describeIssue(parsed.error)}`, "see spontime.schema.json for every field");
  const spec = parsed.data;
  // Precedence: flag, then the standard AWS variables, then the file, then the default.
  const region = overrides.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const profile = overrides.profile ?? env.AWS_PROFILE;
  if (region !== undefined) {
    const r = SpecSchema.shape.region.safeParse(region);
    if (!r.success) throw new UserError(`region ${JSON.stringify(region)}: must be an AWS region like us-east-1`);
    spec.region = r.data;
  }
  if (profile) spec.profile = profile;
  return spec;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") return `unknown field ${issue.keys.map((k) => [...issue.path, k].join(".")).join(", ")}`;
  return `${where}: ${issue.message}`;
}
