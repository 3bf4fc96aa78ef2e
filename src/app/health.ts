import type { Clock } from "../shared/clock.js";
import { poll } from "../engine/poll.js";
import type { HttpGet } from "./context.js";

export interface HealthResult { ok: boolean; last: string; ms: number; interrupted: boolean }

/** Node's TLS and certificate error codes (https://nodejs.org/api/errors.html, and OpenSSL's X509 verify codes Node passes on). */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/**
 * Why a GET got no HTTP answer, in words a user acts on. Node's fetch (undici) throws `TypeError: fetch failed`
 * with the socket's error as `cause` (https://github.com/nodejs/undici/issues/1248), and a DOMException named
 * TimeoutError when `AbortSignal.timeout` fires (https://developer.mozilla.org/docs/Web/API/AbortSignal/timeout_static).
 */
export function whyNoAnswer(e: unknown, url: string): string {
  const { hostname, port, protocol } = new URL(url);
  const where = `${hostname}:${port || (protocol === "https:" ? 443 : 80)}`;
  const err = e as { name?: string; message?: string; cause?: unknown };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") return `timeout: no answer from ${where} within 10 s`;
  const cause = (err?.cause ?? err) as { code?: string; message?: string; name?: string };
  const code = cause?.code ?? "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return `DNS: ${hostname} does not resolve (${code}); a new load balancer or record can take a few minutes`;
  if (code === "ECONNREFUSED") return `connection refused by ${where}: nothing listens on that port`;
  if (code === "ECONNRESET") return `connection reset by ${where}`;
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT" || cause?.name === "ConnectTimeoutError") return `timeout: ${where} did not accept the connection`;
  // OpenSSL's own text carries its source path: the code says it all then.
  if (TLS_CODE.test(code)) return `TLS: the handshake with ${where} failed (${code}${cause.message && !cause.message.includes("openssl") ? `: ${cause.message}` : ""})`;
  return `${cause?.message ?? String(e)}${code ? ` (${code})` : ""}`;
}

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
      return { done: false as const, state: whyNoAnswer(e, url) };
    }
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs, delay: () => 5_000,
    progress: (state, ms) => progress?.(`waiting for GET ${url} to answer 200: ${state} [${Math.round(ms / 1000)}s]`),
  });
  return r.outcome === "done"
    ? { ok: true, last: r.value, ms: r.elapsedMs, interrupted: false }
    : { ok: false, last: r.state, ms: r.elapsedMs, interrupted: r.outcome === "interrupted" };
}
