import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AWS_DEFAULTS, DEFAULT_IMAGE_MB, TIMING, healthyAfterMs, pullMs } from "./fake/deploy-model.js";
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
