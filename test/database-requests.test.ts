/**
 * The database's rarer paths, pinned as test/requests.test.ts pins whole runs (test/golden.ts): one change at a
 * time (each ModifyDBInstance carries only its own field), the refusals and what they say, replacements that
 * keep the data or cannot, and a sleeping stack's edits. What the user is told (stderr: notices, warnings,
 * errors) is pinned with the requests.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { golden, normalize, succeeds } from "./golden.js";
import { APP, withHarness, type Harness } from "./helpers.js";

const { matches, pin } = golden("database-requests");

/** A progress line ("<title>: waiting (modifying) [10s]"), left out of what is pinned: the walk's to word. */
const PROGRESS = /: (creating|updating|replacing|deleting|waiting|done)( \(|$)/;

/** Runs `up` with `spec` and pins its requests, its exit code and what it told on stderr under `key`. */
async function upWith(key: string, h: Harness, spec: object): Promise<void> {
  const config = h.writeSpec(spec);
  let told: unknown;
  await pin(key, h, async () => {
    const r = await h.cli(["up", "--yes", "--config", config]);
    told = { code: r.code, stderr: r.stderr.split("\n").filter((line) => line && !PROGRESS.test(line)).map((line) => normalize(line)) };
  });
  matches(`${key}: told`, told);
}

const HOURS = 3_600_000;
const app = { debug: false };

describe("the database, one change at a time", () => {
  it("a retention, a minor upgrade, a downgrade refused, storage by the 10% and 6-hour rules, a class", () => withHarness(async (h) => {
    const db = { engineVersion: "15.4", backupRetentionDays: 3 };
    await h.up("--config", h.writeSpec({ app, database: { engineVersion: "15.4" } }));
    await upWith("backup retention alone", h, { app, database: db });
    await upWith("minor upgrade", h, { app, database: { ...db, engineVersion: "15.8" } });
    await upWith("downgrade", h, { app, database: db });
    const upgraded = { ...db, engineVersion: "15.8" };
    await upWith("storage below +10%", h, { app, database: { ...upgraded, allocatedStorage: 21 } });
    await upWith("storage +10%", h, { app, database: { ...upgraded, allocatedStorage: 22 } });
    await upWith("storage again within 6 hours", h, { app, database: { ...upgraded, allocatedStorage: 30 } });
    await h.clock.run(() => h.clock.sleep(6 * HOURS));
    await upWith("storage again after 6 hours", h, { app, database: { ...upgraded, allocatedStorage: 30 } });
    await upWith("instance class alone", h, { app, database: { ...upgraded, allocatedStorage: 30, instanceClass: "db.t4g.small" } });
  }));

  it("replacements: moved to another AZ by hand, it comes back with its data (storage grown); a new database name starts empty", () => withHarness(async (h) => {
    const spec = h.writeSpec({ app });
    await h.up("--config", spec);
    h.fake.rds.instances.get(`${APP}-db`)!.az = "us-east-1b";
    await upWith("moved AZ", h, { app, database: { allocatedStorage: 25 } });
    await upWith("new database name", h, { app, database: { allocatedStorage: 25, name: "other" } });
    // A new master user: a snapshot restores with its old one, so this one starts empty too.
    const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ app, database: { allocatedStorage: 25, name: "other", username: "owner" } })]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /The old database's data is in the snapshot spontime-poc-before-replace-\d{14}; the new instance started empty/);
    assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.username, "owner");
  }));

  it("asleep: a tag change is made, a class change is refused; protected: a replacement is refused", () => withHarness(async (h) => {
    const spec = h.writeSpec({ app });
    await h.up("--config", spec);
    await succeeds(h, "sleep", "--yes", "--config", spec)();
    await upWith("asleep: tags", h, { app, tags: { team: "core" } });
    await upWith("asleep: tags and class", h, { app, tags: { team: "platform" }, database: { instanceClass: "db.t4g.small" } });
    // Stopping (RDS still on its way down) is asleep too: nothing to change.
    Object.assign(h.fake.rds.instances.get(`${APP}-db`)!, { status: "stopping", nextStatus: "stopped", readyAt: h.clock.now() + 60_000 });
    assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", h.writeSpec({ app, tags: { team: "core" } })])).code, 0);
    await succeeds(h, "wake", "--yes", "--config", h.writeSpec({ app, tags: { team: "core" } }))();
    h.fake.rds.instances.get(`${APP}-db`)!.deletionProtection = true;
    await upWith("protected: replacement", h, { app, tags: { team: "core" }, database: { name: "other", instanceClass: "db.t4g.small" } });
  }));

  it("sleep stops the database after the service's tasks are gone; wake starts it before the service asks for tasks", () => withHarness(async (h) => {
    await h.up();
    await h.deploy("v1");
    const ops = () => h.fake.mutatingCalls().map((c) => c.op).filter((op) => /DBInstance|UpdateService/.test(op));
    h.resetCalls();
    await succeeds(h, "sleep", "--yes")();
    assert.deepEqual(ops(), ["UpdateService", "StopDBInstance"]);
    h.resetCalls();
    await succeeds(h, "wake", "--yes")();
    assert.deepEqual(ops(), ["StartDBInstance", "UpdateService"]);
  }));

  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
  it("RDS statuses: `up` waits out each transitional one, `status` names each failed one, storage optimization is available", () => withHarness(async (h) => {
    await h.up();
    const db = h.fake.rds.instances.get(`${APP}-db`)!;
    const transitional = ["creating", "stopping", "backing-up", "modifying", "rebooting", "resetting-master-credentials", "renaming", "starting",
      "configuring-enhanced-monitoring", "upgrading", "maintenance", "moving-to-vpc", "configuring-log-exports"];
    for (const status of transitional) {
      Object.assign(db, { status, nextStatus: "available", readyAt: h.clock.now() + 60_000 });
      // (a stopping one then ends "changed since the plan": it was planned as stopped)
      assert.match((await h.cli(["up", "--yes"])).stderr, new RegExp(`: waiting \\(${status}\\)`), status);
    }
    const stateOf = async () => JSON.parse((await h.cli(["status", "--json"])).stdout).resources.find((r: { key: string }) => r.key === "db-instance").state;
    for (const status of ["failed", "incompatible-network", "incompatible-option-group", "incompatible-parameters", "incompatible-restore",
      "inaccessible-encryption-credentials", "restore-error", "storage-full"]) {
      db.status = status;
      assert.equal(await stateOf(), `status ${status}`);
    }
    Object.assign(db, { status: "storage-optimization", nextStatus: "available", readyAt: h.clock.now() + 60_000 });
    assert.equal(await stateOf(), "storage-optimization");
    assert.doesNotMatch((await h.up()).stderr, /waiting/);
    // Deleted by hand: `up` makes it again once it is gone (RDS refuses its name until then), and the service
    // is given the new one's address.
    Object.assign(db, { status: "deleting", nextStatus: "deleted", readyAt: h.clock.now() + 60_000 });
    await pin("up, the database being deleted by hand", h, succeeds(h, "up", "--yes"));
    // Deleted by hand meanwhile: `down` waits for it to go, and asks RDS nothing more of it.
    Object.assign(h.fake.rds.instances.get(`${APP}-db`)!, { status: "deleting", nextStatus: "deleted", readyAt: h.clock.now() + 60_000 });
    await pin("down, the database already being deleted", h, succeeds(h, "down", "--yes"));
  }));
});
