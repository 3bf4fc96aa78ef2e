/**
 * The fake is an independent witness: it holds its own rules (Fargate sizes, CIDRs, which calls change the
 * account) instead of borrowing the product's, so a mistake in the product's rules shows up as a failure.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CallStats } from "../src/aws/clients.js";
import { SpecSchema, type Spec } from "../src/config/schema.js";
import { Stack } from "../src/stack/stack.js";
import { APP, withHarness, type Harness } from "./helpers.js";

const FAKE_DIR = new URL("../../test/fake/", import.meta.url).pathname;

describe("the fake is an independent witness", () => {
  it("nothing under test/fake imports from src/ except types", () => {
    const files = readdirSync(FAKE_DIR).filter((f) => f.endsWith(".ts"));
    assert.ok(files.length >= 8, `the fake's files: ${files.join(", ")}`);
    const valueImports = files.flatMap((f) => [...readFileSync(join(FAKE_DIR, f), "utf8").matchAll(/^(import|export)\s+(?!type\b)[^;]*?from\s+"(\.\.\/)+src\/[^"]+"/gm)].map((m) => `${f}: ${m[0]}`));
    assert.deepEqual(valueImports, []);
  });

  it("refuses a Fargate cpu/memory pair the spec's own check would have caught, when that check is bypassed", async () => {
    await withHarness(async (h) => {
      const valid = SpecSchema.parse({});
      // What a product without its Fargate table (or with a wrong one) would send: 256 cpu units with 4 GiB.
      const spec: Spec = { ...valid, app: { ...valid.app, cpu: 256, memory: 4096 } };
      assert.equal(SpecSchema.safeParse(spec).success, false, "the product's schema refuses this pair");
      const session = new Stack({ spec, stateDir: h.stateDir, clock: h.clock, env: process.env });
      const result = await h.clock.run(async () => { await session.connect(); const observed = await session.observe(); return session.applyUp(session.plan(observed, "up"), observed); });
      const failure = result.failures.find((f) => f.key === "task-definition");
      assert.ok(failure, `the task definition failed: ${result.failures.map((f) => f.key).join(", ")}`);
      assert.match(String((failure.error as Error).message), /No Fargate configuration exists for given values/);
      assert.equal(h.fake.ecs.taskDefs.size, 0, "nothing registered");
    });
  });

  it("counts mutating calls by its own list: with the product's predicate saying false, a 'zero mutating calls' check still fails", async () => {
    await withHarness(async (h) => {
      const record = Object.getOwnPropertyDescriptor(CallStats.prototype, "record")!;
      // The product's accounting with `isMutating = () => false`: every call counted, none as mutating.
      Object.defineProperty(CallStats.prototype, "record", {
        configurable: true,
        value(this: CallStats, op: string) { this.total++; this.byOperation.set(op, (this.byOperation.get(op) ?? 0) + 1); },
      });
      let reported: number;
      try {
        const r = await h.cli(["up", "--yes", "--json"]);
        assert.equal(r.code, 0, r.stderr);
        reported = (JSON.parse(r.stdout) as { calls: { mutating: number } }).calls.mutating;
      } finally {
        Object.defineProperty(CallStats.prototype, "record", record);
      }
      assert.equal(reported, 0, "the patched product reports no mutating call");
      assert.throws(() => assert.deepEqual(h.fake.mutatingCalls(), []), "the fake still sees every create");
      assert.ok(h.fake.mutatingCalls().length > 30);
    });
  });

  it("agrees with the product's count of mutating calls on an unpatched up and down (two predicates, one answer)", async () => {
    await withHarness(async (h: Harness) => {
      for (const argv of [["up", "--yes", "--json"], ["down", "--yes", "--skip-final-snapshot", "--json"]]) {
        h.resetCalls();
        const r = await h.cli(argv);
        assert.equal(r.code, 0, r.stderr);
        const reported = (JSON.parse(r.stdout) as { calls: { total: number; mutating: number } }).calls;
        // The run's claim on the stack is its bookkeeping, made by a client of its own (as the state lock's): not in the stack's counts.
        assert.equal(reported.total, h.fake.calls.length - h.fake.claimCalls().length, `${argv[0]}: every call reached the fake`);
        assert.ok(h.fake.claimCalls().length >= 3, "the claim was taken and given up");
        assert.equal(reported.mutating, h.fake.mutatingCalls().length, `${argv[0]}: ${h.fake.calls.map((c) => c.op).join(" ")}`);
      }
    });
  });
});

describe("snapshots of the fake account", () => {
  it("a copy taken after up holds the same stack and state file, apart from the original, and up there changes nothing", async () => {
    const { snap, tagged } = await withHarness(async (h) => {
      await h.up();
      return { snap: h.snapshot(), tagged: h.fake.taggedResources(APP) };
    });
    assert.ok(Object.keys(snap.files).includes(`${APP}.json`), "the state file is part of the snapshot");
    await withHarness(async (copy) => {
      assert.deepEqual(copy.fake.taggedResources(APP), tagged);
      copy.fake.ec2.vpcs.clear();
      assert.equal(snap.fake.state.ec2.vpcs.size, 1, "the snapshot is not shared with the copy");
    }, {}, snap);
    await withHarness(async (copy) => {
      assert.equal(copy.clock.now(), snap.fake.at, "time goes on from the snapshot's");
      await copy.up();
      assert.deepEqual(copy.fake.mutatingCalls().map((c) => c.op), []);
    }, {}, snap);
  });
});
