import type { Clock } from "../shared/clock.js";
import { poll } from "../engine/poll.js";
import type { HttpGet } from "./context.js";

export interface HealthResult { ok: boolean; last: string; ms: number; interrupted: boolean }

/**
 * GETs `url` until it answers 200, `timeoutMs` passes or the run is interrupted: the first GET at once (the
 * app is normally up when this starts), then every 5 s, with a status line at least every 10 s.
 */
export async function waitHealthy(
  ctx: { clock: Clock; signal: AbortSignal; http: HttpGet }, url: string, timeoutMs: number, progress?: (line: string) => void,
): Promise<HealthResult> {
  const r = await poll(async () => {
    try {
      const status = await ctx.http(url);
      return status === 200 ? { done: true as const, value: "HTTP 200" } : { done: false as const, state: `HTTP ${status}` };
    } catch (e) {
      return { done: false as const, state: (e as Error).message };
    }
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs, delay: () => 5_000,
    progress: (state, ms) => progress?.(`waiting for GET ${url} to answer 200: ${state} [${Math.round(ms / 1000)}s]`),
  });
  return r.outcome === "done"
    ? { ok: true, last: r.value, ms: r.elapsedMs, interrupted: false }
    : { ok: false, last: r.state, ms: r.elapsedMs, interrupted: r.outcome === "interrupted" };
}
