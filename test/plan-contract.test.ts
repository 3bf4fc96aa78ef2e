/**
 * The plan is the contract (Terraform's "inconsistent final plan" check): `up` applies the plan it showed and
 * nothing else. A property test over random spec edits with the world changed by hand between plan and apply,
 * and saved plans (`plan --out`, `up --plan`): a round trip, and refusals once something moved.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { APP, withHarness, type Harness, type HarnessSnapshot } from "./helpers.js";

const EDITS: Record<string, object> = {
  "app.debug": { app: { debug: false } },
  "app.desiredCount": { app: { desiredCount: 2 } },
  "logs.retentionDays": { logs: { retentionDays: 14 } },
  "database.backupRetentionDays": { database: { backupRetentionDays: 3 } },
  "network.publicSubnets": { network: { publicSubnets: ["10.0.3.0/24", "10.0.2.0/24"] } },
  tags: { tags: { team: "api" } },
  "app.healthCheck": { app: { healthCheck: { intervalSeconds: 15, timeoutSeconds: 4, healthyThreshold: 3, unhealthyThreshold: 3 } } },
};

/** Changes made by hand at AWS, each to one resource, and how to tell it is still there. */
const INJECTIONS: Record<string, { key: string; make(h: Harness): void; holds(h: Harness): boolean }> = {
  "log retention": {
    key: "log-group",
    make: (h) => { h.fake.logs.groups.get(`/ecs/${APP}`)!.retention = 365; },
    holds: (h) => h.fake.logs.groups.get(`/ecs/${APP}`)?.retention === 365,
  },
  "RDS group open to the world": {
    key: "sg-rds",
    make: (h) => { rdsGroup(h).rules.push({ protocol: "tcp", from: 5432, to: 5432, kind: "IpRanges", source: "0.0.0.0/0" }); },
    holds: (h) => rdsGroup(h).rules.some((r: { source: string }) => r.source === "0.0.0.0/0"),
  },
  "service scaled": {
    key: "ecs-service",
    make: (h) => { [...h.fake.ecs.services.values()][0].desiredCount = 3; },
    holds: (h) => [...h.fake.ecs.services.values()][0].desiredCount === 3,
  },
  "subnet renamed": {
    key: "subnet-public-b",
    make: (h) => { publicB(h).tags.Name = "renamed by hand"; },
    holds: (h) => publicB(h).tags.Name === "renamed by hand",
  },
};
const rdsGroup = (h: Harness) => [...h.fake.ec2.sgs.values()].find((g) => g.name === `${APP}-sg-rds`)!;
const publicB = (h: Harness) => [...h.fake.ec2.subnets.values()].find((s) => s.tags["spontime:resource"] === "subnet-public-b")!;

type PlanJson = { changes: { key: string; title: string; action: string }[]; applied: Record<string, string> };

/** A deployed stack (the service runs, so every field is live), built once. */
async function deployedStack(): Promise<HarnessSnapshot> {
  return withHarness(async (h) => {
    await h.up();
    await h.deploy("v1");
    return h.snapshot();
  });
}

/** A small seeded generator (mulberry32): a failing case names its seed and can be run again. */
function random(seed: number) {
  let a = seed;
  return <T>(items: readonly T[]): T => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return items[(((t ^ (t >>> 14)) >>> 0) % items.length)]!;
  };
}

/**
 * Doing less than the plan is allowed (a value known only after apply turned out unchanged, or the old copy of
 * a replacement went with what it belonged to); never more.
 */
const WITHIN: Record<string, string[]> = { create: ["create"], update: ["update"], replace: ["update", "replace", "create"], delete: ["delete"] };

