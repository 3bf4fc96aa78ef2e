/**
 * The plan on its own (src/engine/plan.ts): pure functions of resources, a spec and what was observed. What
 * `plan` shows and `up` checks rests on these: each diff and its flags, values known only after apply, what a
 * plan assumes and how apply tells what moved, and the summaries the CLI prints and exits on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonical, changedFields, decide, diffAttrs, digest, hasChanges, hasDrift, leftAlone, masked, movedSince, planDown, planUp, refFrom,
  sensitiveValues, summarize, type Change, type Plan,
} from "../src/engine/plan.js";
import { UNKNOWN, type AnyResource, type EngineCtx, type Live, type Referable } from "../src/engine/types.js";

type Spec = Record<string, unknown>;
type Res = AnyResource<EngineCtx, Spec>;

/** A resource as the plan sees it: its key, what it wants, and its declared flags. */
const res = (key: string, desired: Res["desired"], extra: Partial<Res> = {}): Res => ({
  key, kind: "thing", title: () => `the ${key}`, desired, update: async () => {},
  observe: async () => undefined, create: async () => ({ id: "", outputs: {} }), delete: async () => {},
  ...extra,
});
const live = (id: string, attrs: Record<string, unknown>, more: Partial<Live> = {}): Live => ({ id, state: "ready", attrs, outputs: { id }, ...more }) as Live;

describe("plan: values", () => {
  it("compares values as data: key order never matters, a list is not an object", () => {
    assert.equal(canonical({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } }), '{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}');
    assert.notEqual(canonical([]), canonical({}));
    assert.notEqual(canonical(["a"]), canonical({ 0: "a" }));
    assert.equal(digest({ a: 1, b: 2 }), digest({ b: 2, a: 1 }));
    assert.notEqual(digest({ a: 1 }), digest({ a: 2 }));
    assert.notEqual(digest(undefined), digest(null));
    assert.notEqual(digest(undefined), digest("undefined"));
    assert.match(digest(undefined), /^[0-9a-f]{16}$/);
  });

  it("masks a marked secret wherever it sits, as is and URL-encoded, and leaves the rest", () => {
    const value = { url: "postgres://u:p@ss/w@h/db", enc: "postgres://u:p%40ss%2Fw@h/db", list: ["x", "p@ss/w"], n: 5, none: null };
    assert.deepEqual(masked(value, ["p@ss/w"]), { url: "postgres://u:(sensitive)@h/db", enc: "postgres://u:(sensitive)@h/db", list: ["x", "(sensitive)"], n: 5, none: null });
    assert.deepEqual(masked(value, []), value);
    assert.deepEqual(masked("a-b-a", ["a", "b"]), "(sensitive)-(sensitive)-(sensitive)");
  });

  it("collects the values of sensitive outputs that are known, for masking", () => {
    const db = res("db", () => ({}), { sensitive: ["password"] });
    const other = res("other", () => ({}));
    const later = res("later", () => ({}), { sensitive: ["token"] });
    const outputs: Record<string, Record<string, string>> = { db: { password: "hunter2", host: "h" }, other: { password: "not marked" }, later: {} };
    assert.deepEqual(sensitiveValues([db, other, later], (k) => outputs[k]), ["hunter2"]);
    assert.deepEqual(sensitiveValues([db], () => undefined), []);
  });

  it("reads a dependency's outputs when known, and UNKNOWN in every field otherwise", () => {
    const ref = refFrom(new Map([["vpc", { id: "vpc-1" }]]));
    assert.equal(ref({ key: "vpc" } as Referable<{ id: string }>).id, "vpc-1");
    assert.equal(ref({ key: "subnet" } as Referable<{ id: string; arn: string }>).arn, UNKNOWN);
  });
});

