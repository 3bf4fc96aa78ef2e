/**
 * The apply walk on its own (src/engine/apply.ts), against a tiny in-memory account and the virtual clock: what
 * `up` and `down` do to each resource, in which order, what they record and say, and how each kind of failure
 * ends. The CLI-level tests (plan-apply, reliability) cover the same walk through the real stack, slowly.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ToolError, UserError } from "../src/errors.js";
import { ChangedSincePlan, Interrupted, applyDown, applyUp, deleteResource, waitDelay } from "../src/engine/apply.js";
import { planDown, planUp, type Plan } from "../src/engine/plan.js";
import type { AnyResource, Attrs, EngineCtx, EngineEvent, Live, Referable, Stored } from "../src/engine/types.js";
import { VirtualClock } from "./fake/clock.js";

type Spec = Record<string, unknown>;
type Res = AnyResource<EngineCtx, Spec>;
type Thing = Live & { readyAt?: number };

/** One account: one live copy per resource key, the calls that changed it, and one run's records and events. */
class World {
  readonly clock = new VirtualClock();
  readonly things = new Map<string, Thing>();
  readonly calls: string[] = [];
  readonly events: EngineEvent[] = [];
  readonly records = new Map<string, Stored>();
  readonly abort = new AbortController();
  private n = 0;
  private interruptOn?: (e: EngineEvent) => boolean;
  readonly ctx: EngineCtx = {
    clock: this.clock, signal: this.abort.signal,
    emit: (e) => { this.events.push(e); if (this.interruptOn?.(e)) this.abort.abort(); },
    records: { get: (k) => this.records.get(k), set: (k, v) => (v ? this.records.set(k, v) : this.records.delete(k)) },
    describeError: (what, e) => `${what}: ${(e as Error).message}`,
  };

  /** What observe sees: pending ("starting") until its `readyAt`. */
  look(key: string): Live | undefined {
    const t = this.things.get(key);
    if (!t) return undefined;
    const { readyAt, ...live } = structuredClone(t);
    return readyAt !== undefined && this.clock.now() < readyAt ? { ...live, state: "pending", why: "starting" } : live;
  }

  put(key: string, attrs: Attrs, extra: Partial<Thing> = {}): Thing {
    const id = `${key}-${++this.n}`;
    const t = { id, state: "ready", attrs: structuredClone(attrs), outputs: { id, name: key }, ...extra } as Thing;
    this.things.set(key, t);
    return t;
  }

  /** A resource kind over this account. `readyMs`: how long a create or update leaves it pending. */
  thing(key: string, o: Partial<Res> & { readyMs?: number } = {}): Res {
    const { readyMs, ...overrides } = o;
    const settle = () => (readyMs ? { readyAt: this.clock.now() + readyMs } : {});
    return {
      key, kind: "thing", title: () => key,
      desired: (s) => ({ size: s[key] ?? 1 }),
      observe: async () => this.look(key),
      create: async (_ctx, want) => {
        this.calls.push(`create ${key}`);
        const t = this.put(key, want, settle());
        return { id: t.id, outputs: t.outputs };
      },
      update: async (_ctx, want, _live, changed) => {
        this.calls.push(`update ${key} ${changed.join(",")}`);
        const t = this.things.get(key)!;
        for (const f of changed) t.attrs[f] = want[f];
        Object.assign(t, settle());
      },
      delete: async (_ctx, live) => {
        this.calls.push(`delete ${live.id}`);
        if (this.things.get(key)?.id === live.id) this.things.delete(key);
      },
      ...overrides,
    };
  }

  observed(resources: readonly Res[]): Map<string, Live | undefined> {
    return new Map(resources.map((r) => [r.key, this.look(r.key)]));
  }

  /** `plan` then `up`, as the CLI runs them; `meanwhile` runs between the two (a change made by hand). */
  async up(resources: readonly Res[], spec: Spec, o: { meanwhile?: () => void; applySpec?: Spec; concurrency?: number } = {}) {
    const observed = this.observed(resources);
    const plan = planUp(resources, spec, observed);
    o.meanwhile?.();
    this.calls.length = 0;
    this.events.length = 0;
    const result = await this.clock.run(() => applyUp(this.ctx, o.applySpec ?? spec, resources, plan, observed, o.concurrency));
    return { plan, result };
  }

  async down(resources: readonly Res[], spec: Spec, o: { meanwhile?: () => void } = {}) {
    const plan = planDown(resources, spec, this.observed(resources));
    o.meanwhile?.();
    this.calls.length = 0;
    this.events.length = 0;
    return { plan, result: await this.clock.run(() => applyDown(this.ctx, spec, resources, plan)) };
  }

  /** The events of one resource, as `status message` lines. */
  /** Ctrl-C the first time `key` reports `status`: at a known point of the run, not after some real milliseconds. */
  interruptAt(key: string, status: EngineEvent["status"]): void {
    this.interruptOn = (e) => e.key === key && e.status === status;
  }

  said(key: string): string[] {
    return this.events.filter((e) => e.key === key).map((e) => (e.message === undefined ? e.status : `${e.status} ${e.message}`));
  }
}

const statuses = (r: { results: Map<string, { status: string }> }) => Object.fromEntries([...r.results].map(([k, v]) => [k, v.status]));
const failure = (r: { failures: { key: string; error: unknown }[] }, key: string) => r.failures.find((f) => f.key === key)?.error as Error | undefined;

/** A parent, and a child that reads the parent's id (so is made after it and moves with it). */
function family(w: World, parent: Partial<Res> & { readyMs?: number } = {}, child: Partial<Res> & { readyMs?: number } = {}) {
  const p = w.thing("p", parent);
  const c = w.thing("c", { desired: (s, ref) => ({ parent: ref(p as Referable<{ id: string }>).id, size: s.c ?? 1 }), ...child });
  return [p, c];
}

