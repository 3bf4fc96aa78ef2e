import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness } from "./helpers.js";

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

describe("a failed deploy puts back what it changed (issue 28 §3)", () => {
  const imageOf = (tdArn: string) => h.fake.ecs.taskDefs.get(tdArn)!.def.containerDefinitions![0]!.image!;

  it("a health check that fails after the rollout: the service back on the earlier revision, the new one deregistered, and said", async () => {
    await h.up();
    await h.deploy("v1");
    const good = service().taskDefinition;
    h.fake.httpDown = true;
    h.fake.pushImage(APP, "v2");
    const r = await h.cli(["deploy", "--tag", "v2", "--health-timeout", "30s", "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.restored.taskDefinitionArn, good);
    assert.equal(result.restored.desiredCount, 1);
    assert.match(r.stderr, /Restored: the service is back on spontime-poc:2 with 1 task\(s\), as before this run/);
    assert.equal(service().taskDefinition, good);
    assert.match(imageOf(service().taskDefinition), /:v1$/);
    assert.equal(h.fake.ecs.taskDefs.get(result.taskDefinitionArn)!.status, "INACTIVE", "`up` adopts the newest ACTIVE revision: the failed one must not be it");
    h.fake.httpDown = false;
    h.resetCalls();
    await h.up();
    assert.equal(service().taskDefinition, good, "up does not move the service onto the failed revision");
  });

  it("--timeout is a deadline for the whole command (migration, rollout, health check): the rollout gets what is left, and is restored", async () => {
    await h.up();
    await h.deploy("v1");
    const good = service().taskDefinition;
    h.fake.pushImage(APP, "v2");
    const start = h.clock.now();
    const r = await h.cli(["deploy", "--tag", "v2", "--migrate", "python manage.py migrate", "--timeout", "60s", "--json"]);
    const took = h.clock.now() - start;
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.match(result.reason, /^--timeout reached: the deployment was still in progress after \d+s/);
    assert.ok(result.durationsMs.migrated > 30_000, "the migration took its share");
    assert.ok(took <= 70_000, `deploy --timeout 60s took ${took / 1000} s`);
    assert.equal(service().taskDefinition, good);
  });
});