describe("plan: diffs and decisions", () => {
  const r = res("r", () => ({}), {
    replaceOn: ["zone"], downtimeOn: ["size"], fieldNotes: { size: "the instance restarts" }, leftAlone: { protection: "turned on by hand: left on" },
  });

  it("diffs objects key by key, sorted, and each diff carries its field's flags", () => {
    const want = { tags: { b: "2", a: "1", keep: "k" }, zone: "a", size: 2, protection: false, same: [1] };
    const have = { tags: { keep: "k", b: "1", gone: "x" }, zone: "b", size: 1, protection: true, same: [1] };
    assert.deepEqual(diffAttrs(r, want, have), [
      { field: "tags", path: "tags.a", before: undefined, after: "1" },
      { field: "tags", path: "tags.b", before: "1", after: "2" },
      { field: "tags", path: "tags.gone", before: "x", after: undefined },
      { field: "zone", path: "zone", before: "b", after: "a", forcesReplace: true },
      { field: "size", path: "size", before: 1, after: 2, downtime: true, note: "the instance restarts" },
      { field: "protection", path: "protection", before: true, after: false, leftAlone: "turned on by hand: left on" },
    ]);
    assert.deepEqual(diffAttrs(r, { tags: {} }, { tags: [] }), [{ field: "tags", path: "tags", before: [], after: {} }], "a list becoming an object is one change");
  });

  it("creates what is absent, replaces on a replacing field or a kind without update, updates otherwise", () => {
    assert.deepEqual(decide(r, { zone: "a", size: 1 }, undefined), { action: "create", diffs: [{ field: "zone", path: "zone", before: undefined, after: "a" }, { field: "size", path: "size", before: undefined, after: 1 }] });
    assert.equal(decide(r, { zone: "a", size: 2 }, live("r-1", { zone: "b", size: 1 })).action, "replace");
    assert.equal(decide(r, { zone: "a", size: 2 }, live("r-1", { zone: "a", size: 1 })).action, "update");
    const { update: _, ...noUpdate } = r;
    assert.equal(decide(noUpdate as Res, { zone: "a", size: 2 }, live("r-1", { zone: "a", size: 1 })).action, "replace");
    assert.deepEqual(decide(r, { zone: "a" }, live("r-1", { zone: "b" }, { assumedInSync: true })), { action: "noop", diffs: [] }, "state taken without AWS is assumed in sync");
  });

  it("drift left alone is shown but changes nothing, and is not an updated field", () => {
    const d = decide(r, { protection: false, size: 1 }, live("r-1", { protection: true, size: 1 }));
    assert.equal(d.action, "noop");
    assert.equal(d.diffs.length, 1);
    const both = decide(r, { protection: false, size: 2, tags: { a: "1", b: "2" } }, live("r-1", { protection: true, size: 1, tags: {} }));
    assert.equal(both.action, "update");
    assert.deepEqual(changedFields(both.diffs), ["size", "tags"], "each field once, none left alone");
  });
});

