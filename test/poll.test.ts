import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STATUS_EVERY_MS, backoff, poll } from "../src/engine/poll.js";
import { VirtualClock } from "./fake/clock.js";

describe("poll", () => {
  it("looks on its schedule, says where it stands at least every 10 s between looks, and ends with the value", async () => {
    const clock = new VirtualClock();
    const looks: number[] = [];
    const lines: [string, number][] = [];
    const r = await clock.run(() => poll(async () => {
      looks.push(clock.now());
      return clock.now() >= 60_000 ? { done: true as const, value: "ready" } : { done: false as const, state: clock.now() < 30_000 ? "starting" : "checking" };
    }, { clock, signal: new AbortController().signal, timeoutMs: 120_000, delay: () => 30_000, progress: (state, ms) => lines.push([state, ms]) }));
    assert.deepEqual(r, { outcome: "done", value: "ready", elapsedMs: 60_000 });
    assert.deepEqual(looks, [0, 30_000, 60_000], "a status line is not a look");
    assert.deepEqual(lines.map(([, ms]) => ms), [0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    assert.deepEqual(lines.map(([s]) => s).slice(2, 4), ["starting", "checking"]);
    assert.ok(STATUS_EVERY_MS === 10_000);
  });

  it("takes its last look at the timeout, not a whole delay later; an interrupt ends it at once", async () => {
    const clock = new VirtualClock();
    const r = await clock.run(() => poll(async () => ({ done: false as const, state: "pending" }), { clock, signal: new AbortController().signal, timeoutMs: 45_000, delay: backoff(10_000, 40_000) }));
    assert.deepEqual(r, { outcome: "timeout", state: "pending", elapsedMs: 45_000 });
    const ctrlC = new AbortController();
    setTimeout(() => ctrlC.abort(), 5);
    const i = await clock.run(() => poll(async () => ({ done: false as const, state: "pending" }), { clock, signal: ctrlC.signal, timeoutMs: Infinity, delay: () => 1_000 }));
    assert.equal(i.outcome, "interrupted");
  });
});
