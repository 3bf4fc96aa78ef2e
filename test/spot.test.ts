import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpecSchema } from "../src/config/schema.js";
import { estimate, PRICES } from "../src/cost/estimate.js";
import { stackActions } from "../src/stack/permissions.js";
import { assertConverged } from "./convergence.js";
import { APP, withHarness, type Harness } from "./helpers.js";

const SPOT = { app: { capacity: "FARGATE_SPOT" } };
const ON_DEMAND = { app: { capacity: "FARGATE" } };

const cluster = (h: Harness) => [...h.fake.ecs.clusters.values()].find((c) => c.status === "ACTIVE")!;
const service = (h: Harness) => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
/** The providers the service's live tasks run on ("launch type" for none). */
const runningOn = (h: Harness) => [...new Set([...h.fake.ecs.tasks.values()].filter((t) => t.group === `service:${service(h).name}` && t.lastStatus !== "STOPPED").map((t) => t.capacityProviderName ?? "launch type"))];
const up = async (h: Harness, spec: object) => {
  const r = await h.cli(["up", "--yes", "--config", h.writeSpec(spec)]);
  assert.equal(r.code, 0, r.stderr);
  return r;
};
const calls = (h: Harness, op: string) => h.fake.calls.filter((c) => c.op === op).map((c) => c.input as Record<string, unknown>);
const ops = (h: Harness) => h.fake.mutatingCalls().map((c) => c.op);

/** A running stack on `from`: up, then a first deploy, so that tasks run. */
async function runningStack(h: Harness, from: object): Promise<void> {
  await up(h, from);
  h.fake.pushImage(APP, "v1");
  assert.equal((await h.cli(["deploy", "--tag", "v1", "--config", h.writeSpec(from)])).code, 0);
}