describe("plan: up", () => {
  const vpc = res("vpc", (s) => ({ cidr: s.cidr }), { replaceOn: ["cidr"] });
  const db = res("db", (_s, ref) => ({
    url: `postgres://${ref(vpc as Referable<{ id: string }>).id}/app`,
    // A field computed from an output: it cannot carry the marker, yet is not known either.
    hash: ref(vpc as Referable<{ id: string }>).id.length,
    size: 1,
  }), { stateful: true, sensitive: ["password"], refuse: (want, l) => (want.size < (l.attrs.size as number) ? "storage never shrinks" : undefined) });

  it("shows what depends on something still to be made as known after apply, keeping what is known of it", () => {
    const plan = planUp([db, vpc], { cidr: "10.0.0.0/16" }, new Map());
    assert.deepEqual(plan.changes.map((c) => [c.key, c.action]), [["vpc", "create"], ["db", "create"]]);
    assert.deepEqual(plan.changes[1]!.diffs.map((d) => [d.field, d.after]), [["url", `postgres://${UNKNOWN}/app`], ["hash", UNKNOWN], ["size", 1]]);
    assert.deepEqual(plan.changes[1]!.assumed, { fields: {}, afterApply: true });
    assert.deepEqual(plan.changes[1]!.planned, { url: null, hash: null, size: null }, "every value of one that reads an unknown is checked at apply, not by digest");
    assert.deepEqual(plan.changes[0]!.planned, { cidr: digest("10.0.0.0/16") });
    assert.deepEqual(plan.changes[0]!.assumed, { fields: {} });
    assert.equal(plan.changes[1]!.stateful, true);
    assert.equal(plan.changes[0]!.stateful, undefined);
  });

  it("reads the outputs of what it keeps or updates, busy or not; one still being made (an output not given yet), or replaced, is known only after apply", () => {
    const observed = new Map<string, Live>([["vpc", live("vpc-1", { cidr: "10.0.0.0/16" })], ["db", live("db-1", { url: "postgres://vpc-1/app", hash: 5, size: 1 })]]);
    const kept = planUp([vpc, db], { cidr: "10.0.0.0/16" }, observed);
    assert.deepEqual(kept.changes.map((c) => c.action), ["noop", "noop"]);
    assert.deepEqual(kept.changes[1]!.assumed, { id: "db-1", fields: { url: digest("postgres://vpc-1/app"), hash: digest(5), size: digest(1) } });
    assert.equal(hasChanges(kept), false);

    observed.set("vpc", live("vpc-1", { cidr: "10.0.0.0/16" }, { state: "pending", why: "creating", outputs: { id: "vpc-1", endpoint: "" } }));
    const pending = planUp([vpc, db], { cidr: "10.0.0.0/16" }, observed);
    assert.deepEqual(pending.changes.map((c) => c.action), ["noop", "update"]);
    assert.equal(pending.changes[1]!.assumed.afterApply, true);

    // Busy with a backup or a rollout, every output given: what reads it is in sync (no drift to report).
    observed.set("vpc", live("vpc-1", { cidr: "10.0.0.0/16" }, { state: "pending", why: "backing-up" }));
    assert.deepEqual(planUp([vpc, db], { cidr: "10.0.0.0/16" }, observed).changes.map((c) => c.action), ["noop", "noop"]);

    observed.set("vpc", live("vpc-1", { cidr: "10.0.0.0/16" }));
    const replaced = planUp([vpc, db], { cidr: "10.1.0.0/16" }, observed);
    assert.deepEqual(replaced.changes.map((c) => c.action), ["replace", "update"]);
    assert.deepEqual(replaced.changes[1]!.planned, { url: null, hash: null, size: null });
  });

  it("masks secrets in before and after, says so, and lists extra copies and what AWS would refuse", () => {
    const observed = new Map<string, Live>([
      ["vpc", live("vpc-1", { cidr: "10.0.0.0/16" })],
      ["db", live("db-1", { url: "postgres://old/app", hash: 5, size: 3 }, { duplicates: [live("db-2", {}), live("db-3", {})] })],
    ]);
    const plan = planUp([vpc, db], { cidr: "10.0.0.0/16" }, observed, ["vpc-1"]);
    const change = plan.changes[1]!;
    assert.deepEqual(change.diffs.map((d) => [d.field, d.before, d.after, d.sensitive]), [
      ["url", "postgres://old/app", "postgres://(sensitive)/app", true],
      ["size", 3, 1, undefined],
    ]);
    assert.equal(planUp([vpc, db], { cidr: "10.0.0.0/16" }, observed, ["old"]).changes[1]!.diffs[0]!.sensitive, true, "a secret only in what AWS has is masked too");
    assert.deepEqual(change.duplicates, ["db-2", "db-3"]);
    assert.equal(change.refused, "storage never shrinks");
    assert.equal(change.id, "db-1");
    const grumpy = res("vpc", (sp) => ({ cidr: sp.cidr }), { refuse: () => "never" });
    assert.equal(planUp([grumpy], { cidr: "10.0.0.0/16" }, observed).changes[0]!.refused, undefined, "nothing to refuse on a no-op");
    assert.equal(planUp([grumpy], { cidr: "10.9.0.0/16" }, observed).changes[0]!.refused, "never");
    assert.equal(plan.changes[0]!.duplicates, undefined);
    assert.deepEqual(summarize(plan), { create: 0, update: 1, replace: 0, delete: 2 });
  });

  it("assumes nothing of a resource taken from state without AWS", () => {
    const observed = new Map<string, Live>([["vpc", live("vpc-1", {}, { assumedInSync: true })]]);
    assert.deepEqual(planUp([vpc], { cidr: "x" }, observed).changes[0]!.assumed, { id: "vpc-1", fields: {} });
  });
});

