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

describe("IAM propagation on a first run (issue 24 item 1)", () => {
  it("schedules created right after their role: Scheduler's \"must allow ... to assume the role\" is retried with a progress line, and up converges in one run", async () => {
    await withHarness(async (h) => {
      const spec = h.writeSpec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } });
      const r = await h.cli(["up", "--yes", "--config", spec]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /CreateSchedule: an IAM role made a moment ago is not usable yet \(IAM propagates changes within seconds to minutes\); retrying for up to \d+ s more/);
      assert.equal(h.fake.scheduler.schedules.size, 4);
      assert.ok(h.fake.count("CreateSchedule") > 4, "the first attempts were refused, as Scheduler refuses a role not yet propagated");
      h.resetCalls();
      await h.up("--config", spec);
      assert.deepEqual(h.fake.mutatingCalls(), []);
    });
  });
});
