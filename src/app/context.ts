import type { Aws } from "../aws/clients.js";
import type { Clock } from "../engine/clock.js";
import type { names } from "../config/names.js";
import type { Spec } from "../config/schema.js";

/** An HTTP GET that answers the status code; injectable so tests need no server. */
export type HttpGet = (url: string) => Promise<number>;

export const httpGet: HttpGet = async (url) => {
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  return res.status;
};

/** What deploy, run and logs need: no state file, only the spec's deterministic names. */
export interface AppCtx {
  spec: Spec;
  names: ReturnType<typeof names>;
  aws: Aws;
  clock: Clock;
  signal: AbortSignal;
  http: HttpGet;
  /** One progress line; the CLI redraws or prints it. */
  progress(line: string): void;
}