describe("plan: what moved since", () => {
  const change = (assumed: Change["assumed"]) => ({ title: "the db", assumed });
  it("names what moved, in words", () => {
    const seen = { id: "db-1", fields: { size: digest(1), url: digest("u") } };
    assert.equal(movedSince(change(seen), live("db-1", { size: 1, url: "u" })), "");
    assert.equal(movedSince(change(seen), live("db-1", { size: 2, url: "v" })), "the db: size, url changed at AWS");
    assert.equal(movedSince(change(seen), live("db-2", { size: 1, url: "u" })), "the db is now db-2, not db-1");
    assert.equal(movedSince(change(seen), undefined), "the db (db-1) is gone");
    assert.equal(movedSince(change({ fields: {} }), live("db-7", {})), "the db now exists (db-7)");
    assert.equal(movedSince(change({ fields: {} }), undefined), "");
  });

  it("for one that depends on this run's outputs, checks fields only of the same one", () => {
    const seen = { id: "rec-1", fields: { value: digest("a") }, afterApply: true };
    assert.equal(movedSince(change(seen), undefined), "");
    assert.equal(movedSince(change(seen), live("rec-2", { value: "b" })), "");
    assert.equal(movedSince(change(seen), live("rec-1", { value: "b" })), "the db: value changed at AWS");
  });
});

describe("plan: down and summaries", () => {
  const vpc = res("vpc", () => ({}), { deleteTakes: "everything in it" });
  const subnet = res("subnet", (_s, ref) => ({ vpc: ref(vpc as Referable<{ id: string }>).id }), { stateful: true });
  const gone = res("gone", () => ({}));

  it("deletes every observed resource and its extra copies, dependents first", () => {
    const observed = new Map<string, Live | undefined>([
      ["vpc", live("vpc-1", {})],
      ["subnet", live("subnet-1", {}, { duplicates: [live("subnet-2", {})], otherCopies: [live("subnet-3", {})] })],
      ["gone", undefined],
    ]);
    const plan = planDown([vpc, subnet, gone], {}, observed);
    assert.deepEqual(plan, {
      mode: "down",
      changes: [
        { key: "subnet", kind: "thing", title: "the subnet", action: "delete", id: "subnet-1", diffs: [], assumed: { id: "subnet-1", fields: {} }, planned: {}, duplicates: ["subnet-2", "subnet-3"], stateful: true },
        { key: "vpc", kind: "thing", title: "the vpc", action: "delete", id: "vpc-1", diffs: [], assumed: { id: "vpc-1", fields: {} }, planned: {}, takes: "everything in it" },
      ],
    });
    assert.deepEqual(summarize(plan), { create: 0, update: 0, replace: 0, delete: 4 });
    assert.equal(hasChanges(plan), true);
  });

  it("counts each action; drift left alone is drift, not a change", () => {
    const ch = (action: Change["action"], more: Partial<Change> = {}): Change => ({ key: action, kind: "t", title: action, action, diffs: [], assumed: { fields: {} }, planned: {}, ...more });
    const kept = { field: "p", path: "p", before: true, after: false, leftAlone: "by hand" };
    const plan: Plan = { mode: "up", changes: [ch("create"), ch("update"), ch("update"), ch("replace", { diffs: [kept] }), ch("noop")] };
    assert.deepEqual(summarize(plan), { create: 1, update: 2, replace: 1, delete: 0 });
    const quiet: Plan = { mode: "up", changes: [ch("noop", { diffs: [kept] })] };
    assert.equal(hasChanges(quiet), false);
    assert.equal(hasDrift(quiet), true);
    assert.deepEqual(leftAlone(quiet).map(({ change, diff }) => [change.key, diff.path]), [["noop", "p"]]);
    assert.deepEqual(leftAlone(plan), [], "a replacement's drift goes with the old copy");
    const updating: Plan = { mode: "up", changes: [ch("update", { diffs: [kept, { field: "s", path: "s", before: 1, after: 2 }] })] };
    assert.deepEqual(leftAlone(updating).map(({ diff }) => diff.path), ["p"]);
    assert.equal(hasDrift({ mode: "up", changes: [ch("noop")] }), false);
    assert.equal(hasChanges({ mode: "up", changes: [ch("noop", { duplicates: ["x-2"] })] }), true, "an extra copy to delete is a change");
    assert.equal(hasDrift({ mode: "up", changes: [ch("create")] }), true);
  });
});
