/**
 * The per-kind conformance suite (issue 26 item 4), generated from the registry: a kind gets it by being
 * registered. Its other parts are generated from the registry too, each in its own file, and each fails when a
 * registered kind is not covered:
 * - a crash at each call, and a lost answer at each call: test/crash-matrix.test.ts, test/lost-response.test.ts
 *   (every mutating call of `up` from empty and of `down`, over the registry's inventory, FULL_STACK);
 * - every `replaceOn` field: test/real-aws.test.ts ("every replaceOn field of every kind is reached");
 * - drift per compared field: test/drift.test.ts (a field without a change by hand fails the suite);
 * - tagging and permissions: test/tagging.test.ts, test/permissions.test.ts.
 * Here: a foreign owner refused, for every kind AWS tags. The live resource is tagged for another stack
 * behind the tool's back (a neighbour took it over, or the state points at someone else's): `up` refuses and
 * names it before changing anything, and `down` leaves it as it is.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ALL_RESOURCES } from "../src/stack/resources.js";
import { golden } from "./golden.js";
import { withHarness, type HarnessSnapshot } from "./helpers.js";

/** Each kind's refusal, as the user reads it (test/golden/conformance.json): what it is, its id, whose it is. */
const { matches } = golden("conformance");

const APP = "spontime-poc";
const NEIGHBOUR = "neighbour-app";
/** Every optional kind on: https with its zone in the account, and a schedule. */
const EVERYTHING = { https: { domain: "api.example.com" }, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } };
const taggable = ALL_RESOURCES.filter((r) => r.tagging !== "none");

describe("conformance: a resource of another stack is refused, for every kind AWS tags", () => {
  let full: HarnessSnapshot;
  before(async () => {
    full = await withHarness(async (h) => {
      h.fake.createHostedZone("example.com");
      const r = await h.cli(["up", "--yes", "--config", h.writeSpec(EVERYTHING)]);
      assert.equal(r.code, 0, r.stderr);
      return h.snapshot();
    });
  });

  for (const r of taggable) {
    it(`${r.key} (${r.kind}): up refuses and names it, changing nothing; down leaves it`, () => withHarness(async (h) => {
      const config = h.writeSpec(EVERYTHING);
      const theirs = [...h.fake.stackTags(APP)].filter(([, tags]) => tags["spontime:resource"] === r.key);
      assert.ok(theirs.length > 0, `the full stack has a ${r.key}`);
      for (const [, tags] of theirs) tags["spontime:stack"] = NEIGHBOUR;
      const names = theirs.map(([name]) => name);

      h.resetCalls();
      const up = await h.cli(["up", "--yes", "--config", config]);
      assert.notEqual(up.code, 0, `up must refuse:\n${up.stderr}`);
      assert.match(up.stderr, new RegExp(NEIGHBOUR), "the refusal names the stack that owns it");
      matches(r.key, up.stderr.split("\n").filter((line) => line.startsWith("error:")));
      assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), [], "nothing changed before the refusal");

      await h.cli(["down", "--yes", "--config", config]);
      const left = [...h.fake.stackTags(NEIGHBOUR).keys()];
      assert.deepEqual(names.filter((n) => !left.includes(n)), [], "down leaves the neighbour's resource");
      for (const [, tags] of theirs) assert.equal(tags["spontime:stack"], NEIGHBOUR, "its tags untouched");
    }, {}, full));
  }
});
