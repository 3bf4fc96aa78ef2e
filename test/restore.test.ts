import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const db = () => h.fake.rds.instances.get(`${APP}-db`)!;
const calls = (op: string) => h.fake.calls.filter((c) => c.op === op);
const password = () => h.state().resources.secrets!.outputs.dbPassword;

async function upThenDown(): Promise<string> {
  await h.up();
  const r = await h.cli(["down", "--yes"]);
  assert.equal(r.code, 0, r.stderr);
  const [snapshot] = [...h.fake.rds.snapshots.keys()];
  assert.match(snapshot!, /^spontime-poc-final-\d{14}$/);
  assert.match(r.stderr, /`spontime-infra up` offers to restore it \(`up --restore latest`\)/);
  return snapshot!;
}

describe("the database across down and up (issue 27 §3)", () => {
  it("up without --restore and without a terminal refuses (exit 2), naming the snapshot and the flag, before any change", async () => {
    const snapshot = await upThenDown();
    h.resetCalls();
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`no database but 1 snapshot\\(s\\) of its own: ${snapshot} \\(taken \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, 20 GB\\)`));
    assert.match(r.stderr, /--restore latest .*--restore none/);
    assert.deepEqual(h.fake.mutatingCalls(), []); // the stack's calls: the run's claim is its bookkeeping
    const json = await h.cli(["up", "--yes", "--json"]);
    assert.equal(JSON.parse(json.stdout).error.code, "BadInput");
  });

  it("up --restore latest restores that snapshot with the stack's settings; the plan says so; DATABASE_URL's password works", async () => {
    const snapshot = await upThenDown();
    const plan = await h.cli(["plan", "--restore", "latest"]);
    assert.match(plan.stdout, new RegExp(`restore from ${snapshot} \\(taken \\S+ \\S+ UTC, 20 GB\\)`));
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--restore", "latest"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls("RestoreDBInstanceFromDBSnapshot").map((c) => (c.input as { DBSnapshotIdentifier: string }).DBSnapshotIdentifier), [snapshot]);
    assert.deepEqual(calls("CreateDBInstance"), []);
    const d = db();
    assert.equal(d.restoredFrom, snapshot);
    assert.deepEqual([d.instanceClass, d.az, d.subnetGroup, d.backup, d.public, d.multiAz, d.allocatedStorage, d.storageType], ["db.t4g.micro", "us-east-1a", `${APP}-db-subnets`, 1, false, false, 20, "gp2"]);
    assert.deepEqual(d.securityGroups, [h.state().resources["sg-rds"]!.id]);
    assert.equal(d.password, password(), "the app's DATABASE_URL carries the password the database has");
    assert.match(r.stderr, new RegExp(`restored from ${snapshot}`));
    h.resetCalls();
    await h.up();
    assert.deepEqual(h.fake.mutatingCalls(), [], "up twice changes nothing");
  });

  it("with the state file lost since down, the restored database gets the new password with ModifyDBInstance", async () => {
    await upThenDown();
    rmSync(h.stateDir, { recursive: true, force: true });
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--restore", "latest"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(calls("ModifyDBInstance").filter((c) => (c.input as { MasterUserPassword?: string }).MasterUserPassword).length, 1);
    assert.equal(db().password, password());
    assert.match(r.stderr, /its password was set to the one in state, so DATABASE_URL works/);
  });

  it("--restore none starts empty and keeps the snapshot; --restore <id> names one; an unknown id is exit 2", async () => {
    const snapshot = await upThenDown();
    assert.equal((await h.cli(["up", "--yes", "--restore", "nope-123"])).code, 2);
    assert.equal((await h.cli(["up", "--yes", "--restore", "bad id!"])).code, 2);
    const r = await h.cli(["up", "--yes", "--restore", "none"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(db().restoredFrom, undefined);
    assert.ok(h.fake.rds.snapshots.has(snapshot));
    assert.match(r.stderr, /Starting with an empty database; the snapshots are kept/);
  });

  it("on a terminal, up asks: yes restores the newest snapshot", async () => {
    const snapshot = await upThenDown();
    const r = await h.cli(["up", "--yes"], { tty: true, input: "yes\n" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Restore the database from spontime-poc-final-\d+\?/);
    assert.equal(db().restoredFrom, snapshot);
  });
});

describe("a change that needs a new database instance (issue 27 §3)", () => {
  it("takes a snapshot first, and the plan says so", async () => {
    await h.up();
    const spec = h.writeSpec({ database: { name: "spontime2" } });
    const plan = await h.cli(["plan", "--config", spec]);
    assert.match(plan.stdout, /dbName: "?spontime"? → "?spontime2"? \(forces replacement: a snapshot is taken first; the new instance starts empty/);
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--config", spec]);
    assert.equal(r.code, 0, r.stderr);
    const deleted = calls("DeleteDBInstance")[0]!.input as { SkipFinalSnapshot: boolean; FinalDBSnapshotIdentifier: string };
    assert.equal(deleted.SkipFinalSnapshot, false);
    assert.match(deleted.FinalDBSnapshotIdentifier, /^spontime-poc-before-replace-\d{14}$/);
    assert.ok(h.fake.rds.snapshots.has(deleted.FinalDBSnapshotIdentifier));
    assert.match(r.stderr, /The old database's data is in the snapshot spontime-poc-before-replace-/);
  });
});

describe("down --skip-final-snapshot (issue 27 §3)", () => {
  it("asks with the database and its size named; with --yes it goes ahead and says so", async () => {
    await h.up();
    const asked = await h.cli(["down", "--skip-final-snapshot"], { tty: true, input: "no\n" });
    assert.equal(asked.code, 1);
    assert.match(asked.stderr, /the database spontime-poc-db and its data \(20 GB allocated\), with NO final snapshot: it cannot be recovered/);
    assert.ok(db(), "nothing deleted");
    const r = await h.cli(["down", "--skip-final-snapshot", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--skip-final-snapshot --yes: deleting the database spontime-poc-db and its data \(20 GB allocated\)/);
    assert.equal(h.fake.rds.snapshots.size, 0);
  });
});