describe("apply: up", () => {
  it("makes what is missing in dependency order, each from its dependencies' real outputs, and records it before waiting", async () => {
    const w = new World();
    const seenRecorded: (string | undefined)[] = [];
    const [p, c] = family(w, { readyMs: 90_000 });
    const observe = p!.observe;
    p!.observe = async (ctx, prior) => (w.things.has("p") && seenRecorded.push(w.records.get("p")?.id), observe(ctx, prior));
    const { plan, result } = await w.up([c!, p!], {});
    assert.deepEqual(plan.changes.map((ch) => [ch.key, ch.action]), [["p", "create"], ["c", "create"]]);
    assert.deepEqual(w.calls, ["create p", "create c"]);
    assert.deepEqual(w.things.get("c")!.attrs, { parent: "p-1", size: 1 }, "the child was made with the id the parent got");
    assert.ok(seenRecorded.length > 1 && seenRecorded.every((id) => id === "p-1"), "the id is in the records before the first look");
    assert.deepEqual([...w.records], [["p", { id: "p-1", outputs: { id: "p-1", name: "p" } }], ["c", { id: "c-2", outputs: { id: "c-2", name: "c" } }]]);
    assert.deepEqual(statuses(result), { p: "done", c: "done" });
    assert.deepEqual([...result.applied], [["p", "create"], ["c", "create"]]);
    assert.deepEqual(Object.fromEntries(result.outputs), { p: { id: "p-1", name: "p" }, c: { id: "c-2", name: "c" } });
    assert.deepEqual(result.failures, []);
    assert.equal(result.interrupted, false);
    // A status line at least every 10 s while it starts, on the engine's clock; the row ends when it is ready.
    assert.deepEqual(w.said("p"), ["creating", ...Array<string>(10).fill("waiting starting"), "done created"]);
    assert.deepEqual(w.events.filter((e) => e.key === "p").map((e) => e.elapsedMs), [undefined, 0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000, 96_250]);
    assert.deepEqual(w.said("c"), ["creating", "done created"]);
    assert.deepEqual(w.events.filter((e) => e.key === "c").map((e) => e.elapsedMs), [undefined, 0], "each row counts from its own start");

    const writes: string[] = [];
    const set = w.ctx.records.set;
    w.ctx.records.set = (k, v) => (writes.push(k), set(k, v));
    const again = await w.up([c!, p!], {});
    assert.deepEqual(writes, [], "nor writes its records");
    assert.deepEqual(again.plan.changes.map((ch) => ch.action), ["noop", "noop"]);
    assert.deepEqual([w.calls, w.events, [...again.result.applied]], [[], [], []], "a second up changes and says nothing");
    assert.deepEqual(Object.fromEntries(again.result.outputs), { p: { id: "p-1", name: "p" }, c: { id: "c-2", name: "c" } });
  });

  it("updates only the fields that differ, and says which", async () => {
    const w = new World();
    const r = w.thing("r", { desired: (s) => ({ size: s.size, name: "r" }) });
    w.put("r", { size: 1, name: "r" });
    w.records.set("r", { id: "r-1", outputs: { id: "r-1", name: "r" } });
    const writes: string[] = [];
    const set = w.ctx.records.set;
    w.ctx.records.set = (k, v) => (writes.push(k), set(k, v));
    const { result } = await w.up([r], { size: 2 });
    assert.deepEqual(writes, [], "nothing new to record: no state write");
    assert.deepEqual(w.calls, ["update r size"]);
    assert.deepEqual(w.said("r"), ["updating size", "done updated"]);
    assert.deepEqual([...result.applied], [["r", "update"]]);
    assert.deepEqual(w.records.get("r"), { id: "r-1", outputs: { id: "r-1", name: "r" } });
  });

  it("keeps what an update returns to remember (a password AWS cannot show back) in the record and hands it to the next look", async () => {
    const w = new World();
    const priors: (Stored | undefined)[] = [];
    const recorded: (string | undefined)[] = [];
    const r = w.thing("r", {
      update: async (_ctx, want) => { const t = w.things.get("r")!; t.attrs.size = want.size; t.readyAt = 5_000; return { applied: "v2" }; },
      observe: async (_ctx, prior) => (priors.push(prior), recorded.push(w.records.get("r")?.outputs.applied), w.look("r")),
    });
    w.put("r", { size: 1 }, { memo: { seen: "etag-1" } });
    await w.up([r], { r: 2 });
    assert.deepEqual(recorded.slice(1), ["v2", "v2", "v2"], "recorded before the wait: a crash in it still knows what was applied");
    assert.deepEqual(w.records.get("r"), { id: "r-1", outputs: { id: "r-1", name: "r" }, memo: { seen: "etag-1" } });
    assert.deepEqual(priors.at(-1), { id: "r-1", outputs: { id: "r-1", name: "r", applied: "v2" } });
  });

  it("replaces by deleting first, then making the new one, which its dependents then follow", async () => {
    const w = new World();
    const [p, c] = family(w, { replaceOn: ["size"] }, { replaceOn: ["parent"] });
    await w.up([p!, c!], {});
    const { plan, result } = await w.up([p!, c!], { p: 2 });
    assert.deepEqual(plan.changes.map((ch) => ch.action), ["replace", "replace"]);
    assert.deepEqual(w.calls, ["delete p-1", "create p", "delete c-2", "create c"]);
    assert.deepEqual(w.things.get("c")!.attrs.parent, "p-3");
    assert.deepEqual(w.said("p"), ["replacing", "done replaced"]);
    assert.deepEqual([...result.applied], [["p", "replace"], ["c", "replace"]]);
    assert.equal(w.records.get("p")!.id, "p-3");
  });

  it("a replacement that live dependents use is made first; the old one goes once the whole run succeeded, and stays when it did not", async () => {
    const w = new World();
    const [p, c] = family(w, { replaceOn: ["size"], createBeforeDelete: true });
    const x = w.thing("x");
    await w.up([p!, c!, x], {});
    const { result } = await w.up([p!, c!, x], { p: 2, c: 2 });
    assert.deepEqual(w.calls, ["create p", "update c parent,size", "delete p-1"], "the old copy is deleted after everything else");
    assert.deepEqual(w.said("p").slice(-2), ["deleting the replaced p-1", "done deleted the replaced p-1"]);
    assert.deepEqual(statuses(result), { p: "done", c: "done", x: "done" });

    // Next time an unrelated resource fails: the old copy may still be what runs, so it stays.
    x.update = async () => { throw new ToolError("x broke"); };
    const failed = await w.up([p!, c!, x], { p: 3, x: 2 });
    assert.ok(!w.calls.some((call) => call.startsWith("delete")), w.calls.join("; "));
    assert.equal(failure(failed.result, "x")!.message, "x broke");
  });

  it("in one run, a replaced copy still in use is waited out, while an extra copy is tried once", async () => {
    const w = new World();
    const inUse = new Error("in use");
    const p = w.thing("p", {
      replaceOn: ["size"], createBeforeDelete: true, inUse: (e) => e === inUse,
      delete: async (_ctx, live) => { w.calls.push(`delete ${live.id}`); if (w.clock.now() < 5_000) throw inUse; },
    });
    const q = w.thing("q", { inUse: (e) => e === inUse, delete: async (_ctx, live) => { w.calls.push(`delete ${live.id}`); throw inUse; } });
    await w.up([p, q], {});
    w.things.get("q")!.duplicates = [{ id: "q-9", state: "ready", attrs: {}, outputs: {} }];
    const { result } = await w.up([p, q], { p: 2 });
    assert.deepEqual(w.said("p").slice(-2), ["retrying still in use, retrying", "done deleted the replaced p-1"]);
    assert.equal(failure(result, "q")!.message, "q: the extra copy q-9 this run made is in use (delete it: in use): left in place; delete it by hand once nothing uses it");
    assert.deepEqual(w.calls.filter((call) => call === "delete q-9"), ["delete q-9"]);
  });

  it("a change whose values, once known, equal what is there does nothing, and its row ends as ready", async () => {
    const w = new World();
    // The child reads the parent's name, which a new parent keeps: the plan cannot know that.
    const p = w.thing("p", { replaceOn: ["size"], createBeforeDelete: true });
    const c = w.thing("c", { desired: (_s, ref) => ({ parentName: ref(p as Referable<{ name: string }>).name }), replaceOn: ["parentName"] });
    await w.up([p, c], {});
    const { plan, result } = await w.up([p, c], { p: 2 });
    assert.deepEqual(plan.changes.map((ch) => ch.action), ["replace", "replace"]);
    assert.ok(!w.calls.includes("create c") && !w.calls.includes("delete c-2"), w.calls.join("; "));
    assert.deepEqual([...result.applied], [["p", "replace"]]);
    assert.deepEqual(w.said("c"), ["done ready"]);
  });

  it("waits for one found mid-change (a crash during its create) before its dependents read it", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.clock.run(() => w.clock.sleep(1_000)); // the run starts at a later time than 0
    w.put("p", { size: 1 }, { readyAt: 6_000 });
    const { plan, result } = await w.up([p!, c!], {});
    assert.deepEqual(plan.changes.map((ch) => ch.action), ["noop", "create"]);
    assert.deepEqual(w.calls, ["create c"]);
    assert.equal(w.things.get("c")!.attrs.parent, "p-1");
    assert.deepEqual(w.said("p")[0], "waiting starting");
    assert.deepEqual(w.said("p").at(-1), "done ready");
    assert.equal(w.events.filter((e) => e.key === "p").at(-1)!.elapsedMs, 5_000, "looked at 0, 2 s and 5 s");
    assert.deepEqual(statuses(result), { p: "done", c: "done" });
    assert.deepEqual(Object.fromEntries(result.outputs).p, { id: "p-1", name: "p" });
  });

  it("waits for one found mid-change before changing it, and deletes one found mid-change without waiting", async () => {
    const w = new World();
    const r = w.thing("r", { typicalReadyMs: 20_000 });
    w.put("r", { size: 1 });
    const { result } = await w.up([r], { r: 2 }, { meanwhile: () => { w.things.get("r")!.readyAt = 17_500; } });
    assert.deepEqual(statuses(result), { r: "done" });
    assert.deepEqual(w.said("r"), ["waiting starting", "waiting starting", "waiting starting", "updating size", "done updated"]);
    assert.equal(w.clock.now(), 17_500, "looked at 0, 10 s, 15 s and 17.5 s: half the usual time left each time");

    const v = new World();
    const s = v.thing("s");
    await v.up([s], {});
    const { result: down } = await v.down([s], {}, { meanwhile: () => { v.things.get("s")!.readyAt = 60_000; } });
    assert.deepEqual(statuses(down), { s: "done" });
    assert.deepEqual(v.calls, ["delete s-1"]);
    assert.equal(v.clock.now(), 0);
  });

  it("a replaced resource whose new copy fails to be made keeps no record of the deleted one", async () => {
    const w = new World();
    const r = w.thing("r", { replaceOn: ["size"] });
    await w.up([r], {});
    r.create = async () => { throw new ToolError("no capacity"); };
    const { result } = await w.up([r], { r: 2 });
    assert.deepEqual(w.calls, ["delete r-1"]);
    assert.equal(failure(result, "r")!.message, "no capacity");
    assert.equal(w.records.get("r"), undefined);
  });

  it("the new copy of a replacement made first sees the old one's record (what it may carry over)", async () => {
    const w = new World();
    const seen: (Stored | undefined)[] = [];
    const r = w.thing("r", { replaceOn: ["size"], createBeforeDelete: true });
    await w.up([r], {});
    const create = r.create;
    r.create = async (ctx, want) => (seen.push(ctx.records.get("r")), create(ctx, want));
    await w.up([r], { r: 2 });
    assert.deepEqual(seen, [{ id: "r-1", outputs: { id: "r-1", name: "r" } }]);
    assert.deepEqual(w.calls, ["create r", "delete r-1"]);
    assert.equal(w.records.get("r")!.id, "r-2");
  });

  it("deletes the extra copy its own retried create left, and only copies the plan listed", async () => {
    const w = new World();
    const r = w.thing("r", {
      create: async (_ctx, want) => {
        w.calls.push("create r");
        const t = w.put("r", want);
        t.duplicates = [{ id: "r-0", state: "ready", attrs: {}, outputs: {} }];
        return { id: t.id, outputs: t.outputs };
      },
    });
    await w.up([r], {});
    assert.deepEqual(w.calls, ["create r", "delete r-0"]);

    // A saved plan applied to a fresh look: a copy found after the plan is not the plan's to delete.
    const v = new World();
    const s = v.thing("s");
    v.put("s", { size: 1 });
    const plan = planUp([s], {}, v.observed([s]));
    v.things.get("s")!.duplicates = [{ id: "s-9", state: "ready", attrs: {}, outputs: {} }];
    await v.clock.run(() => applyUp(v.ctx, {}, [s], plan, v.observed([s])));
    assert.deepEqual(v.calls, []);
  });

  it("a wait for one found mid-change that fails is said as a check", async () => {
    const w = new World();
    const r = w.thing("r", { observe: async () => { if (w.clock.now() > 0) throw new Error("denied"); return w.look("r"); } });
    w.put("r", { size: 1 }, { readyAt: 60_000 });
    const { result } = await w.up([r], {});
    assert.equal(failure(result, "r")!.message, "check r: denied");
  });

  it("a resource changed by hand since the plan stops its branch only, and says what moved", async () => {
    const cases: [string, (w: World) => void, string][] = [
      ["changed", (w) => { w.things.get("c")!.attrs.size = 5; }, "changed since the plan: c: size changed at AWS; run plan again"],
      ["deleted", (w) => { w.things.delete("c"); }, "changed since the plan: c (c-3) is gone; run plan again"],
      ["swapped", (w) => { w.things.get("c")!.id = "c-9"; }, "changed since the plan: c is now c-9, not c-3; run plan again"],
    ];
    for (const [what, meanwhile, message] of cases) {
      const w = new World();
      const [p, c] = family(w);
      const g = w.thing("g", { desired: (s, ref) => ({ of: ref(c as Referable<{ id: string }>).id, size: s.g ?? 1 }) });
      const x = w.thing("x");
      await w.up([p!, c!, g, x], {});
      const { result } = await w.up([p!, c!, g, x], { c: 2, g: 2, x: 2 }, { meanwhile: () => meanwhile(w) });
      assert.deepEqual(statuses(result), { p: "done", c: "failed", g: "skipped", x: "done" }, what);
      assert.ok(failure(result, "c") instanceof ChangedSincePlan, what);
      assert.equal(failure(result, "c")!.message, message, what);
      assert.deepEqual(result.failures.map((f) => [f.key, (f as { title: string }).title]), [["c", "c"]], "a skipped dependent is not a root cause");
      assert.deepEqual(w.calls, ["update x size"], what);
      assert.deepEqual(w.said("c"), [`failed ${message}`], what);
    }
  });

  it("a failed run still reports the outputs of what it kept or was to update in place, never of one still being made", async () => {
    const w = new World();
    const [p, c] = family(w, { update: async () => { throw new ToolError("p broke"); } });
    const q = w.thing("q", { desired: (_s, ref) => ({ of: ref(p as Referable<{ id: string }>).id }) });
    const n = w.thing("n", { desired: (_s, ref) => ({ of: ref(q as Referable<{ id: string }>).id }) });
    w.put("p", { size: 1 });
    w.put("c", { parent: "p-1", size: 1 });
    w.put("q", { of: "p-1" }, { readyAt: 60 * 60_000, outputs: { id: "q-3", endpoint: "" } }); // being made: an output not given yet
    w.put("n", { of: "q-3" });
    const { plan, result } = await w.up([p!, c!, q, n], { p: 2 });
    assert.deepEqual(plan.changes.map((ch) => [ch.key, ch.action]), [["p", "update"], ["c", "noop"], ["q", "noop"], ["n", "update"]]);
    assert.deepEqual(statuses(result), { p: "failed", c: "skipped", q: "skipped", n: "skipped" });
    assert.deepEqual(Object.fromEntries(result.outputs), { p: { id: "p-1", name: "p" }, c: { id: "c-2", name: "c" }, n: { id: "n-4", name: "n" } }, "what --json shows as the stack's outputs");
  });

  it("one made by hand since the plan said to create it is not made twice", async () => {
    const w = new World();
    const r = w.thing("r");
    const { result } = await w.up([r], {}, { meanwhile: () => { w.put("r", { size: 1 }); } });
    assert.equal(failure(result, "r")!.message, "changed since the plan: r now exists (r-1); run plan again");
    assert.deepEqual(w.calls, []);
  });

  it("refuses to set values other than the plan showed (a saved plan applied to another spec)", async () => {
    const w = new World();
    const r = w.thing("r", { desired: (sp) => ({ size: sp.size, count: sp.count }) });
    w.put("r", { size: 1, count: 1 });
    const { result } = await w.up([r], { size: 2, count: 2 }, { applySpec: { size: 3, count: 3 } });
    assert.equal(failure(result, "r")!.message, "changed since the plan: r: size, count would not be what the plan showed; run plan again");
    assert.deepEqual(w.calls, []);
  });

  it("an answer lost on a create: 'already exists' adopts what the call made, once; anything else fails the resource", async () => {
    const w = new World();
    const exists = new Error("already exists");
    const r = w.thing("r", {
      alreadyExists: (e) => e === exists,
      create: async (_ctx, want) => { w.calls.push("create r"); w.put("r", want); throw exists; },
    });
    const { result } = await w.up([r], {});
    assert.deepEqual(w.calls, ["create r"]);
    assert.deepEqual(w.said("r"), ["creating", "creating already there (a retried call): adopting it", "done created"]);
    assert.deepEqual(w.records.get("r"), { id: "r-1", outputs: { id: "r-1", name: "r" } });
    assert.deepEqual(statuses(result), { r: "done" });

    // "Already exists" with nothing of ours to find: the refusal stands.
    const v = new World();
    const lonely = v.thing("r", { alreadyExists: (e) => e === exists, create: async () => { throw exists; } });
    const lost = await v.up([lonely], {});
    assert.equal(failure(lost.result, "r")!.message, "create r: already exists");
    assert.equal((failure(lost.result, "r") as ToolError).cause, exists);
    assert.ok(failure(lost.result, "r") instanceof ToolError);
    assert.equal(v.records.get("r"), undefined);

    // Any other error fails it, said in the describer's words.
    const u = new World();
    // (even with something there: only "already exists" adopts)
    const broken = u.thing("r", { alreadyExists: () => false, create: async (_ctx, want) => { u.put("r", want); throw new Error("throttled"); } });
    const failed = await u.up([broken], {});
    assert.equal(failure(failed.result, "r")!.message, "create r: throttled");
    assert.deepEqual(u.said("r"), ["creating", "failed create r: throttled"]);
  });

  it("an adopted copy is brought to what the spec wants", async () => {
    const w = new World();
    const exists = new Error("already exists");
    const r = w.thing("r", {
      alreadyExists: (e) => e === exists,
      create: async () => { w.put("r", { size: 1 }); throw exists; },
    });
    await w.up([r], { r: 2 });
    assert.equal(w.things.get("r")!.attrs.size, 2);
    assert.deepEqual(w.calls, ["update r size"]);
  });

  it("an answer lost on an update: 'already done' looks again and carries on; otherwise the error stands", async () => {
    const w = new World();
    const done = new Error("already done");
    let first = true;
    const r = w.thing("r", {
      desired: (s) => ({ a: s.a, b: s.b }),
      alreadyDone: (e) => e === done,
      // AWS takes one field per call (a database must start before it can be modified).
      update: async (_ctx, want, _live, changed) => {
        w.calls.push(`update r ${changed.join(",")}`);
        w.things.get("r")!.attrs[changed[0]!] = want[changed[0]!];
        if (first) { first = false; throw done; }
      },
    });
    w.put("r", { a: 1, b: 1 });
    const { result } = await w.up([r], { a: 2, b: 2 });
    assert.deepEqual(w.calls, ["update r a,b", "update r b"]);
    assert.deepEqual(w.said("r"), ["updating a, b", "updating already done (a retried call): looking again", "updating b", "done updated"]);
    assert.deepEqual(w.things.get("r")!.attrs, { a: 2, b: 2 });
    assert.deepEqual(statuses(result), { r: "done" });

    const v = new World();
    const r2 = v.thing("r", { alreadyDone: () => false, update: async () => { throw new UserError("not allowed"); } });
    v.put("r", { size: 1 });
    const failed = await v.up([r2], { r: 2 });
    assert.equal(failure(failed.result, "r")!.message, "not allowed", "a UserError is the user's to read as it is");
    assert.ok(failure(failed.result, "r") instanceof UserError);
  });

  it("updates in rounds until nothing differs, at most three", async () => {
    const w = new World();
    const stubborn = w.thing("r", { update: async () => { w.calls.push("update r"); } });
    w.put("r", { size: 1 });
    const { result } = await w.up([stubborn], { r: 2 });
    assert.deepEqual(w.calls, ["update r", "update r", "update r"]);
    assert.deepEqual(statuses(result), { r: "done" });
  });

  it("stops an update when AWS moved a field the plan does not change, or when the rest needs a replacement", async () => {
    const w = new World();
    const r = w.thing("r", {
      desired: (s) => ({ size: s.size ?? 1, other: "o", more: "m", zone: "a" }), replaceOn: ["zone"],
      update: async (_ctx, want) => { const t = w.things.get("r")!; t.attrs.size = want.size; t.attrs.other = "moved"; t.attrs.more = "moved"; },
    });
    w.put("r", { size: 1, other: "o", more: "m", zone: "a" });
    const { result } = await w.up([r], { size: 2 });
    assert.equal(failure(result, "r")!.message, "changed since the plan: r: other, more changed at AWS during the update; run plan again");

    const v = new World();
    const s = v.thing("r", {
      desired: (sp) => ({ size: sp.size ?? 1, zone: "a", az: "1" }), replaceOn: ["zone", "az"],
      update: async (_ctx, want) => { const t = v.things.get("r")!; t.attrs.size = want.size; t.attrs.zone = "b"; t.attrs.az = "2"; },
    });
    v.put("r", { size: 1, zone: "a", az: "1" });
    const { result: r2 } = await v.up([s], { size: 2 });
    assert.equal(failure(r2, "r")!.message, "r (r-1) differs in zone, az, which needs a replacement");
  });

  it("a wait ends with a message that says what to check: failed, or still pending at the deadline", async () => {
    const w = new World();
    const r = w.thing("r", { readyTimeoutMs: 5 * 60_000, readyMs: 60 * 60_000 });
    await w.clock.run(() => w.clock.sleep(1_000)); // the run starts at a later time than 0
    const { result } = await w.up([r], {});
    assert.equal(failure(result, "r")!.message, "r (r-1) is still starting after 5 min; check it in the AWS console, then run the command again");
    assert.equal(w.events.filter((e) => e.status === "failed")[0]!.elapsedMs, 5 * 60_000);

    const v = new World();
    const f = v.thing("r", { observe: async () => { const l = v.look("r"); return l && { ...l, state: "failed", why: "no capacity" }; } });
    const { result: r2 } = await v.up([f], {});
    assert.equal(failure(r2, "r")!.message, "r (r-1) failed: no capacity");

    // One that never shows up after its create (eventual consistency) is "not visible yet".
    const u = new World();
    const ghost = u.thing("r", { readyTimeoutMs: 60_000, create: async () => ({ id: "r-0", outputs: {} }) });
    const { result: r3 } = await u.up([ghost], {});
    assert.equal(failure(r3, "r")!.message, "r (r-0) is still not visible yet after 1 min; check it in the AWS console, then run the command again");
  });

  it("waits the default 15 minutes when a kind sets no deadline", async () => {
    const w = new World();
    const r = w.thing("r", { readyMs: 60 * 60_000 });
    const { result } = await w.up([r], {});
    assert.match(failure(result, "r")!.message, /is still starting after 15 min;/);
  });

  it("one being deleted (by hand) is planned as made again: apply waits until it is gone, then makes it and updates what reads it", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.up([p!, c!], {});
    const old = Object.assign(w.things.get("p")!, { state: "deleting", why: "deleting" });
    const observe = p!.observe;
    p!.observe = async (ctx, prior) => {
      if (w.clock.now() >= 60_000 && w.things.get("p") === old) w.things.delete("p");
      return observe(ctx, prior);
    };
    const { plan, result } = await w.up([p!, c!], {});
    assert.deepEqual(plan.changes.map((ch) => [ch.key, ch.action, ch.id]), [["p", "create", undefined], ["c", "update", "c-2"]]);
    assert.deepEqual(w.calls, ["create p", "update c parent"]);
    assert.deepEqual(w.said("p").slice(0, 2), ["waiting deleting", "waiting deleting"]);
    assert.ok(w.clock.now() >= 60_000, "made once the old one was gone");
    assert.equal(w.things.get("c")!.attrs.parent, "p-3");
    assert.deepEqual(statuses(result), { p: "done", c: "done" });
  });

  it("one found failed with nothing to change stops its branch with why, before anything that reads it", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.up([p!, c!], {});
    Object.assign(w.things.get("p")!, { state: "failed", why: "the certificate is EXPIRED" });
    const { result } = await w.up([p!, c!], { c: 2 });
    assert.equal(failure(result, "p")!.message, "p (p-1) failed: the certificate is EXPIRED");
    assert.deepEqual(statuses(result), { p: "failed", c: "skipped" });
    assert.deepEqual(w.calls, []);
  });

  it("an interrupt during a wait ends the run as interrupted, starting nothing more", async () => {
    const w = new World();
    const [p, c] = family(w, { readyMs: 60 * 60_000 });
    w.interruptAt("p", "waiting");
    const { result } = await w.up([p!, c!], {});
    assert.equal(result.interrupted, true);
    assert.ok(failure(result, "p") instanceof Interrupted);
    assert.equal(failure(result, "p")!.message, "interrupted", "what --json lists as its error");
    assert.deepEqual(statuses(result), { p: "failed", c: "skipped" });
    assert.deepEqual(w.calls, ["create p"]);
  });

  it("an update that must wait for its dependents (stopping a database the service uses) runs after them", async () => {
    const w = new World();
    const [p, c] = family(w, { afterDependents: (diffs) => diffs.some((d) => d.field === "size" && d.after === 0) });
    const g = w.thing("g", { desired: (s, ref) => ({ of: ref(c as Referable<{ id: string }>).id, size: s.g ?? 1 }) });
    await w.up([p!, c!, g], { p: 0 });
    assert.deepEqual(w.calls, ["create p", "create c", "create g"], "what is made is made first, whatever it would wait for");
    await w.up([p!, c!, g], { p: 1 });
    await w.up([p!, c!, g], { p: 0, c: 0, g: 0 });
    assert.deepEqual(w.calls, ["update c size", "update g size", "update p size"]);
    await w.up([p!, c!, g], { p: 2, c: 2, g: 2 });
    assert.deepEqual(w.calls, ["update p size", "update c size", "update g size"], "other updates go first, as usual");
  });

  it("deletes the extra copies a retried create left, dependents' first, and leaves one in use with a message", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.up([p!, c!], {});
    w.things.get("p")!.duplicates = [{ id: "p-8", state: "ready", attrs: {}, outputs: {} }];
    w.things.get("c")!.duplicates = [{ id: "c-9", state: "ready", attrs: {}, outputs: {} }];
    const { plan, result } = await w.up([p!, c!], {});
    assert.deepEqual(plan.changes.map((ch) => ch.duplicates), [["p-8"], ["c-9"]]);
    assert.deepEqual(w.calls, ["delete c-9", "delete p-8"]);
    assert.deepEqual(w.said("p"), ["deleting the duplicate p-8", "done deleted the duplicate p-8"]);
    assert.deepEqual(statuses(result), { p: "done", c: "done" });

    const inUse = new Error("DependencyViolation");
    p!.inUse = (e) => e === inUse;
    p!.delete = async () => { throw inUse; };
    const held = await w.up([p!, c!], {});
    assert.equal(failure(held.result, "p")!.message, "p: the extra copy p-8 this run made is in use (delete it: DependencyViolation): left in place; delete it by hand once nothing uses it");
    assert.equal(held.result.failures.length, 1);
  });

  it("a duplicate that must be waited out is waited out; one that fails to delete fails its resource", async () => {
    const w = new World();
    const r = w.thing("r", {
      waitUntilGone: true, typicalGoneMs: 30_000,
      delete: async (_ctx, live) => { w.calls.push(`delete ${live.id}`); },
      // The duplicate takes a while to go once deleted.
      observe: async (_ctx, prior) => (prior?.id !== "r-7" ? w.look("r") : w.clock.now() < 26_250 ? { id: "r-7", state: "deleting", why: "deleting", attrs: {}, outputs: {} } : undefined),
    });
    w.put("r", { size: 1 }, { duplicates: [{ id: "r-7", state: "ready", attrs: {}, outputs: {} }] });
    const { result } = await w.up([r], {});
    assert.deepEqual(statuses(result), { r: "done" });
    assert.deepEqual(w.calls, ["delete r-7"]);
    assert.deepEqual(w.said("r"), ["deleting the duplicate r-7", "waiting deleting", "waiting deleting", "waiting deleting", "done deleted the duplicate r-7"]);
    assert.equal(w.clock.now(), 26_250, "looked at 0, 15 s, 22.5 s and 26.25 s: half the usual time left each time");

    const v = new World();
    const bad = v.thing("r", { delete: async () => { throw new Error("denied"); } });
    v.put("r", { size: 1 }, { duplicates: [{ id: "r-7", state: "ready", attrs: {}, outputs: {} }] });
    const failed = await v.up([bad], {});
    assert.equal(failure(failed.result, "r")!.message, "delete the duplicate r-7 of r: denied");
  });

  it("stops at a resource missing from the plan", async () => {
    const w = new World();
    const r = w.thing("r");
    const plan: Plan = { mode: "up", changes: [] };
    await assert.rejects(w.clock.run(() => applyUp(w.ctx, {}, [r], plan, new Map())), /r is not in the plan: run plan again/);
  });
});

