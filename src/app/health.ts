import type { AppCtx } from "./context.js";

export interface HealthResult { ok: boolean; last: string; ms: number }

/** GETs `url` every 5 s until it answers 200 or `timeoutMs` passes (or the run is interrupted). */
export async function waitHealthy(ctx: Pick<AppCtx, "clock" | "signal" | "http">, url: string, timeoutMs: number, progress?: (line: string) => void): Promise<HealthResult> {
  const start = ctx.clock.now();
  let last = "no answer";
  for (;;) {
    try {
      const status = await ctx.http(url);
      if (status === 200) return { ok: true, last: "HTTP 200", ms: ctx.clock.now() - start };
      last = `HTTP ${status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (ctx.clock.now() - start > timeoutMs || ctx.signal.aborted) return { ok: false, last, ms: ctx.clock.now() - start };
    progress?.(`health check ${url}: ${last}`);
    await ctx.clock.sleep(5_000, ctx.signal);
  }
}
