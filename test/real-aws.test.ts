/** Issue 24: what a first real run on a fresh account, and faults after it, meet on AWS (modelled in the fake). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { APP, withHarness } from "./helpers.js";

describe("a sleeping stack (issue 24 item 6)", () => {
  it("up with a change the stopped database would have to take is refused at plan, saying wake first; nothing is called", async () => {
    await withHarness(async (h) => {
      await h.up();
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.status, "stopped");
      h.resetCalls();
      const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ database: { instanceClass: "db.t4g.small" } })]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /the database is stopped \(the stack is asleep\).*run `spontime-infra wake` \(or `up --wake`\) first/);
      assert.deepEqual(h.fake.mutatingCalls().filter((c) => c.service !== "s3"), [], "no ModifyDBInstance sent to a stopped instance (InvalidDBInstanceState)");
      const woken = await h.cli(["up", "--yes", "--wake", "--config", h.writeSpec({ database: { instanceClass: "db.t4g.small" } })]);
      assert.equal(woken.code, 0, woken.stderr);
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.instanceClass, "db.t4g.small");
    });
  });

  it("deploy and run on a sleeping stack are refused before any task starts, saying wake first", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      h.fake.pushImage(APP, "v2");
      h.resetCalls();
      const deploy = await h.cli(["deploy", "--tag", "v2"]);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, /the stack is asleep \(its database is stopped\): `deploy` would start tasks that cannot reach it\n\s+run `spontime-infra wake` first/);
      const run = await h.cli(["run", "--", "python", "manage.py", "migrate"]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /`run` would start tasks/);
      assert.deepEqual(h.fake.mutatingCalls(), [], "no revision registered, no service update, no task");
    });
  });
});
