/** One error vocabulary: an answer means what its code and message say, never more (issue 26 item 3). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsError } from "./fake/aws.js";
import { withHarness } from "./helpers.js";

describe("error meanings", () => {
  it("an ECS ClientException is 'no such family' only when it says so: any other is a failure, never a new task definition", () => withHarness(async (h) => {
    await h.up();
    // ECS answers ClientException for much besides a missing family (here, a busy family), as API_DescribeTaskDefinition's Errors list.
    h.fake.failWith = (op) => (op === "DescribeTaskDefinition" ? awsError("ClientException", "Too many concurrent attempts to create a new revision of the specified family.") : undefined);
    h.resetCalls();
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Too many concurrent attempts/);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), [], "nothing registered, nothing changed");
    h.fake.failWith = undefined;
    const again = await h.cli(["up", "--yes"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(h.fake.count("RegisterTaskDefinition"), 0, "the family's revision is still the one in use");
  }));
});
