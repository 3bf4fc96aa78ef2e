import type { Clock } from "../shared/clock.js";

/** How often a wait says where it stands, even when the next look is further away: CI logs never look stuck. */
export const STATUS_EVERY_MS = 10_000;

/** One look at what is being waited for: done with a value, or not yet, in words for the status line. */
export type Look<T> = { done: true; value: T } | { done: false; state: string };

export type PollResult<T> =
  | { outcome: "done"; value: T; elapsedMs: number }
  | { outcome: "timeout" | "interrupted"; state: string; elapsedMs: number };

export interface PollOptions {
  clock: Clock;
  signal: AbortSignal;
  timeoutMs: number;
  /** ms until the next look, from the time waited so far, the last state and how many looks were taken. */
  delay: (elapsedMs: number, state: string, looks: number) => number;
  /** A status line: on every change of state, and at least every STATUS_EVERY_MS while the state stays. */
  progress?: (state: string, elapsedMs: number) => void;
}

/** Delays growing from `firstMs` by `factor` up to `maxMs`: for waits of unknown length. */
export const backoff = (firstMs: number, maxMs: number, factor = 1.5) =>
  (_elapsedMs: number, _state: string, looks: number): number => Math.min(maxMs, firstMs * factor ** Math.max(0, looks - 1));

/**
 * Looks until `look` says done, the timeout passes or the signal aborts. Sleeps on the given clock (the
 * virtual one in tests and the benchmark); never throws for a timeout or an interrupt: the caller words them.
 */
export async function poll<T>(look: () => Promise<Look<T>>, o: PollOptions): Promise<PollResult<T>> {
  const start = o.clock.now();
  const elapsed = () => o.clock.now() - start;
  let lastState: string | undefined;
  let lastLineAt = start; // set again by the first look, which always says its state
  const say = (state: string) => {
    lastLineAt = o.clock.now();
    o.progress?.(state, elapsed());
  };
  for (let looks = 1; ; looks++) {
    const seen = await look();
    if (seen.done) return { outcome: "done", value: seen.value, elapsedMs: elapsed() };
    if (o.signal.aborted) return { outcome: "interrupted", state: seen.state, elapsedMs: elapsed() };
    if (elapsed() >= o.timeoutMs) return { outcome: "timeout", state: seen.state, elapsedMs: elapsed() };
    if (seen.state !== lastState) say(seen.state);
    lastState = seen.state;
    // Never sleep past the timeout: the last look happens at it, not a whole delay later.
    const wakeAt = o.clock.now() + Math.max(0, Math.min(o.delay(elapsed(), seen.state, looks), o.timeoutMs - elapsed()));
    while (o.clock.now() < wakeAt && !o.signal.aborted) {
      const statusDue = lastLineAt + STATUS_EVERY_MS;
      if (o.clock.now() >= statusDue) say(seen.state);
      else await o.clock.sleep(Math.min(wakeAt, statusDue) - o.clock.now(), o.signal);
    }
  }
}
