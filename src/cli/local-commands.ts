import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as z from "zod";
import { UserError } from "../errors.js";
import { DEFAULT_CONFIG } from "../config/find.js";
import { SpecSchema } from "../config/schema.js";
import { warningLines } from "../config/warnings.js";
import { stateLocation } from "../state/open.js";
import { StateStore } from "../state/store.js";
import type { CommandContext } from "./context.js";

/** Checks spec and state file, no AWS call. Bad input has already thrown (exit 2) by the time this prints. */
export async function validate(c: CommandContext): Promise<number> {
  const spec = c.spec();
  const location = stateLocation(spec, c.opts, c.out.io.env);
  const state = location.backend === "local" ? new StateStore(location.dir, spec.appName, spec.region) : undefined;
  for (const w of [...(state?.warnings ?? []).map((w) => `warning: ${w}`), ...warningLines(spec, c.clock?.now() ?? Date.now())]) c.out.err(w);
  const where = location.backend === "s3" ? `in s3://${location.bucket}/${location.key} (not read: validate makes no AWS call)`
    : state!.exists ? `${state!.path} (${Object.keys(state!.data.resources).length} resources)` : "not created yet";
  c.out.out(`spec ok: app ${spec.appName} in ${spec.region}; state ${where}`);
  return 0;
}

export const specJsonSchema = () => z.toJSONSchema(SpecSchema, { io: "input", target: "draft-7" });

/**
 * Writes the spec with every default spelled out and a $schema for editor completion; never overwrites.
 * Editors resolve $schema relative to the file: it names the installed package's schema when there is one,
 * else the schema written beside the spec (outside this repository nothing else would resolve).
 */
export async function init(c: CommandContext): Promise<number> {
  const file = c.opts.config ?? DEFAULT_CONFIG;
  if (existsSync(file)) throw new UserError(`${file} already exists`, "edit it, or remove it first to start from the defaults");
  const installed = "./node_modules/spontime-infra/spontime.schema.json";
  const beside = join(dirname(file), "spontime.schema.json");
  const useInstalled = existsSync(join(dirname(file), installed));
  const { profile: _profile, ...defaults } = SpecSchema.parse({});
  const spec = { $schema: useInstalled ? installed : "./spontime.schema.json", ...defaults };
  writeFileSync(file, JSON.stringify(spec, null, 2) + "\n", { flag: "wx" });
  c.out.out(`wrote ${file} (the seed design's values; availabilityZones default to the region's first two)`);
  if (!useInstalled && !existsSync(beside)) {
    writeFileSync(beside, JSON.stringify(specJsonSchema(), null, 2) + "\n");
    c.out.out(`wrote ${beside} (the JSON Schema its $schema points at, for editor completion)`);
  }
  return 0;
}

export async function schema(c: CommandContext): Promise<number> {
  c.out.json(specJsonSchema());
  return 0;
}
