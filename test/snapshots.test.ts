import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

/** A snapshot of the same instance name that is not this stack's (made by hand, untagged): a neighbour. */
function neighbourSnapshot(): void {
  const [ours] = [...h.fake.rds.snapshots.values()];
  h.fake.rds.snapshots.set("hand-made", { ...ours!, id: "hand-made", arn: ours!.arn.replace(/[^:]+$/, "hand-made"), tags: {} });
}

describe("what a downed stack still costs (issue 27 §4)", () => {
  it("status of a down stack says so, with the snapshot kept and its monthly cost, and exits 3", async () => {
    await h.up();
    assert.equal((await h.cli(["down", "--yes"])).code, 0);
    neighbourSnapshot();
    const r = await h.cli(["status"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^State: +down; 1 snapshot kept \(1 final\), 20 GB, about \$1\.90\/month$/m);
    const json = JSON.parse((await h.cli(["status", "--json"])).stdout);
    assert.equal(json.state, "down");
    assert.equal(json.monthly, 1.9);
  });

  it("snapshots lists the stack's own with size and monthly cost; snapshots delete asks, refuses another's, deletes ours", async () => {
    await h.up();
    assert.equal((await h.cli(["down", "--yes"])).code, 0);
    neighbourSnapshot();
    const [id] = [...h.fake.rds.snapshots.keys()];
    const list = JSON.parse((await h.cli(["snapshots", "--json"])).stdout);
    assert.deepEqual(list.snapshots.map((x: { id: string; kind: string; sizeGb: number; monthly: number }) => [x.id, x.kind, x.sizeGb, x.monthly]), [[id, "final", 20, 1.9]]);
    assert.match((await h.cli(["snapshots"])).stdout, new RegExp(`^${id} +final +\\S+ \\S+ +20 GB +available +\\$1\\.90$`, "m"));
    const other = await h.cli(["snapshots", "delete", "hand-made", "--yes"]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /hand-made is not a DB snapshot of this stack/);
    assert.equal((await h.cli(["snapshots", "delete", id!])).code, 2, "no terminal, no --yes: refused");
    const asked = await h.cli(["snapshots", "delete", id!], { tty: true, input: "no\n" });
    assert.equal(asked.code, 1);
    assert.match(asked.stderr, new RegExp(`deletes the DB snapshot ${id} \\(taken \\S+, 20 GB\\)`));
    assert.ok(h.fake.rds.snapshots.has(id!));
    assert.equal((await h.cli(["snapshots", "delete", id!, "--yes"])).code, 0);
    assert.deepEqual([...h.fake.rds.snapshots.keys()], ["hand-made"]);
    assert.match((await h.cli(["status"])).stdout, /down; nothing kept/);
  });

  it("cost counts snapshot storage at $0.095/GB-month: all of it once down, beyond the instance's storage while it runs", async () => {
    await h.up();
    let cost = JSON.parse((await h.cli(["cost", "--json"])).stdout);
    assert.equal(cost.lines.some((l: { item: string }) => l.item === "DB snapshots kept"), false);
    assert.equal((await h.cli(["down", "--yes"])).code, 0);
    cost = JSON.parse((await h.cli(["cost", "--json"])).stdout);
    const line = cost.lines.find((l: { item: string }) => l.item === "DB snapshots kept");
    assert.equal(line.monthly, 1.9);
    assert.match(line.note, /20 GB at \$0\.095\/GB-month/);
    assert.equal((await h.cli(["up", "--yes", "--restore", "none"])).code, 0);
    cost = JSON.parse((await h.cli(["cost", "--json"])).stdout);
    assert.equal(cost.lines.find((l: { item: string }) => l.item === "DB snapshots kept").monthly, 0, "free up to the running instance's 20 GB");
    assert.match((await h.cli(["cost"], { env: { NO_COLOR: "1" } })).stderr, /DB snapshots not checked \(no AWS credentials\)/);
  });
});
