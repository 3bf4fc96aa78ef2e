import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AWS_DEFAULTS, DEFAULT_IMAGE_MB, TIMING, healthyAfterMs, pullMs } from "./fake/deploy-model.js";
import { awsError } from "./fake/common.js";
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

  it("a migration AWS will not start (RunTask refused): failed, the service untouched, the revision it registered deregistered", async () => {
    await h.up();
    h.fake.failWith = (op) => (op === "RunTask" ? awsError("InvalidParameterException", "No Container Instances were found in your cluster.") : undefined);
    h.resetCalls();
    const r = await deployed("v1", "ok", "--migrate", "python manage.py migrate");
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the migration could not run \(.*No Container Instances.*\); the service was not changed/);
    assert.match(r.stderr, /The new revision \S+ was deregistered/);
    assert.equal(h.fake.count("UpdateService"), 0);
    assert.equal(h.fake.count("DeregisterTaskDefinition"), 1);
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
    const none = await h.cli(["logs"]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /^No log lines in \/ecs\/spontime-poc in the last 10m: `--since 1h` looks further back/m);
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

describe("long waits on a real account (issue 12 §1, issue 14 §7-8)", () => {
  /** Seconds of each status line (`... [12s]`) of one kind, to check the gaps. */
  const statusTimes = (stderr: string, prefix: RegExp) => stderr.split("\n").filter((l) => prefix.test(l)).map((l) => Number(/\[(\d+)s\]$/.exec(l)?.[1]));
  const maxGap = (times: number[]) => Math.max(...times.slice(1).map((t, i) => t - times[i]!));

  it("run on a task still starting: no log read by a stream name that does not exist yet; a status line at least every 10 s", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    h.resetCalls();
    const r = await h.cli(["run", "--", "python", "manage.py", "migrate"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /running python manage\.py migrate/);
    const reads = h.fake.calls.filter((c) => c.op === "FilterLogEvents").map((c) => c.input as { logStreamNames?: string[]; logStreamNamePrefix?: string });
    assert.ok(reads.length > 0 && reads.every((i) => !i.logStreamNames && i.logStreamNamePrefix), "by prefix, which a missing stream cannot fail");
    const run = h.fake.calls.find((c) => c.op === "RunTask")!.input as { startedBy: string; clientToken: string };
    assert.match(run.startedBy, /^[A-Za-z0-9_/-]{1,128}$/, "RunTask's startedBy takes no spaces");
    assert.ok(run.clientToken.length <= 64);
    const times = statusTimes(r.stderr, /^task \w+: /);
    assert.ok(times.length >= 3 && maxGap(times) <= 10, `status lines at ${times}`);
  });

  it("run --timeout stops the task it started and says so (exit 1); Ctrl-C does the same (exit 130)", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    h.resetCalls();
    const slow = await h.cli(["run", "--timeout", "20s", "--", "python", "manage.py", "migrate"]);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /stopped task \w+ \(still (provisioning|pending) after 2\d s\)/);
    const stopped = h.fake.calls.filter((c) => c.op === "StopTask");
    assert.equal(stopped.length, 1);
    assert.equal([...h.fake.ecs.tasks.values()].find((t) => t.arn === (stopped[0]!.input as { task: string }).task)?.lastStatus, "STOPPED");

    const ctrlC = new AbortController();
    h.fake.onCall = (op) => { if (op === "DescribeTasks") ctrlC.abort(); };
    const interrupted = await h.cli(["run", "--json", "--", "python", "manage.py", "migrate"], { signal: ctrlC.signal });
    h.fake.onCall = undefined;
    assert.equal(interrupted.code, 130);
    assert.equal(h.fake.count("StopTask"), 2);
    assert.deepEqual({ ...JSON.parse(interrupted.stdout), taskArn: "" }, { outcome: "failed", taskArn: "", stop: "interrupted", exitCode: null, stoppedReason: null });
  });

  it("a first deploy whose image cannot be pulled: the reasons (a task that never started), and the service back to 0 tasks", async () => {
    await h.up();
    const r = await h.cli(["deploy", "--image", "example.com/never-pushed:v1", "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, "failed");
    assert.equal(result.error.code, "DeployFailed");
    assert.ok(result.details.some((d: string) => /CannotPullContainerError/.test(d)), result.details.join("\n"));
    assert.ok(!result.details.some((d: string) => /could not read/.test(d)), "explaining the failure did not fail");
    assert.match(result.details.at(-1), /back on spontime-poc:1 with 0 task\(s\).*deploy --tag <tag>/);
    await h.clock.run(() => h.clock.sleep(600_000));
    h.fake.tick();
    assert.equal(service().desiredCount, 0);
    assert.equal([...h.fake.ecs.tasks.values()].filter((t) => t.group && t.lastStatus !== "STOPPED").length, 0, "ECS no longer pulls an image that does not exist");
  });

  it("right after UpdateService, DescribeServices may not list the new deployment yet: that is not a rollback", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    h.fake.deploymentListingLagMs = 20_000;
    const r = await deployed("v2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(imageOf(service().taskDefinition), /:v2$/);
  });

  it("deploy's health check and wake print a status line at least every 10 s; wake takes --health-timeout", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    h.fake.httpDown = true;
    const r = await deployed("v2", "ok", "--health-timeout", "45s");
    assert.equal(r.code, 1);
    const times = statusTimes(r.stderr, /^waiting for GET /);
    assert.ok(times.length >= 4 && maxGap(times) <= 10, `status lines at ${times}`);
    assert.equal((await h.cli(["sleep"])).code, 0);
    const woke = await h.cli(["wake", "--health-timeout", "30s"]);
    assert.equal(woke.code, 1);
    assert.match(woke.stderr, /did not answer 200 within 30s \(last: HTTP 503\)/);
    assert.ok(statusTimes(woke.stderr, /^waiting for GET /).length >= 3);
    assert.equal((await h.cli(["wake", "--health-timeout", "soon"])).code, 2);
  });

  it("deploy, run and logs --json print one JSON document when they fail before any result", async () => {
    for (const argv of [["deploy", "--json", "--image", "example.com/app:v1"], ["run", "--json", "--", "true"], ["logs", "--json"]]) {
      const r = await h.cli(argv);
      assert.equal(r.code, 2, argv.join(" "));
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.outcome, "failed");
      assert.ok(doc.error.code && doc.error.message, r.stdout);
    }
  });

  it("logs with no log group: the AWS error code, its request id and the hint to run `up` (exit 2)", async () => {
    const r = await h.cli(["logs"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /read the log group \/ecs\/spontime-poc: The specified log group does not exist\. \(ResourceNotFoundException, request req-\w+\)/);
    assert.match(r.stderr, /run `spontime-infra up` first/);
  });

  it("logs --follow prints oldest first and Ctrl-C ends it with exit 130", async () => {
    await h.up();
    const group = h.fake.logs.groups.get(`/ecs/${APP}`)!;
    const now = h.clock.now();
    group.events.push({ logStreamName: "web/web/aaaa", timestamp: now - 2_000, message: "first" }, { logStreamName: "web/web/aaaa", timestamp: now - 1_000, message: "second" });
    const ctrlC = new AbortController();
    let reads = 0;
    h.fake.onCall = (op) => { if (op === "FilterLogEvents" && ++reads === 3) ctrlC.abort(); };
    const r = await h.cli(["logs", "--follow"], { signal: ctrlC.signal });
    h.fake.onCall = undefined;
    assert.equal(r.code, 130);
    assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split("] ")[1]), ["first", "second"], "each line once, oldest first");
  });
});

