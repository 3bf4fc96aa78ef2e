import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertConverged, builtStack, crashRun, mutationsOf } from "./convergence.js";
import { APP, withHarness } from "./helpers.js";

// Counted one after the other: two fakes installed at once would answer each other's calls.
const upCalls = await mutationsOf([["up", "--yes"]]);
const downCalls = await mutationsOf([["up", "--yes"], ["down", "--yes"]]);

describe("crash at every mutating call", () => {
  it(`up from empty: each of the ${upCalls} crash points, then re-run, converges with one of each resource`, async () => {
    assert.ok(upCalls > 30, `a full up makes ${upCalls} mutating calls`);
    for (let k = 1; k <= upCalls; k++) {
      await withHarness(async (h) => {
        await crashRun(h, ["up", "--yes"], k);
        const r = await h.cli(["up", "--yes", "--force-unlock"]);
        assert.equal(r.code, 0, `crash after call ${k}: ${r.stderr}`);
        assertConverged(h, `crash after call ${k}`);
        h.resetCalls();
        await h.up();
        assert.deepEqual(h.fake.mutatingCalls(), [], `crash after call ${k}: a further up changes nothing`);
      });
    }
  });

  it(`down from the full stack: each of the ${downCalls} crash points, then re-run, leaves nothing`, async () => {
    assert.ok(downCalls > 20, `a full down makes ${downCalls} mutating calls`);
    const built = await builtStack();
    for (let k = 1; k <= downCalls; k++) {
      await withHarness(async (h) => {
        await crashRun(h, ["down", "--yes"], k);
        const r = await h.cli(["down", "--yes", "--force-unlock"]);
        assert.equal(r.code, 0, `crash after call ${k}: ${r.stderr}`);
        assert.deepEqual(h.fake.taggedResources(APP), [], `crash after call ${k}`);
      }, {}, built);
    }
  });
});
