import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const service = () => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
const imageOf = (tdArn: string) => h.fake.ecs.taskDefs.get(tdArn)!.def.containerDefinitions![0]!.image!;

async function deployed(tag: string, behavior: "ok" | "crash" | "http400" = "ok", ...extra: string[]) {
  h.fake.pushImage(APP, tag, behavior);
  return h.cli(["deploy", "--tag", tag, ...extra]);
}

describe("deploy", () => {
  it("succeeds only when the new deployment completes and /health answers 200; the first deploy starts the task", async () => {
    await h.up();
    assert.equal(service().desiredCount, 0, "no image yet: no task");
    const r = await deployed("v1", "ok", "--json");
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, "succeeded");
    assert.match(result.image, /spontime-poc:v1$/);
    assert.match(result.url, /^http:\/\/spontime-poc-alb/);
    assert.equal(service().desiredCount, 1);
    assert.equal(service().deployments[0].rolloutState, "COMPLETED");
    assert.match(imageOf(service().taskDefinition), /:v1$/);
    assert.match(r.stderr, /rolling out: \d\/1 running/, "progress while waiting");
  });

  it("keeps the environment and changes only the image", async () => {
    await h.up();
    const before = h.fake.ecs.taskDefs.get(service().taskDefinition)!.def.containerDefinitions![0];
    assert.equal((await deployed("v1")).code, 0);
    const after = h.fake.ecs.taskDefs.get(service().taskDefinition)!.def.containerDefinitions![0];
    assert.deepEqual({ ...after, image: "" }, { ...before, image: "" });
  });

  it("works in CI without a state file", async () => {
    await h.up();
    rmSync(h.stateDir, { recursive: true, force: true });
    const r = await deployed("v1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deployed .*spontime-poc:v1: http:\/\/\S+ is healthy/);
  });

  it("fails with exit 1 and the reasons when the circuit breaker rolls back a crashing image", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    const good = service().taskDefinition;
    const r = await deployed("v2", "crash");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Deploy failed: the deployment (was rolled back|failed)/);
    assert.match(r.stderr, /stopped: Essential container in task exited \(exit code 1\)/);
    assert.match(r.stderr, /ImproperlyConfigured: crash on start/, "the failed task's last log lines");
    await h.clock.run(() => h.clock.sleep(600_000));
    h.fake.tick();
    assert.equal(service().taskDefinition, good, "the service is back on the last good revision");
  });

  it("names the Django ALLOWED_HOSTS trap when the health check gets a 400", async () => {
    await h.up();
    const r = await deployed("v1", "http400");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Target\.ResponseCodeMismatch/);
    assert.match(r.stderr, /ALLOWED_HOSTS/);
  });

  it("fails when the app does not answer 200 after the rollout", async () => {
    await h.up();
    h.fake.httpDown = true;
    const r = await deployed("v1", "ok", "--health-timeout", "30s");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /GET http:\/\/\S+\/health did not answer 200 within 30 s \(last: HTTP 503\)/);
  });

  it("refuses a tag that is not in ECR, before changing anything (exit 2)", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["deploy", "--tag", "nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /image \S+:nope is not in ECR/);
    assert.deepEqual(h.fake.mutatingCalls(), []);
  });

  it("to a stack that does not exist: a clear error, exit 2", async () => {
    const r = await h.cli(["deploy", "--image", "example.com/app:v1"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no ECS service spontime-poc in cluster spontime-poc \(us-east-1\)/);
  });

  it("stops before touching the service when the migration fails", async () => {
    await h.up();
    h.resetCalls();
    const r = await deployed("v1", "ok", "--migrate", "python manage.py migrate || fail");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the migration exited with code 1; the service was not changed/);
    assert.match(r.stderr, /migrate \| django\.db\.utils\.OperationalError/);
    assert.equal(h.fake.count("UpdateService"), 0);
  });

  it("runs a passing migration first, then rolls out", async () => {
    await h.up();
    const r = await deployed("v1", "ok", "--migrate", "python manage.py migrate --noinput");
    assert.equal(r.code, 0, r.stderr);
    const ops = h.fake.mutatingCalls().map((c) => c.op);
    assert.ok(ops.indexOf("RunTask") < ops.indexOf("UpdateService"));
  });
});

describe("up after a deploy", () => {
  it("keeps the deployed image, also when a spec change needs a new task definition revision", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    h.resetCalls();
    await h.up();
    assert.deepEqual(h.fake.mutatingCalls(), [], "nothing to do: the deployed image is not drift");
    const spec = join(h.dir, "spec.json");
    writeFileSync(spec, JSON.stringify({ app: { debug: false } }));
    await h.up("--config", spec);
    assert.match(imageOf(service().taskDefinition), /:v1$/);
    const env = h.fake.ecs.taskDefs.get(service().taskDefinition)!.def.containerDefinitions![0]!.environment!;
    assert.deepEqual(env.find((e) => e.name === "DEBUG"), { name: "DEBUG", value: "False" });
    assert.equal(service().desiredCount, 1, "the deployed service keeps running");
  });
});

describe("run and logs", () => {
  it("run streams the task's logs and exits with the container's exit code", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    const ok = await h.cli(["run", "--", "python", "manage.py", "migrate"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /running python manage\.py migrate/);
    const bad = await h.cli(["run", "--", "sh", "-c", "fail"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /exit code 1/);
  });

  it("logs --since keeps only lines that recent, oldest first as `aws logs tail` prints them", async () => {
    await h.up();
    const group = h.fake.logs.groups.get(`/ecs/${APP}`)!;
    await h.clock.run(() => h.clock.sleep(3_600_000));
    const now = h.clock.now();
    group.events.push(
      { logStreamName: "web/web/aaaaaaaa1111", timestamp: now - 30 * 60_000, message: "old line" },
      { logStreamName: "web/web/bbbbbbbb2222", timestamp: now - 60_000, message: "recent line" },
      { logStreamName: "web/web/bbbbbbbb2222", timestamp: now - 30_000, message: "newest line" },
    );
    const recent = await h.cli(["logs", "--since", "10m"]);
    assert.equal(recent.code, 0, recent.stderr);
    assert.deepEqual(recent.stdout.trim().split("\n").map((l) => l.split("] ")[1]), ["recent line", "newest line"]);
    assert.match(recent.stdout, /\[bbbbbbbb\]/);
    const hour = await h.cli(["logs", "--since", "1h", "--json"]);
    assert.deepEqual(JSON.parse(hour.stdout).lines.map((l: { message: string }) => l.message), ["old line", "recent line", "newest line"]);
    const last = await h.cli(["logs", "--since", "1h", "--lines", "1"]);
    assert.match(last.stdout.trim(), /\] newest line$/, "--lines keeps the last lines");
    assert.equal((await h.cli(["logs", "--since", "ten minutes"])).code, 2);
  });
});
