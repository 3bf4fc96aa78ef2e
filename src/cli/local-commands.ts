import { z } from "zod";
import { SpecSchema } from "../spec/schema.js";
import { StateStore } from "../state/store.js";
import type { CommandContext } from "./context.js";

/** Checks spec and state file, no AWS call. Bad input has already thrown (exit 2) by the time this prints. */
export async function validate(c: CommandContext): Promise<number> {
  const spec = c.spec();
  const state = new StateStore(c.opts.stateDir, spec.appName, spec.region);
  for (const w of state.warnings) c.out.err(`warning: ${w}`);
  const count = Object.keys(state.data.resources).length;
  c.out.out(`spec ok: app ${spec.appName} in ${spec.region}; state ${state.exists ? `${state.path} (${count} resources)` : "not created yet"}`);
  return 0;
}

export const specJsonSchema = () => z.toJSONSchema(SpecSchema, { io: "input", target: "draft-7" });

export async function schema(c: CommandContext): Promise<number> {
  c.out.json(specJsonSchema());
  return 0;
}
