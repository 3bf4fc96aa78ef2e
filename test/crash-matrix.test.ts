import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertConverged, builtStack } from "./convergence.js";
import { APP, withHarness, type HarnessSnapshot } from "./helpers.js";

/**
 * Runs `argv` once on a copy of `from` (or an empty account), recording the world right after each of its
 * mutating calls took effect: the account, state file and lock exactly as a process killed there leaves them.
 */
async function crashWorlds(argv: string[], from?: HarnessSnapshot): Promise<HarnessSnapshot[]> {
  const worlds: HarnessSnapshot[] = [];
  await withHarness(async (h) => {
    h.fake.onMutation = () => worlds.push(h.snapshot());
    const r = await h.cli(argv);
    assert.equal(r.code, 0, r.stderr);
  }, {}, from);
  return worlds;
}

// Built one after the other: two fakes installed at once would answer each other's calls.
const upWorlds = await crashWorlds(["up", "--yes"]);
const downWorlds = await crashWorlds(["down", "--yes"], await builtStack());

describe("crash at every mutating call", () => {
  it(`up from empty: each of the ${upWorlds.length} crash points, then re-run, converges with one of each resource`, async () => {
    assert.ok(upWorlds.length > 30, `a full up makes ${upWorlds.length} mutating calls`);
    for (const [i, world] of upWorlds.entries()) {
      await withHarness(async (h) => {
        const r = await h.cli(["up", "--yes", "--force-unlock"]);
        assert.equal(r.code, 0, `crash after call ${i + 1}: ${r.stderr}`);
        assertConverged(h, `crash after call ${i + 1}`);
        h.resetCalls();
        await h.up();
        assert.deepEqual(h.fake.mutatingCalls(), [], `crash after call ${i + 1}: a further up changes nothing`);
      }, {}, world);
    }
  });

  it(`down from the full stack: each of the ${downWorlds.length} crash points, then re-run, leaves nothing`, async () => {
    assert.ok(downWorlds.length > 20, `a full down makes ${downWorlds.length} mutating calls`);
    for (const [i, world] of downWorlds.entries()) {
      await withHarness(async (h) => {
        const r = await h.cli(["down", "--yes", "--force-unlock"]);
        assert.equal(r.code, 0, `crash after call ${i + 1}: ${r.stderr}`);
        assert.deepEqual(h.fake.taggedResources(APP), [], `crash after call ${i + 1}`);
      }, {}, world);
    }
  });
});
