import type { HttpGet } from "../app/context.js";
import type { Clock } from "../shared/clock.js";
import { UserError } from "../errors.js";
import type { Spec } from "../config/schema.js";
import type { Output } from "./output.js";

/** Options every command understands (commander's optsWithGlobals). */
export interface GlobalOptions {
  /** The spec file: --config, or the one found upward from the working directory (`configFound`). */
  config?: string;
  /** The spec was found by looking upward, not given: said once, and the state directory defaults beside it. */
  configFound?: boolean;
  stateDir: string;
  stateBucket?: string;
  region?: string;
  profile?: string;
  yes?: boolean;
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  forceUnlock?: boolean;
}

/** What a command handler gets: parsed options, output, and the injectable clock and interrupt signal. */
export interface CommandContext<O = object> {
  opts: GlobalOptions & O;
  out: Output;
  clock?: Clock;
  /** The health check's HTTP GET; tests pass one that asks the fake AWS. */
  http?: HttpGet;
  signal: AbortSignal;
  spec(): Spec;
}

/** The spec, parsed on first use; the zod schema loads with it, so `--help` never pays for it. `opts.config` is the file found or given. */
export async function makeSpecLoader(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<() => Spec> {
  const { loadSpec } = await import("../config/load.js");
  let spec: Spec | undefined;
  return () => (spec ??= loadSpec(opts.config, { ...(opts.region ? { region: opts.region } : {}), ...(opts.profile ? { profile: opts.profile } : {}) }, env));
}

/** A "no" to a prompt: the command stops, exit 1 with "Cancelled." (Terraform's convention), nothing more is done. */
export class Cancelled extends Error {
  override readonly name = "Cancelled";
  constructor(what: string) { super(`Cancelled. ${what}`); }
}

/** Asks on a terminal; without one, refuses unless --yes was given. */
export async function confirm(c: CommandContext, question: string, refusal: string): Promise<boolean> {
  if (c.opts.yes) return true;
  const stdin = c.out.io.stdin;
  if (!stdin.isTTY) throw new UserError(`${refusal}: no terminal to ask for confirmation`, "run it again with --yes");
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: stdin, output: c.out.io.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(`${question} Type "yes" to continue: `);
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}
