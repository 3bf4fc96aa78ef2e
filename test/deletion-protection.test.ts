import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtStack } from "./convergence.js";
import { APP, withHarness, type Harness, type HarnessSnapshot } from "./helpers.js";

const db = (h: Harness) => h.fake.rds.instances.get(`${APP}-db`)!;
const alb = (h: Harness) => [...h.fake.elb.lbs.values()][0]!;
/** Deletion protection turned on by hand, as the RDS and EC2 consoles do. */
const protectDb = (h: Harness) => { db(h).deletionProtection = true; };
const protectAlb = (h: Harness) => { alb(h).attributes["deletion_protection.enabled"] = "true"; };

describe("deletion protection set by hand", () => {
  // Built when the first test asks, not while the file loads: in one process with other files
  // (test/mutation-suite.ts), another file's harness may be running then, and the fake is global.
  let built: Promise<HarnessSnapshot> | undefined;
  const builtOnce = () => (built ??= builtStack());

  it("plan reports it (exit 2) and up leaves it alone, saying why, with no mutating call", async () => withHarness(async (h) => {
    protectDb(h);
    protectAlb(h);
    const plan = await h.cli(["plan", "--detailed-exitcode"]);
    assert.equal(plan.code, 2, plan.stderr);
    assert.match(plan.stdout, /! RDS PostgreSQL .*\n\s+deletionProtection: true → false \(left alone: .*down --disable-deletion-protection/);
    assert.match(plan.stdout, /! application load balancer .*\n\s+deletionProtection: true → false \(left alone/);
    assert.match(plan.stdout, /2 drifted fields left alone/);
    const status = JSON.parse((await h.cli(["status", "--json"])).stdout) as { resources: { key: string; sync: string; fields: string[] }[] };
    assert.deepEqual(status.resources.filter((r) => r.sync !== "in sync").map((r) => [r.key, r.sync, r.fields]), [
      ["load-balancer", "drifted", ["deletionProtection"]], ["db-instance", "drifted", ["deletionProtection"]],
    ].sort((a, b) => status.resources.findIndex((r) => r.key === a[0]) - status.resources.findIndex((r) => r.key === b[0])));
    h.resetCalls();
    const up = await h.cli(["up", "--yes"]);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(h.fake.mutatingCalls(), []);
    assert.match(up.stderr, /Left alone: deletionProtection of RDS PostgreSQL .* is true \(the spec has false\): someone turned it on/);
    assert.equal(db(h).deletionProtection, true);
  }, {}, await builtOnce()));

  for (const [what, protect] of [["the database", protectDb], ["the load balancer", protectAlb]] as const) {
    it(`on ${what}: down refuses before deleting anything, naming the setting and the flag; with the flag, one run leaves nothing`, async () => withHarness(async (h) => {
      protect(h);
      const before = h.fake.taggedResources(APP);
      h.resetCalls();
      const refused = await h.cli(["down", "--yes", "--skip-final-snapshot"]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /refusing to delete the stack: deletion protection is on for .*; nothing was deleted/);
      assert.match(refused.stderr, /down --disable-deletion-protection/);
      assert.deepEqual(h.fake.mutatingCalls(), [], "not one call that changes anything");
      assert.deepEqual(h.fake.taggedResources(APP), before);

      const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--disable-deletion-protection"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(h.fake.taggedResources(APP), []);
    }, {}, await builtOnce()));
  }

  it("on a sleeping stack's stopped database: down --disable-deletion-protection starts it, turns it off and deletes it in one run", async () => withHarness(async (h) => {
    assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
    assert.equal(db(h).status, "stopped");
    protectDb(h);
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--disable-deletion-protection", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
    assert.ok(h.fake.calls.some((c) => c.op === "StartDBInstance"), "a stopped instance takes no modification: started first");
  }, {}, await builtOnce()));

  it("up refuses a replacement of a protected database (a new database name) before any change, saying how to turn the protection off", async () => withHarness(async (h) => {
    protectDb(h);
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ database: { name: "renamed" } })]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /replacing the database means deleting it, and its deletion protection is on: turn it off .*--no-deletion-protection/);
    assert.deepEqual(h.fake.mutatingCalls(), []);
  }, {}, await builtOnce()));

  it("up refuses to replace a protected load balancer made internal by hand, before any change, saying how to turn the protection off", async () => withHarness(async (h) => {
    protectAlb(h);
    alb(h).scheme = "internal";
    h.resetCalls();
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /a new scheme means a new load balancer, and this one's deletion protection is on: turn it off in the EC2 console first/);
    assert.deepEqual(h.fake.mutatingCalls(), []);
    alb(h).attributes["deletion_protection.enabled"] = "false";
    assert.equal((await h.cli(["up", "--yes"])).code, 0, "unprotected, it is replaced");
    assert.equal(alb(h).scheme, "internet-facing");
  }, {}, await builtOnce()));

  it("json: the refusal is one document with the flag in its hint", async () => withHarness(async (h) => {
    protectDb(h);
    const r = await h.cli(["down", "--yes", "--json"]);
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.outcome, "failed");
    assert.match(doc.error.hint, /--disable-deletion-protection/);
  }, {}, await builtOnce()));
});
