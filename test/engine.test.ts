import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapLimit, topoOrder, walk } from "../src/engine/graph.js";
import { changedFields, graphOf, planUp } from "../src/engine/plan.js";
import { UNKNOWN, type AnyResource, type Attrs, type EngineCtx, type Live, type Referable, type RefFn, type Resource } from "../src/engine/types.js";
import { ciPolicy } from "../src/app/ci-policy.js";
import { SpecSchema } from "../src/config/schema.js";

const node = (key: string, ...dependsOn: string[]) => ({ key, dependsOn });

describe("engine", () => {
  it("orders dependencies first and names a cycle", () => {
    const order = topoOrder([node("c", "b"), node("a"), node("b", "a")]);
    assert.deepEqual(order, ["a", "b", "c"]);
    assert.throws(() => topoOrder([node("a", "c"), node("b", "a"), node("c", "b"), node("d")]), /dependency cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c)/);
    assert.throws(() => topoOrder([node("a", "ghost")]), /resource a depends on unknown resource ghost/);
  });

  it("names the cycle itself, not the path that leads into it", () => {
    // x waits on the cycle without being part of it; b also depends on the orderable o, listed first.
    assert.throws(() => topoOrder([node("o"), node("x", "a"), node("a", "b"), node("b", "o", "a")]), { message: "dependency cycle: a -> b -> a" });
    assert.throws(() => topoOrder([node("s", "s")]), { message: "dependency cycle: s -> s" });
  });

  it("a node starts only once every one of its dependencies is done", async () => {
    const started: string[] = [];
    const results = await walk([node("slow"), node("fast"), node("join", "fast", "slow")], async (k) => {
      started.push(k);
      await new Promise((r) => setTimeout(r, k === "slow" ? 20 : 1));
    }, { concurrency: 4 });
    assert.deepEqual(started, ["slow", "fast", "join"]);
    assert.deepEqual([...results.values()].map((v) => v.status), ["done", "done", "done"]);
  });

  it("mapLimit keeps the items' order in its results and at most `limit` calls in flight", async () => {
    let running = 0;
    let peak = 0;
    const calls: number[] = [];
    const out = await mapLimit([30, 10, 20, 5, 1], 2, async (ms) => {
      calls.push(ms);
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return ms * 2;
    });
    assert.deepEqual(out, [60, 20, 40, 10, 2]);
    assert.deepEqual(calls.sort((a, b) => a - b), [1, 5, 10, 20, 30], "each item once");
    assert.equal(peak, 2);
    assert.deepEqual(await mapLimit([], 4, async () => { throw new Error("never called"); }), []);
  });

  it("a failure skips only its dependents; unrelated branches finish; concurrency stays bounded", async () => {
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    const results = await walk(
      [node("root"), node("bad", "root"), node("child", "bad"), node("grandchild", "child"), node("other", "root"), node("x"), node("y"), node("z")],
      async (k) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        ran.push(k);
        if (k === "bad") throw new Error("boom");
      },
      { concurrency: 2 },
    );
    assert.equal(results.get("bad")!.status, "failed");
    assert.equal(results.get("child")!.status, "skipped");
    assert.equal(results.get("grandchild")!.status, "skipped");
    assert.equal(results.get("other")!.status, "done");
    assert.ok(!ran.includes("child"));
    assert.ok(peak <= 2, `peak concurrency ${peak}`);
  });

  it("an aborted walk starts nothing new", async () => {
    const stop = new AbortController();
    const ran: string[] = [];
    const results = await walk([node("a"), node("b", "a"), node("c", "b")], async (k) => { ran.push(k); if (k === "a") stop.abort(); }, { concurrency: 4, signal: stop.signal });
    assert.deepEqual(ran, ["a"]);
    assert.equal(results.get("b")!.status, "skipped");
  });

  it("the plan is a pure diff: unknown dependency outputs force replacement only through fields that need it", () => {
    type Spec = { cidr: string };
    const parent: AnyResource<EngineCtx, Spec> = {
      key: "p", kind: "t", replaceOn: ["cidr"], title: () => "parent", desired: (s) => ({ cidr: s.cidr }),
      observe: async () => undefined, create: async () => ({ id: "", outputs: {} }), delete: async () => {},
    };
    const child: Resource<EngineCtx, Spec, { parentId: string; size: number }, Attrs, { childId: string }> = {
      key: "c", kind: "t", replaceOn: ["parentId"], title: () => "child", desired: (_s, ref) => ({ parentId: ref(parent as Referable<{ id: string }>).id, size: 2 }),
      update: async () => {}, observe: async () => undefined, create: async () => ({ id: "", outputs: {} }), delete: async () => {},
    };
    const spec = { cidr: "10.1.0.0/16" };
    const observed = new Map<string, Live>([
      ["p", { id: "p-1", state: "ready", attrs: { cidr: "10.0.0.0/16" }, outputs: { id: "p-1" } }],
      ["c", { id: "c-1", state: "ready", attrs: { parentId: "p-1", size: 1 }, outputs: {} }],
    ]);
    assert.deepEqual(graphOf([parent, child], spec), [node("p"), node("c", "p")], "the edge comes from the reference, not a hand-written list");
    const plan = planUp([parent, child], spec, observed);
    assert.deepEqual(plan.changes.map((c) => [c.key, c.action]), [["p", "replace"], ["c", "replace"]]);
    assert.deepEqual(plan.changes[1]!.diffs.find((d) => d.field === "parentId"), { field: "parentId", path: "parentId", before: "p-1", after: UNKNOWN, forcesReplace: true });
    assert.deepEqual(planUp([parent, child], spec, observed), plan, "same inputs, same plan");
    observed.set("p", { id: "p-1", state: "ready", attrs: { cidr: "10.1.0.0/16" }, outputs: { id: "p-1" } });
    assert.deepEqual(planUp([parent, child], spec, observed).changes.map((c) => c.action), ["noop", "update"]);
  });

  it("references are typed: a misspelt output does not compile", () => {
    const vpcLike = { key: "v" } as Referable<{ vpcId: string }>;
    const desired = (ref: RefFn) => ({
      ok: ref(vpcLike).vpcId,
      // @ts-expect-error vpcID is not an output of the VPC
      typo: ref(vpcLike).vpcID,
    });
    const seen: string[] = [];
    desired(((r: { key: string }) => (seen.push(r.key), { vpcId: "vpc-1" })) as RefFn);
    assert.deepEqual(seen, ["v", "v"]);
  });

  it("object fields diff key by key, and marked secrets never reach a plan", () => {
    const r: AnyResource<EngineCtx, { team?: string }> = {
      key: "r", kind: "t", title: () => "r", update: async () => {},
      desired: (s) => ({ tags: { Name: "x", ...(s.team ? { team: s.team } : {}) }, env: { URL: "postgis://u:s3cr%2Ft@h/db" } }),
      observe: async () => undefined, create: async () => ({ id: "", outputs: {} }), delete: async () => {},
    };
    const observed = new Map<string, Live>([["r", { id: "r-1", state: "ready", attrs: { tags: { Name: "x" }, env: { URL: "postgis://u:old@h/db" } }, outputs: {} }]]);
    const plan = planUp([r], { team: "core" }, observed, ["s3cr/t"]);
    assert.deepEqual(plan.changes[0]!.diffs.map((d) => [d.path, d.before, d.after]), [
      ["tags.team", undefined, "core"],
      ["env.URL", "postgis://u:old@h/db", "postgis://u:(sensitive)@h/db"],
    ]);
    assert.deepEqual(changedFields(plan.changes[0]!.diffs), ["tags", "env"]);
  });
});

describe("ci-policy", () => {
  it("scopes push, rollout, PassRole and logs to this stack", () => {
    const policy = ciPolicy(SpecSchema.parse({}), "123456789012");
    const by = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.equal(by.EcrPushThisRepository!.Resource, "arn:aws:ecr:us-east-1:123456789012:repository/spontime-poc");
    assert.equal(by.EcsThisService!.Resource, "arn:aws:ecs:us-east-1:123456789012:service/spontime-poc/spontime-poc");
    assert.deepEqual(by.PassOnlyTheExecutionRole!.Resource, ["arn:aws:iam::123456789012:role/spontime-poc-us-east-1-ecs-execution", "arn:aws:iam::123456789012:role/spontime-poc-ecs-execution"]);
    assert.deepEqual(by.PassOnlyTheExecutionRole!.Action, ["iam:PassRole"]);
    for (const s of policy.Statement) assert.ok(!(s.Action as string[]).some((a) => a.endsWith(":*") || a === "*"), `${s.Sid} names its actions`);
  });
});
