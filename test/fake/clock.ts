import type { Clock } from "../../src/shared/clock.js";

interface Timer { at: number; seq: number; resolve: () => void }
const noop = () => {};

/**
 * A clock whose time moves only when everything in flight is waiting on it: `run` drains the microtask
 * queue, then jumps to the next timer. Minutes of AWS waits take milliseconds, in a deterministic order.
 * Everything the code under test does must be promise-based or synchronous (state writes are synchronous).
 */
export class VirtualClock implements Clock {
  private seq = 0;
  private timers: Timer[] = [];

  /** `start`: the time to begin at, e.g. a snapshot's (state holds absolute times: readyAt, createdAt). */
  constructor(private t = 0) {}

  now(): number { return this.t; }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      let onAbort = noop;
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve: () => { signal?.removeEventListener("abort", onAbort); resolve(); } };
      onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Runs `fn` to completion, advancing virtual time whenever nothing else can make progress. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    let settled = false;
    const p = fn().finally(() => { settled = true; });
    p.catch(() => {});
    while (!settled) {
      for (let i = 0; i < 3 && !settled; i++) await new Promise((r) => setImmediate(r));
      if (settled) break;
      const next = this.timers.shift();
      if (!next) {
        await new Promise((r) => setTimeout(r, 1)); // something waits on real I/O
        continue;
      }
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    return p;
  }
}
