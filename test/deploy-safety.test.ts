import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const service = () => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;

describe("before any image exists (issue 28 §3)", () => {
  it("run refuses with \"deploy an image first\" (exit 2) and starts no task", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["run", "--", "python", "manage.py", "migrate"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no image deployed yet: deploy an image first/);
    assert.equal(h.fake.calls.filter((c) => c.op === "RunTask").length, 0);
  });

  it("deploy --migrate into an empty repository refuses with \"deploy an image first\", changing nothing", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["deploy", "--tag", "v1", "--migrate", "python manage.py migrate"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no image yet\): push one and deploy an image first; the migration runs in the new image/);
    assert.deepEqual(h.fake.calls.filter((c) => c.mutating).map((c) => c.op), []);
    assert.equal(service().desiredCount, 0);
  });
});
