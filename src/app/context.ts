import { Aws } from "../aws/clients.js";
import type { Clock } from "../shared/clock.js";
import { names } from "../config/names.js";
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
  /** The environment: CI's variables say who deploys (src/app/releases.ts). */
  env: NodeJS.ProcessEnv;
  /** One status line (stderr on the CLI). */
  progress(line: string): void;
}

export interface ConnectOptions extends Omit<AppCtx, "names" | "aws"> {
  debug?: (line: string) => void;
}

/** The app commands' context: AWS clients for the spec's region and profile, credentials checked before any call. */
export async function connectApp(o: ConnectOptions): Promise<AppCtx> {
  const { debug, ...ctx } = o;
  const aws = new Aws({ region: o.spec.region, ...(o.spec.profile ? { profile: o.spec.profile } : {}), ...(debug ? { debug } : {}), retrying: o.progress }, o.clock, o.signal);
  await aws.checkCredentials(o.env);
  return { ...ctx, names: names(o.spec), aws };
}
