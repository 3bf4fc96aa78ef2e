import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertConverged, builtStack, mutationsOf } from "./convergence.js";
import { APP, withHarness } from "./helpers.js";

// Counted one after the other: two fakes installed at once would answer each other's calls.
const upCalls = await mutationsOf([["up", "--yes"]]);
const downCalls = await mutationsOf([["up", "--yes"], ["down", "--yes"]]);

describe("a lost response at every mutating call", () => {
  it(`up from empty: the answer of each of the ${upCalls} calls lost and the call retried: one run, exit 0, one of each resource`, async () => {
    for (let k = 1; k <= upCalls; k++) {
      await withHarness(async (h) => {
        h.fake.loseResponse(k);
        const r = await h.cli(["up", "--yes"]);
        assert.equal(r.code, 0, `answer of call ${k} lost: ${r.stderr}`);
        assertConverged(h, `answer of call ${k} lost`);
        h.resetCalls();
        await h.up();
        assert.deepEqual(h.fake.mutatingCalls(), [], `answer of call ${k} lost: a further up changes nothing`);
      });
    }
  });

  it(`down: the answer of each of the ${downCalls} calls lost and the call retried: one run, exit 0, nothing left`, async () => {
    const built = await builtStack();
    for (let k = 1; k <= downCalls; k++) {
      await withHarness(async (h) => {
        h.fake.loseResponse(k);
        const r = await h.cli(["down", "--yes"]);
        assert.equal(r.code, 0, `answer of call ${k} lost: ${r.stderr}`);
        assert.deepEqual(h.fake.taggedResources(APP), [], `answer of call ${k} lost`);
      }, {}, built);
    }
  });
});
