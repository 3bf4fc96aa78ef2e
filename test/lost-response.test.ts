import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertConverged, builtStack, kinds, mutationsOf } from "./convergence.js";
import { APP, withHarness, type Harness } from "./helpers.js";

// Counted one after the other: two fakes installed at once would answer each other's calls.
const upCalls = await mutationsOf([["up", "--yes"]]);
const downCalls = await mutationsOf([["up", "--yes"], ["down", "--yes"]]);

/**
 * `up` (with `config`, if given) with the answer of its k-th mutating call lost: one run, exit 0, converged (the
 * default stack's check unless `converged` is given); a further `up` changes nothing.
 */
async function upConvergesWithAnswerLost(h: Harness, k: number, what: string, o: { config?: string; converged?: (context: string) => void } = {}): Promise<void> {
  const args = o.config ? ["--config", o.config] : [];
  const context = `answer of ${what} ${k} lost`;
  h.fake.loseResponse(k);
  const r = await h.cli(["up", "--yes", ...args]);
  assert.equal(r.code, 0, `${context}: ${r.stderr}`);
  (o.converged ?? ((c: string) => assertConverged(h, c)))(context);
  h.resetCalls();
  await h.up(...args);
  assert.deepEqual(h.fake.mutatingCalls(), [], `${context}: a further up changes nothing`);
}

describe("a lost response at every mutating call", () => {
  it(`up from empty: the answer of each of the ${upCalls} calls lost and the call retried: one run, exit 0, one of each resource`, async () => {
    for (let k = 1; k <= upCalls; k++) {
      await withHarness((h) => upConvergesWithAnswerLost(h, k, "call"));
    }
  });

  it("every optional kind added to a running stack (a schedule; https, its Route 53 zone and records): the answer of each operation's first call lost, the call retried", async () => {
    const built = await builtStack();
    const optional = (h: Harness) => {
      h.fake.createHostedZone("example.com");
      return h.writeSpec({ https: { domain: "api.example.com" }, schedule: { awake: "Mon-Sun 00:00-12:00", timezone: "Europe/Paris" } });
    };
    // What AWS keeps no tags on is counted apart: Route 53 records, EventBridge schedules.
    const inventory = (h: Harness) => [...kinds(h), ...[...h.fake.route53.zones.values()].flatMap((z) => z.records.map((r) => `record ${r.Type} ${r.Name}`)).sort(),
      ...[...h.fake.scheduler.schedules.keys()].map((name) => `schedule ${name}`).sort()];
    // The first call of each operation (its 36 CreateSchedule calls are sent by one loop).
    let calls: number[] = [];
    let whole: string[] = [];
    await withHarness(async (h) => {
      await h.up("--config", optional(h));
      const ops = h.fake.mutatingCalls().map((c) => c.op);
      calls = ops.flatMap((op, i) => (ops.indexOf(op) === i ? [i + 1] : []));
      whole = inventory(h);
    }, {}, built);
    assert.ok(["scheduler:schedule-group", "acm:certificate", "record CNAME", "record A", "schedule"].every((k) => whole.some((w) => w.startsWith(k))), whole.join(" "));
    for (const k of calls) {
      await withHarness((h) => upConvergesWithAnswerLost(h, k, "call", {
        config: optional(h), converged: (context) => assert.deepEqual(inventory(h), whole, `${context}: one of each resource`),
      }), {}, built);
    }
  });

  it(`down: the answer of each of the ${downCalls} calls lost and the call retried: one run, exit 0, nothing left`, async () => {
    const built = await builtStack();
    for (let k = 1; k <= downCalls; k++) {
      await withHarness(async (h) => {
        h.fake.loseResponse(k);
        const r = await h.cli(["down", "--yes"]);
        assert.equal(r.code, 0, `answer of call ${k} lost: ${r.stderr}`);
        assert.deepEqual(h.fake.taggedResources(APP), [], `answer of call ${k} lost`);
      }, {}, built);
    }
  });
});

/** Changes made by hand that each make `up` send a different repair (update) call. */
function driftEverything(h: Harness): void {
  const sgs = [...h.fake.ec2.sgs.values()];
  const group = (name: string) => sgs.find((g) => g.name === `${APP}-${name}`)!;
  group("sg-rds").rules.push({ protocol: "tcp", from: 5432, to: 5432, kind: "IpRanges", source: "0.0.0.0/0" }); // Revoke
  group("sg-alb").rules = []; // Authorize
  const table = [...h.fake.ec2.routeTables.values()].find((t) => t.tags["spontime:stack"] === APP)!;
  table.routes = table.routes.filter((r) => r.dest !== "0.0.0.0/0"); // CreateRoute
  table.associations.delete([...table.associations.keys()][0]!); // AssociateRouteTable
  h.fake.logs.groups.get(`/ecs/${APP}`)!.retention = 365; // PutRetentionPolicy
  [...h.fake.ecs.services.values()][0]!.desiredCount = 3; // UpdateService
  delete [...h.fake.ec2.subnets.values()][0]!.tags["spontime:resource"]; // CreateTags
  for (const role of h.fake.iam.roles.values()) role.policies.clear(); // AttachRolePolicy
  for (const tg of h.fake.elb.tgs.values()) tg.healthCheckPath = "/"; // ModifyTargetGroup
  h.fake.rds.instances.get(`${APP}-db`)!.backup = 7; // ModifyDBInstance: its retry finds the instance `modifying`
}

describe("a lost response during drift repairs (updates)", () => {
  it("every repair call's answer lost and the call retried (\"already there\", \"not found\"): one run, exit 0, the drift repaired, no duplicate", async () => {
    const built = await builtStack();
    let repairs = 0;
    await withHarness(async (h) => {
      driftEverything(h);
      h.resetCalls();
      await h.up();
      repairs = h.fake.mutatingCalls().length;
      assert.ok(["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress", "CreateRoute", "AssociateRouteTable"].every((op) => h.fake.count(op) === 1), "each repair made");
    }, {}, built);
    for (let k = 1; k <= repairs; k++) {
      await withHarness((h) => {
        driftEverything(h);
        return upConvergesWithAnswerLost(h, k, "repair");
      }, {}, built);
    }
  });
});
