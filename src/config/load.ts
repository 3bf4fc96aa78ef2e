import { existsSync, readFileSync } from "node:fs";
import * as z from "zod";
import { UserError } from "../errors.js";
import { SpecSchema, type Spec } from "./schema.js";

export interface SpecOverrides { region?: string; profile?: string }

/** Reads and validates the spec at `path` (--config, or the file `findConfig` found); without one the seed's defaults apply. */
export function loadSpec(path: string | undefined, overrides: SpecOverrides, env: NodeJS.ProcessEnv = process.env): Spec {
  // Without a file, the defaults: nothing to refuse, and no region named.
  const raw = path === undefined ? {} : readSpec(path);
  const parsed = SpecSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${path}: ${describeIssues(parsed.error)}`, "see spontime.schema.json for every field");
  const spec = parsed.data;
  // The schema took it, so it is an object: whether it names a region.
  const named = "region" in (raw as object);
  spec.region = stackRegion({ region: spec.region, named: named ? path : undefined }, overrides.region, env);
  const profile = overrides.profile ?? env.AWS_PROFILE;
  if (profile) spec.profile = profile;
  return spec;
}

function readSpec(path: string): unknown {
  if (!existsSync(path)) throw new UserError(`${path}: no such file`, "run `spontime-infra init` to write one, or drop --config to use the defaults");
  const text = readSpecFile(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message})`, "fix the syntax, or run `spontime-infra init` for a fresh file");
  }
}

/** How to make the regions agree, for every refusal below. */
const CHOOSE = "a stack's region is its spec's \"region\": put the one you mean there, and unset (or align) AWS_REGION / AWS_DEFAULT_REGION and --region";

/**
 * The stack's region: the spec's. Only a spec that names none takes `--region`, else AWS_REGION /
 * AWS_DEFAULT_REGION, else the schema's default (us-east-1). A region named elsewhere that differs from the
 * spec's is refused (exit 2), never silently used: the region decides which stack a run manages, and a stack
 * of the same appName may live in another region. The profile's region is checked with credentials (clients.ts).
 */
export function stackRegion(spec: { region: string; named?: string }, flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const others: [string, string | undefined][] = [["--region", flag], ["AWS_REGION", env.AWS_REGION], ["AWS_DEFAULT_REGION", env.AWS_DEFAULT_REGION]];
  for (const [source, value] of others) {
    const checked = value ? SpecSchema.shape.region.safeParse(value) : undefined;
    if (checked && !checked.success) throw new UserError(`${source}: ${checked.error.issues[0]!.message}`);
  }
  const given = others.filter((o): o is [string, string] => !!o[1]);
  if (spec.named) {
    const clash = given.find(([, value]) => value !== spec.region);
    if (clash) throw new UserError(`${clash[0]} says ${clash[1]} but ${spec.named} says region ${spec.region}: refusing to guess which stack you mean`, CHOOSE);
    return spec.region;
  }
  if (flag) return flag;
  const [first, second] = given;
  if (first && second && first[1] !== second[1]) throw new UserError(`AWS_REGION says ${first[1]} but AWS_DEFAULT_REGION says ${second[1]}, and the spec names no region`, CHOOSE);
  return first?.[1] ?? spec.region;
}

function readSpecFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new UserError(`${file} is a directory, not a spec file`, "pass the spec's JSON file with --config (spontime.config.json)");
    if (code === "EACCES" || code === "EPERM") throw new UserError(`${file}: permission denied`, `make it readable for this user (chmod u+r ${file})`);
    throw e;
  }
}

/** Every problem the schema found: one on its line, several listed one per line. */
function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    if (issue.code === "unrecognized_keys") return `unknown field ${issue.keys.map((k) => [...issue.path, k].join(".")).join(", ")}`;
    // zod says "expected string, received undefined" for a field left out.
    if (issue.code === "invalid_type" && issue.message.endsWith(" received undefined")) return `${where}: missing (${issue.expected} required)`;
    return `${where}: ${issue.message}`;
  });
  return lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  - ${lines.join("\n  - ")}`;
}
