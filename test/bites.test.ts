// Lines a hand-made mutation run (issue 26) found that no test defended: each test here fails when its line is
// broken the way the mutant broke it. `npm run mutate` finds the next ones.
import assert from "node:assert/strict";
import { linkSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { waitHealthy } from "../src/app/health.js";
import { deleteResource } from "../src/engine/apply.js";
import { walk } from "../src/engine/graph.js";
import { diffAttrs, graphOf } from "../src/engine/plan.js";
import type { AnyResource, EngineCtx, Live } from "../src/engine/types.js";
import { StateStore } from "../src/state/store.js";
import { VirtualClock } from "./fake/clock.js";
import { Harness } from "./helpers.js";

const engineCtx = (clock: VirtualClock): EngineCtx => ({
  clock, signal: new AbortController().signal, emit: () => {}, records: { get: () => undefined, set: () => {} }, describeError: (what) => what,
});

describe("lines the tests now defend", () => {
  it("the plan compares values whatever their keys' order, at any depth", () => {
    const r = { key: "k", kind: "t", title: () => "t" } as unknown as AnyResource<EngineCtx, unknown>;
    const want = { environment: { A: "1", B: "2" }, nested: { outer: { x: 1, y: [{ b: 2, a: 1 }] } } };
    const have = { environment: { B: "2", A: "1" }, nested: { outer: { y: [{ a: 1, b: 2 }], x: 1 } } };
    assert.deepEqual(diffAttrs(r, want, have), []);
    assert.equal(diffAttrs(r, want, { ...have, nested: { outer: { y: [{ a: 1, b: 3 }], x: 1 } } }).length, 1, "a real change still shows");
  });

  it("a delete refused as in use is retried against what is observed again: gone in between means no second delete", async () => {
    const clock = new VirtualClock();
    let deletes = 0;
    let observes = 0;
    const live: Live = { id: "x-1", state: "ready", attrs: {}, outputs: {} };
    const r = {
      key: "k", kind: "t", title: () => "thing",
      inUse: (e: unknown) => (e as Error).message === "in use",
      observe: async () => { observes++; return undefined; },
      delete: async () => { deletes++; throw new Error("in use"); },
    } as unknown as AnyResource<EngineCtx, unknown>;
    await clock.run(() => deleteResource(engineCtx(clock), {}, r, live));
    assert.deepEqual([deletes, observes], [1, 1]);
  });

  it("an ordering-only edge (`after`, no value read) holds in every walk: the dependent starts once the other is done", async () => {
    const plain = (key: string, after?: { key: string }[]) => ({ key, kind: "t", title: () => key, desired: () => ({}), ...(after ? { after } : {}) }) as unknown as AnyResource<EngineCtx, object>;
    const gateway = plain("gateway");
    const resources = [plain("alb", [gateway]), plain("noise-1"), plain("noise-2"), gateway];
    const nodes = graphOf(resources, {});
    assert.deepEqual(nodes.find((n) => n.key === "alb")!.dependsOn, ["gateway"]);
    // The gateway is the slowest to make: without the edge the ALB would start (and AWS refuse it) first.
    const clock = new VirtualClock();
    const done = new Set<string>();
    const startedWith = new Map<string, string[]>();
    await clock.run(() => walk(nodes, async (key) => {
      startedWith.set(key, [...done]);
      await clock.sleep(key === "gateway" ? 60_000 : 1_000);
      done.add(key);
    }, { concurrency: 8 }));
    assert.ok(startedWith.get("alb")!.includes("gateway"), `alb started after: ${startedWith.get("alb")}`);
  });

  it("a health check passes on 200 only: a redirect or any other answer below 400 is not healthy", async () => {
    for (const status of [301, 302, 204, 399]) {
      const clock = new VirtualClock();
      const r = await clock.run(() => waitHealthy({ clock, signal: new AbortController().signal, http: async () => status }, "http://x/health", 30_000));
      assert.equal(r.ok, false, `HTTP ${status}`);
    }
    const clock = new VirtualClock();
    assert.equal((await clock.run(() => waitHealthy({ clock, signal: new AbortController().signal, http: async () => 200 }, "http://x/health", 30_000))).ok, true);
  });

  it("the local state is written to a new file and renamed over the old one, never rewritten in place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spontime-bites-"));
    const store = new StateStore(dir, "app", "us-east-1");
    store.save();
    await store.flush();
    // A hard link keeps the file it was made to: a rename replaces the name, an in-place write changes that file.
    const link = join(dir, "old-copy");
    linkSync(store.path, link);
    const before = readFileSync(link, "utf8");
    store.setResource("vpc", { id: "vpc-1", outputs: {} });
    await store.flush();
    assert.equal(readFileSync(link, "utf8"), before);
    assert.match(readFileSync(store.path, "utf8"), /vpc-1/);
  });

  for (const [what, network, message] of [
    ["a subnet wider than the VPC, at its start", { publicSubnets: ["10.0.0.0/15", "10.0.2.0/24"] }, /10\.0\.0\.0\/15 is not inside the VPC/],
    ["a subnet just below the VPC", { publicSubnets: ["9.255.255.0/24", "10.0.2.0/24"] }, /9\.255\.255\.0\/24 is not inside the VPC/],
    ["a subnet just past the VPC's end", { privateSubnets: ["10.0.10.0/24", "10.1.0.0/24"] }, /10\.1\.0\.0\/24 is not inside the VPC/],
  ] as const) {
    it(`refuses ${what} (exit 2, before any AWS call)`, async () => {
      const h = new Harness();
      try {
        const r = await h.cli(["validate", "--config", h.writeSpec({ network })]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(h.fake.calls.length, 0);
      } finally { h.close(); }
    });
  }

  it("accepts subnets that fill the VPC to its last address, and a health-check timeout one second under the interval", async () => {
    const h = new Harness();
    try {
      const edge = h.writeSpec({ network: { vpcCidr: "10.0.0.0/22", publicSubnets: ["10.0.0.0/24", "10.0.1.0/24"], privateSubnets: ["10.0.2.0/24", "10.0.3.0/24"] }, app: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 9 } } });
      assert.equal((await h.cli(["validate", "--config", edge])).code, 0);
      const equal = await h.cli(["validate", "--config", h.writeSpec({ app: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } } })]);
      assert.equal(equal.code, 2);
      assert.match(equal.stderr, /timeoutSeconds: must be shorter than intervalSeconds \(10\)/);
    } finally { h.close(); }
  });
});