/** The phase lines deploy printed, as [seconds since the start, text]. */
const phaseLines = (stderr: string) => [...stderr.matchAll(/^\[\s*(\d+)s\] ([^:(]+?)(?::| \(\+)/gm)].map((m) => [Number(m[1]), m[2]!] as const);
/** Each phase's time since the revision was registered, from --json's durationsMs (each is since the phase before). */
function sinceRegistered(durations: Record<string, number>, phases: string[]): Record<string, number> {
  let at = 0;
  return Object.fromEntries(phases.map((p) => [p, (at += p === "registered" ? 0 : durations[p]!)]));
}

describe("deploy phases on the fake's model of AWS's timings", () => {
  it("a deploy that replaces a running task: each phase in order, as long as the model says", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    const r = await deployed("v2", "ok", "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(phaseLines(r.stderr).map(([, text]) => text), [
      "registered", "task pulling the image", "task running", "healthy in the target group", "old task draining", "deployment COMPLETED", "health check 200",
    ]);
    const durations = JSON.parse(r.stdout).durationsMs;
    const at = sinceRegistered(durations, ["registered", "pulling", "running", "healthy", "draining", "completed", "health"]);
    // What the fake's model says, from UpdateService: the tool may notice each phase a few seconds late, never early.
    const running = TIMING.scheduleMs + pullMs(DEFAULT_IMAGE_MB) + TIMING.containerStartMs;
    const healthy = running + TIMING.registerMs + healthyAfterMs({ healthyThreshold: 2, intervalSeconds: 30 });
    const completed = healthy + 30_000 + TIMING.stopMs + TIMING.completeMs;
    const model = { pulling: TIMING.scheduleMs, running, healthy, draining: healthy, completed, health: completed };
    for (const [phase, ms] of Object.entries(model)) {
      assert.ok(at[phase]! >= ms && at[phase]! <= ms + 6_000, `${phase}: ${at[phase]} ms after registering, the model says ${ms}`);
    }
    assert.ok(completed <= 150_000, "the stack's settings keep a deploy's critical path within 150 s");
    assert.ok(durations.total <= completed * 1.05 + 2_000, `the tool adds no waiting of its own (${durations.total} ms)`);
  });

  it("a rolled-back deploy: registered, pulling, running, then failed after the breaker's 3 failed tasks", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    const good = service().taskDefinition;
    const r = await deployed("v2", "crash", "--json");
    assert.equal(r.code, 1);
    const result = JSON.parse(r.stdout);
    assert.deepEqual(phaseLines(r.stderr).map(([, text]) => text), ["registered", "task pulling the image", "task running", "failed"]);
    assert.deepEqual(Object.keys(result.durationsMs).filter((k) => !["rollout", "healthCheck", "total"].includes(k)), ["registered", "pulling", "running", "failed"]);
    const at = sinceRegistered(result.durationsMs, ["registered", "pulling", "running", "failed"]);
    const oneCrash = TIMING.scheduleMs + pullMs(DEFAULT_IMAGE_MB) + TIMING.containerStartMs + 30_000;
    assert.ok(at.failed! >= 3 * oneCrash && at.failed! <= 3 * oneCrash + 30_000, `the breaker trips after 3 tasks of ${oneCrash} ms: ${at.failed}`);
    assert.match(result.reason, /rolled back by the circuit breaker/);
    assert.equal(service().taskDefinition, good);
  });

  it("with AWS's defaults (5 checks, 300 s deregistration) the same deploy takes over 8 minutes", async () => {
    await h.up();
    assert.equal((await deployed("v1")).code, 0);
    const tg = [...h.fake.elb.tgs.values()][0]!;
    Object.assign(tg, { healthyThreshold: AWS_DEFAULTS.healthyThreshold, deregistrationDelay: String(AWS_DEFAULTS.deregistrationDelaySeconds) });
    const r = await deployed("v2", "ok", "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).durationsMs.total >= 480_000);
    assert.match(imageOf(service().taskDefinition), /:v2$/);
  });
});

describe("the target group's deploy settings", () => {
  it("are created as the spec says (2 healthy, 2 unhealthy, 5 s timeout, 30 s deregistration), and drift back to AWS's defaults is repaired", async () => {
    await h.up();
    const tg = () => [...h.fake.elb.tgs.values()][0]!;
    assert.deepEqual({ ...tg(), arn: "", vpcId: "", tags: {} }, { ...tg(), arn: "", vpcId: "", tags: {}, healthyThreshold: 2, unhealthyThreshold: 2, timeout: 5, interval: 30, deregistrationDelay: "30" });
    Object.assign(tg(), { healthyThreshold: AWS_DEFAULTS.healthyThreshold, deregistrationDelay: "300" });
    const plan = await h.cli(["plan", "--detailed-exitcode"]);
    assert.equal(plan.code, 2, plan.stdout);
    assert.match(plan.stdout, /healthyThreshold: 5 → 2/);
    assert.match(plan.stdout, /deregistrationDelaySeconds: 300 → 30/);
    await h.up();
    assert.equal(tg().healthyThreshold, 2);
    assert.equal(tg().deregistrationDelay, "30");
  });
});