describe("apply: down", () => {
  it("deletes dependents first, with their extra copies, and clears the records", async () => {
    const w = new World();
    const [p, c] = family(w);
    const x = w.thing("x");
    await w.up([p!, c!, x], {});
    w.things.get("c")!.duplicates = [{ id: "c-8", state: "ready", attrs: {}, outputs: {} }];
    w.things.get("c")!.otherCopies = [{ id: "c-9", state: "ready", attrs: {}, outputs: {} }];
    w.things.delete("x"); // gone by hand: nothing to do, its record still goes
    const writes: string[] = [];
    const set = w.ctx.records.set;
    w.ctx.records.set = (k, v) => (writes.push(k), set(k, v));
    const y = w.thing("y"); // never made: nothing recorded to clear
    const { plan, result } = await w.down([p!, c!, x, y], {}, { meanwhile: () => { w.things.get("c")!.duplicates!.push({ id: "c-10", state: "ready", attrs: {}, outputs: {} }); } });
    assert.deepEqual(writes.sort(), ["c", "p", "x"]);
    assert.deepEqual(plan.changes.map((ch) => [ch.key, ch.duplicates]), [["c", ["c-8", "c-9"]], ["p", undefined]]);
    assert.deepEqual(w.calls, ["delete c-8", "delete c-9", "delete c-3", "delete p-1"]);
    assert.deepEqual([...w.records.keys()], []);
    assert.deepEqual([...result.applied], [["c", "delete"], ["p", "delete"]]);
    assert.deepEqual(statuses(result), { p: "done", c: "done", x: "done", y: "done" });
    assert.deepEqual(w.said("c"), ["deleting", "done deleted"]);
    assert.deepEqual(w.said("x"), []);
  });

  it("deletes only what the plan deletes (an up plan's leftovers)", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.up([p!, c!], {});
    const plan = planUp([p!, c!], {}, w.observed([p!, c!]));
    plan.changes[1] = { ...plan.changes[1]!, action: "delete", assumed: { id: "c-2", fields: {} } };
    w.calls.length = 0;
    const result = await w.clock.run(() => applyDown(w.ctx, {}, [p!, c!], plan));
    assert.deepEqual(w.calls, ["delete c-2"]);
    assert.deepEqual([...result.applied], [["c", "delete"]]);
  });

  it("one already gone is done; one replaced since the plan stops its branch", async () => {
    const w = new World();
    const [p, c] = family(w);
    await w.up([p!, c!], {});
    const { result } = await w.down([p!, c!], {}, { meanwhile: () => { w.things.delete("c"); } });
    assert.deepEqual(w.calls, ["delete p-1"]);
    assert.deepEqual(statuses(result), { p: "done", c: "done" });

    const v = new World();
    const [p2, c2] = family(v);
    await v.up([p2!, c2!], {});
    const { result: r2 } = await v.down([p2!, c2!], {}, { meanwhile: () => { v.things.get("c")!.id = "c-9"; } });
    assert.equal(failure(r2, "c")!.message, "changed since the plan: c is now c-9, not c-2; run plan again");
    assert.deepEqual(statuses(r2), { p: "skipped", c: "failed" });
    assert.deepEqual(v.said("c"), ["deleting", "failed changed since the plan: c is now c-9, not c-2; run plan again"]);
    assert.deepEqual([...r2.applied], []);
    assert.equal(v.records.get("c")!.id, "c-2");
  });

  it("a delete waited out ends its row with how long it took", async () => {
    const w = new World();
    const r = w.thing("r", { waitUntilGone: true, typicalGoneMs: 30_000, delete: async () => { w.calls.push("delete"); }, observe: async () => (w.clock.now() < 26_250 ? w.look("r") : undefined) });
    await w.up([r], {});
    await w.clock.run(() => w.clock.sleep(1_000)); // the down starts at a later time than 0
    const { result } = await w.down([r], {});
    assert.deepEqual(statuses(result), { r: "done" });
    assert.deepEqual(w.events.filter((e) => e.status === "done").map((e) => [e.message, e.elapsedMs]), [["deleted", 26_250]], "looked at 0, 15 s, 22.5 s and 26.25 s after it started");
  });

  it("a delete the service refuses fails in the describer's words", async () => {
    const w = new World();
    const r = w.thing("r", { delete: async () => { throw new Error("denied"); } });
    await w.up([r], {});
    const { result } = await w.down([r], {});
    assert.equal(failure(result, "r")!.message, "delete r: denied");
    assert.equal(w.records.get("r")!.id, "r-1", "what was not deleted stays recorded");
  });
});