describe("apply runs the confirmed plan", () => {
  const seed = Number(process.env.PLAN_SEED ?? 26);
  it(`random spec edits, the world changed by hand between plan and apply: only planned work, or "changed since the plan" (seed ${seed})`, async () => {
    const built = await deployedStack();
    const pick = random(seed);
    const seen = { stopped: 0, finished: 0 };
    for (let i = 0; i < 10; i++) {
      const edit = pick(Object.keys(EDITS));
      const injection = pick(Object.keys(INJECTIONS));
      const what = `case ${i} (seed ${seed}): ${edit}, then ${injection}`;
      await withHarness(async (h) => {
        const spec = join(h.dir, "spec.json");
        writeFileSync(spec, JSON.stringify(EDITS[edit]));
        // The preflight runs after the plan is shown and before apply: where a person reads the plan.
        let injected = false;
        h.fake.onCall = (op) => {
          if (op === "SimulatePrincipalPolicy" && !injected) INJECTIONS[injection]!.make(h), (injected = true);
        };
        const up = await h.cli(["up", "--yes", "--json", "--config", spec]);
        h.fake.onCall = undefined;
        assert.ok(injected, `${what}: the world changed between plan and apply`);
        const out = JSON.parse(up.stdout) as PlanJson;
        const planned = new Map(out.changes.filter((c) => c.action !== "noop").map((c) => [c.key, c]));
        for (const [key, action] of Object.entries(out.applied)) {
          assert.ok(WITHIN[planned.get(key)?.action ?? "noop"]?.includes(action), `${what}: ${key} was ${action}d, the plan said ${planned.get(key)?.action ?? "nothing"}`);
        }
        assert.ok(INJECTIONS[injection]!.holds(h), `${what}: the change made by hand was not undone`);
        const touched = planned.get(INJECTIONS[injection]!.key);
        if (touched) {
          assert.equal(up.code, 1, `${what}: stops`);
          assert.ok(up.stderr.includes(`changed since the plan: ${touched.title}`), `${what}: names the resource that moved:\n${up.stderr}`);
          assert.match(up.stderr, /run plan again/);
          assert.ok(!(INJECTIONS[injection]!.key in out.applied), `${what}: the moved resource is left alone`);
          seen.stopped++;
        } else {
          assert.equal(up.code, 0, `${what}: the plan did not touch what moved:\n${up.stderr}`);
          assert.deepEqual(out.applied, Object.fromEntries([...planned].map(([k, c]) => [k, c.action])), `${what}: all of the plan was applied`);
          seen.finished++;
        }
      }, {}, built);
    }
    assert.ok(seen.stopped > 0 && seen.finished > 0, `both outcomes were tried: ${JSON.stringify(seen)}`);
  });
});

describe("saved plans (plan --out, up --plan)", () => {
  const savePlan = async (h: Harness, edit: object) => {
    const spec = h.writeSpec(edit);
    const file = join(h.dir, "plan.json");
    const r = await h.cli(["plan", "--out", file, "--config", spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Saved the plan to .*plan\.json/);
    return { spec, file };
  };

  it("round trip: the saved plan holds no secret, applies exactly, and applies once", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      const { spec, file } = await savePlan(h, { app: { debug: false } });
      const text = readFileSync(file, "utf8");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const { dbPassword, secretKey } = h.state().resources.secrets!.outputs;
      assert.ok(dbPassword && secretKey);
      for (const secret of [dbPassword!, secretKey!, encodeURIComponent(dbPassword!)]) assert.ok(!text.includes(secret), "no secret in the saved plan");
      const saved = JSON.parse(text) as { plan: { changes: { key: string; action: string }[] } };
      const planned = Object.fromEntries(saved.plan.changes.filter((c) => c.action !== "noop").map((c) => [c.key, c.action]));
      assert.deepEqual(planned, { "task-definition": "replace", "ecs-service": "update" });

      const up = await h.cli(["up", "--plan", file, "--json", "--config", spec]);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(JSON.parse(up.stdout).applied, planned);
      assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", spec])).code, 0, "converged");

      h.resetCalls();
      const again = await h.cli(["up", "--plan", file, "--config", spec]);
      assert.equal(again.code, 4, "a plan applies once: the state moved on");
      assert.match(again.stderr, /the saved plan .*plan\.json is stale: the state file changed \(serial \d+, now \d+\)/);
      assert.deepEqual(h.fake.mutatingCalls(), []);
    });
  });

  it("refused, with what moved and exit 4, after a change at AWS or to the spec; nothing is changed", async () => {
    await withHarness(async (h) => {
      await h.up();
      const { spec, file } = await savePlan(h, { logs: { retentionDays: 14 } });
      [...h.fake.ecs.services.values()][0].desiredCount = 3;
      h.resetCalls();
      const moved = await h.cli(["up", "--plan", file, "--json", "--config", spec]);
      assert.equal(moved.code, 4, moved.stderr);
      assert.match(moved.stderr, /is stale: ECS service spontime-poc .*: desiredCount changed at AWS/);
      assert.deepEqual(JSON.parse(moved.stdout).error.code, "StalePlan");
      assert.deepEqual(h.fake.mutatingCalls(), [], "nothing changed");

      const other = h.writeSpec({ logs: { retentionDays: 30 } });
      const respecced = await h.cli(["up", "--plan", file, "--config", other]);
      assert.equal(respecced.code, 4);
      assert.match(respecced.stderr, /is stale: the spec changed/);

      writeFileSync(file, "{}");
      const bad = await h.cli(["up", "--plan", file, "--config", spec]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /is not a plan saved by `spontime-infra plan --out`/);
    });
  });
});