describe("app.capacity (Fargate Spot)", () => {
  it("defaults to FARGATE; FARGATE_SPOT with ARM64 is refused with the reason (Spot runs x86 only)", () => {
    assert.equal(SpecSchema.parse({}).app.capacity, "FARGATE");
    const r = SpecSchema.safeParse({ app: { capacity: "FARGATE_SPOT", architecture: "ARM64" } });
    assert.ok(!r.success);
    assert.match(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"), /app\.capacity: Fargate Spot runs only X86_64 tasks/);
  });

  it("up from empty on Spot: the cluster holds both Fargate providers (Spot by default), the service a Spot strategy and no launch type; a second up changes nothing; down leaves nothing", () => withHarness(async (h) => {
    await up(h, SPOT);
    assert.deepEqual(cluster(h).capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
    assert.deepEqual(cluster(h).defaultCapacityProviderStrategy.map((i) => i.capacityProvider), ["FARGATE_SPOT"]);
    const created = calls(h, "CreateService")[0]!;
    assert.equal(created.launchType, undefined);
    assert.deepEqual(created.capacityProviderStrategy, [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }]);
    assert.deepEqual(ops(h).filter((op) => op === "PutClusterCapacityProviders"), [], "the providers come with CreateCluster");
    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), []);
    assert.equal((await h.cli(["down", "--yes", "--config", h.writeSpec(SPOT)])).code, 0);
    assert.deepEqual(h.fake.taggedResources(APP), [], "down leaves nothing");
  }));

  it("FARGATE → FARGATE_SPOT and back: the plan shows the change and the new deployment; up switches in place (forced deployment), tasks move, nothing is replaced", () => withHarness(async (h) => {
    await runningStack(h, ON_DEMAND);
    const arn = service(h).arn;
    assert.deepEqual(runningOn(h), ["launch type"]);

    const plan = await h.cli(["plan", "--config", h.writeSpec(SPOT)]);
    assert.match(plan.stdout, /~ ECS cluster/);
    assert.match(plan.stdout, /capacity: "FARGATE" → "FARGATE_SPOT" \(ECS starts a new deployment for it\)/);
    assert.match(plan.stdout, /Plan: 0 to create, 2 to update, 0 to replace, 0 to delete/);
    const json = JSON.parse((await h.cli(["plan", "--json", "--config", h.writeSpec(SPOT)])).stdout);
    const svc = json.changes.find((c: { key: string }) => c.key === "ecs-service");
    assert.deepEqual(svc.diffs.map((d: { path: string; note?: string }) => [d.path, d.note]), [["capacity", "ECS starts a new deployment for it"]]);

    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), ["PutClusterCapacityProviders", "UpdateService"], "the cluster first, then the service");
    const listed = stackActions(SpecSchema.parse(SPOT));
    const prefix: Record<string, string> = { elbv2: "elasticloadbalancing" };
    const called = h.fake.calls.filter((c) => c.service !== "sts").map((c) => `${prefix[c.service] ?? c.service}:${c.op}`);
    assert.deepEqual([...new Set(called)].filter((a) => !listed.includes(a)), [], "the permission list for a Spot spec holds every call");
    assert.ok(!stackActions({}).includes("ecs:PutClusterCapacityProviders"), "a spec without Spot does not ask for it");
    const update = calls(h, "UpdateService")[0]!;
    assert.deepEqual([update.capacityProviderStrategy, update.forceNewDeployment], [[{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }], true]);
    assert.equal(service(h).arn, arn, "the same service");
    assert.deepEqual(runningOn(h), ["FARGATE_SPOT"], "up waited for the new deployment: the tasks run on Spot");
    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), []);

    assert.match((await h.cli(["plan", "--config", h.writeSpec(ON_DEMAND)])).stdout, /capacity: "FARGATE_SPOT" → "FARGATE" \(ECS starts a new deployment for it\)/);
    h.resetCalls();
    await up(h, ON_DEMAND);
    assert.deepEqual(ops(h), ["UpdateService"], "the cluster keeps its providers");
    assert.deepEqual(calls(h, "UpdateService")[0]!.capacityProviderStrategy, [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]);
    assert.deepEqual(runningOn(h), ["FARGATE"]);
    h.resetCalls();
    await up(h, ON_DEMAND);
    assert.deepEqual(ops(h), []);
  }));

  it("drift on Spot is reported and repaired: the cluster's providers and the service's strategy changed by hand", () => withHarness(async (h) => {
    await runningStack(h, SPOT);
    cluster(h).defaultCapacityProviderStrategy = [{ capacityProvider: "FARGATE", weight: 1, base: 0 }];
    service(h).capacityProviderStrategy = [{ capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 }, { capacityProvider: "FARGATE", weight: 0, base: 1 }];
    const status = JSON.parse((await h.cli(["status", "--json", "--config", h.writeSpec(SPOT)])).stdout);
    const drifted = Object.fromEntries(status.resources.filter((r: { sync: string }) => r.sync === "drifted").map((r: { key: string; fields: string[] }) => [r.key, r.fields]));
    assert.deepEqual(drifted, { "ecs-cluster": ["defaultCapacityProviderStrategy"], "ecs-service": ["capacity"] });
    assert.deepEqual([status.tasks, status.lastDeployment], [{ running: 1, desired: 1 }, "COMPLETED"], "the service's own counts and rollout");
    const plan = await h.cli(["plan", "--config", h.writeSpec(SPOT)]);
    assert.match(plan.stdout, /capacity: "FARGATE_SPOT \(base 0, weight 3\) \+ FARGATE \(base 1, weight 0\)" → "FARGATE_SPOT"/, "a strategy over two providers shows whole, one that places its base only too");
    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), ["PutClusterCapacityProviders", "UpdateService"]);
    assert.deepEqual(cluster(h).defaultCapacityProviderStrategy.map((i) => i.capacityProvider), ["FARGATE_SPOT"]);
    assert.deepEqual(service(h).capacityProviderStrategy, [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }]);
    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), []);
    // A provider given neither base nor weight places no task: the strategy is still Spot alone.
    service(h).capacityProviderStrategy!.push({ capacityProvider: "FARGATE", weight: 0, base: 0 });
    await up(h, SPOT);
    assert.deepEqual(ops(h), []);
  }));

  it("deploy, sleep and wake on Spot: the tasks stay on Spot, the calls change only the task definition and the count", () => withHarness(async (h) => {
    await runningStack(h, SPOT);
    assert.deepEqual(runningOn(h), ["FARGATE_SPOT"]);
    const config = h.writeSpec(SPOT);
    h.fake.pushImage(APP, "v2");
    h.resetCalls();
    const deploy = await h.cli(["deploy", "--tag", "v2", "--json", "--config", config]);
    assert.equal(JSON.parse(deploy.stdout).outcome, "succeeded", deploy.stderr);
    assert.deepEqual(runningOn(h), ["FARGATE_SPOT"]);
    assert.equal((await h.cli(["sleep", "--config", config])).code, 0);
    assert.equal(service(h).desiredCount, 0);
    assert.equal((await h.cli(["wake", "--health-timeout", "5m", "--config", config])).code, 0);
    assert.equal(service(h).desiredCount, 1);
    assert.deepEqual(runningOn(h), ["FARGATE_SPOT"]);
    assert.deepEqual(calls(h, "UpdateService").filter((u) => u.capacityProviderStrategy !== undefined), [], "no call touched the strategy");
    h.resetCalls();
    await up(h, SPOT);
    assert.deepEqual(ops(h), []);
  }));

  it("on a schedule, Spot tasks sleep and wake by the schedule's calls and come back on Spot; up then changes nothing", () => withHarness(async (h) => {
    const spec = { ...SPOT, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" } };
    await h.clock.run(() => h.clock.sleep(Date.UTC(2026, 2, 26, 10, 0))); // a Thursday, 10:00 UTC
    await runningStack(h, spec);
    const pass = (hours: number) => h.clock.run(() => h.fake.passTime(hours * 3_600_000));
    await pass(12);
    assert.deepEqual([service(h).desiredCount, runningOn(h)], [0, []], "Thursday 22:00: asleep");
    await pass(11);
    assert.deepEqual([service(h).desiredCount, runningOn(h)], [1, ["FARGATE_SPOT"]], "Friday 09:00: awake, on Spot");
    assert.deepEqual(service(h).capacityProviderStrategy?.map((i) => i.capacityProvider), ["FARGATE_SPOT"]);
    h.resetCalls();
    await up(h, spec);
    assert.deepEqual(ops(h), []);
  }));

  it("cost prices the tasks at the Spot discount, says it is AWS's best case and that a task can be interrupted with a 2-minute warning", () => {
    const onDemand = estimate(SpecSchema.parse({}));
    const spot = estimate(SpecSchema.parse(SPOT));
    const fargate = (e: typeof spot) => e.lines.find((l) => l.item.startsWith("Fargate"))!;
    assert.equal(fargate(spot).item, "Fargate Spot X86_64 1 × 0.25 vCPU + 0.5 GB");
    assert.equal(fargate(spot).monthly, Math.round((fargate(onDemand).monthly as number) * (1 - PRICES.fargateSpotDiscount) * 100) / 100);
    assert.match(fargate(spot).note!, /up to 70%.*varies by region and over time.*2-minute warning/);
    assert.equal(spot.total, Math.round(((onDemand.total as number) - (fargate(onDemand).monthly as number) + (fargate(spot).monthly as number)) * 100) / 100);
    assert.deepEqual(spot.savings.filter((s) => /Spot|ARM64/.test(s.item)), [], "neither Spot again nor ARM64 (Spot is x86 only)");
    assert.ok(onDemand.savings.some((s) => s.item === "Fargate Spot" && /2-minute warning/.test(s.note)));
  });

  it("a lost response at each call that places the service on Spot (create, switch): one run, exit 0, one of each resource, then nothing to do", async () => {
    // From empty: the calls that carry the capacity (CreateCluster, CreateService).
    let created: number[] = [];
    await withHarness(async (h) => {
      await up(h, SPOT);
      created = h.fake.mutatingCalls().flatMap((c, i) => (["CreateCluster", "CreateService"].includes(c.op) ? [i + 1] : []));
    });
    assert.equal(created.length, 2);
    for (const k of created) {
      await withHarness(async (h) => {
        h.fake.loseResponse(k);
        await up(h, SPOT);
        assertConverged(h, `answer of call ${k} lost`);
        assert.deepEqual(service(h).capacityProviderStrategy?.map((i) => i.capacityProvider), ["FARGATE_SPOT"]);
        h.resetCalls();
        await up(h, SPOT);
        assert.deepEqual(ops(h), [], `answer of call ${k} lost: a further up changes nothing`);
      });
    }
    // The switch, both ways: every call of it (the cluster's providers and the service to Spot; the service back).
    for (const [from, to, count] of [[ON_DEMAND, SPOT, 2], [SPOT, ON_DEMAND, 1]] as const) {
      for (let k = 1; k <= count; k++) {
        await withHarness(async (h) => {
          await up(h, from);
          h.fake.loseResponse(k);
          await up(h, to);
          assertConverged(h, `switch to ${to.app.capacity}, answer of call ${k} lost`);
          h.resetCalls();
          await up(h, to);
          assert.deepEqual(ops(h), [], `switch to ${to.app.capacity}, answer of call ${k} lost: a further up changes nothing`);
        });
      }
    }
  });
});