describe("apply: deleting", () => {
  const inUse = new Error("in use");

  it("retries a delete while something still uses it, saying so, and gives up with AWS's refusal after 30 minutes", async () => {
    const w = new World();
    let tries = 0;
    const r = w.thing("r", { inUse: (e) => e === inUse, delete: async () => { tries++; throw inUse; } });
    const t = w.put("r", { size: 1 });
    await assert.rejects(w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!)), (e) => e === inUse);
    assert.equal(w.clock.now(), 30 * 60_000);
    assert.ok(tries > 100 && tries < 150, `${tries} tries`);
    assert.equal(w.said("r")[0], "retrying still in use, retrying");
    assert.equal(w.events.filter((e) => e.status === "retrying").length, 180, "a line every 10 s for 30 minutes");
    assert.ok(w.things.get("r") === t);
  });

  it("a delete freed after a while succeeds, and one refused for another reason fails at once", async () => {
    const w = new World();
    const r = w.thing("r", { inUse: (e) => e === inUse, delete: async () => { w.calls.push("delete"); if (w.clock.now() < 20_000) throw inUse; } });
    w.put("r", { size: 1 });
    await w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!));
    assert.deepEqual(w.calls.length, 5, "3 s, 4.5 s, 6.75 s, 10.1 s apart");
    assert.equal(w.clock.now(), 3_000 + 4_500 + 6_750 + 10_125);

    const v = new World();
    const other = new Error("denied");
    const s = v.thing("r", { inUse: (e) => e === inUse, delete: async () => { v.calls.push("delete"); throw other; } });
    v.put("r", { size: 1 });
    await assert.rejects(v.clock.run(() => deleteResource(v.ctx, {}, s, v.look("r")!)), (e) => e === other);
    assert.deepEqual(v.calls, ["delete"]);
  });

  it("a kind that needs no wait is deleted with no look after; one that does is looked at only while it is there", async () => {
    const w = new World();
    let looks = 0;
    const r = w.thing("r", { delete: async () => { w.calls.push("delete"); }, observe: async () => (looks++, w.look("r")) });
    w.put("r", { size: 1 });
    await w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!));
    assert.deepEqual([w.calls, looks], [["delete"], 0]);

    // Refused as in use, then found gone: nothing more to delete or wait for.
    const v = new World();
    let vLooks = 0;
    const s = v.thing("s", { waitUntilGone: true, inUse: () => true, delete: async () => { v.calls.push("delete"); throw new Error("in use"); }, observe: async () => (vLooks++, undefined) });
    v.put("s", { size: 1 });
    await v.clock.run(() => deleteResource(v.ctx, {}, s, v.look("s")!));
    assert.deepEqual([v.calls, vLooks], [["delete"], 1]);
  });

  it("waits a deleted resource out while AWS still shows it, even one that says it failed", async () => {
    const w = new World();
    const priors: (Stored | undefined)[] = [];
    const r = w.thing("r", {
      waitUntilGone: true,
      delete: async () => { w.calls.push("delete"); },
      observe: async (_ctx, prior) => (priors.push(prior), w.clock.now() < 5_000 ? w.look("r") : w.clock.now() < 9_500 ? { ...w.look("r")!, state: "failed", why: "stuck" } : undefined),
    });
    w.put("r", { size: 1 });
    await w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!));
    assert.deepEqual(w.said("r"), ["waiting being deleted"]);
    assert.equal(w.clock.now(), 9_500, "looked at 0, 2 s, 5 s and 9.5 s");
    assert.ok(priors.every((p) => p!.id === "r-1" && p!.outputs.name === "r"), "looked for by its id");
  });

  it("one already being deleted is only waited for, until gone", async () => {
    const w = new World();
    const r = w.thing("r", { waitUntilGone: true, typicalGoneMs: 60_000, typicalReadyMs: 1_000, observe: async () => (w.clock.now() < 52_500 ? w.look("r") : undefined) });
    w.put("r", { size: 1 }, { state: "deleting", why: "shutting down" });
    await w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!));
    assert.deepEqual(w.calls, []);
    assert.deepEqual(w.said("r"), Array<string>(6).fill("waiting shutting down"));
    assert.equal(w.clock.now(), 52_500, "looked at 0, 30 s, 45 s and 52.5 s: half the usual time to go left each time");
  });

  it("a kind that must be waited out is deleted and then waited for; an interrupt ends the wait", async () => {
    const w = new World();
    const r = w.thing("r", {
      waitUntilGone: true,
      delete: async (_ctx, live) => { w.calls.push(`delete ${live.id}`); w.things.get("r")!.state = "deleting"; (w.things.get("r") as { why?: string }).why = "deleting"; },
    });
    w.put("r", { size: 1 });
    w.interruptAt("r", "waiting");
    await assert.rejects(w.clock.run(() => deleteResource(w.ctx, {}, r, w.look("r")!)), Interrupted);
    assert.deepEqual(w.calls, ["delete r-1"]);
    assert.ok(w.said("r").includes("waiting deleting"));

    const v = new World();
    const s = v.thing("r", { inUse: (e) => e === inUse, delete: async () => { throw inUse; } });
    v.put("r", { size: 1 });
    v.interruptAt("r", "retrying");
    await assert.rejects(v.clock.run(() => deleteResource(v.ctx, {}, s, v.look("r")!)), Interrupted);
  });
});

describe("apply: waits", () => {
  it("sleeps half the time left while far from the usual length, then backs off from 2 s to 10 s", () => {
    const d = waitDelay(10 * 60_000);
    assert.equal(d(0, "x", 1), 30_000, "at most 30 s");
    assert.equal(d(9 * 60_000, "x", 5), 30_000);
    assert.equal(d(10 * 60_000 - 20_000, "x", 5), 10_000, "half of what is left");
    assert.equal(d(10 * 60_000 - 5_000, "x", 5), 2_500);
    assert.equal(d(10 * 60_000 - 4_000, "x", 2), 3_000, "near it: backing off");
    assert.equal(d(10 * 60_000, "x", 2), 3_000);
    assert.equal(d(20 * 60_000, "x", 9), 10_000);
  });
});
