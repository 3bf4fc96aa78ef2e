/**
 * Issue 28 item 4: `up` shows the plan and what it changes in the monthly bill, then asks, on a terminal; `--yes`
 * skips the question, and without a terminal `--yes` is required. An `up` with nothing to do never asks.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const QUESTION = /Apply the plan above\? Type "yes" to continue: /;

/**
 * The seed stack at the list prices of /work/shared/guide/aws-facts.md, by hand: ALB $16.43, its 2 IPv4
 * $7.30, the task's IPv4 $3.65, Fargate 0.25 vCPU + 0.5 GB $9.01, RDS db.t4g.micro $11.68, 20 GB gp2 $2.30.
 */
const SEED_MONTHLY = 50.37;
/** Fargate x86 0.5 vCPU + 1 GB: (0.5 × 0.04048 + 1 × 0.004445) × 730 h = $18.02, $9.01 more than the seed's task. */
const BIGGER_TASK_MORE = 9.01;

describe("up asks before it changes anything (issue 28 item 4)", () => {
  it("on a terminal, a first up shows the plan and the monthly cost change ($0 → ~$50), then asks; 'no' creates nothing", async () => {
    const r = await h.cli(["up"], { tty: true, input: "no\n" });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Plan: 22 to create, 0 to update/);
    assert.match(r.stdout, /^Monthly cost: \$0 → ~\$50 \(\+\$50\) before usage \(us-east-1 list prices, 2026; `spontime-infra cost` itemises it\)\.$/m);
    assert.ok(r.stdout.indexOf("Plan: 22 to create") < r.stdout.indexOf("Monthly cost:"), "the cost change follows the plan");
    assert.match(r.stderr, QUESTION);
    assert.match(r.stderr, /Cancelled\. Nothing changed\./);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
    assert.deepEqual(h.fake.taggedResources("spontime-poc"), []);

    const yes = await h.cli(["up"], { tty: true, input: "yes\n" });
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stderr, QUESTION);
    assert.match(yes.stderr, /Done\./);
    assert.equal(h.fake.count("CreateDBInstance"), 1);
  });

  it("without a terminal, an up with changes refuses without --yes (exit 2, nothing changed), even when nothing is risky", async () => {
    const r = await h.cli(["up"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /refusing to create or change the stack unasked: no terminal to ask for confirmation/);
    assert.match(r.stderr, /--yes/);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);

    const json = await h.cli(["up", "--json"]);
    assert.equal(json.code, 2);
    assert.match(JSON.parse(json.stdout).error.message, /no terminal to ask/);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
  });

  it("--yes skips the question, on a terminal too", async () => {
    const r = await h.cli(["up", "--yes"], { tty: true });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Type "yes"/);
    assert.match(r.stdout, /Monthly cost: \$0 → ~\$50 \(\+\$50\)/, "said with --yes too");
    assert.equal(h.fake.count("CreateDBInstance"), 1);
  });

  it("an up with nothing to do neither asks nor needs --yes, and makes no mutating call", async () => {
    await h.up();
    h.resetCalls();
    for (const tty of [true, false]) {
      const r = await h.cli(["up"], { tty });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /Type "yes"|no terminal/);
      assert.doesNotMatch(r.stdout, /Monthly cost/);
      assert.match(r.stderr, /No changes: the stack matches the spec\./);
    }
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
  });

  it("a bigger task shows what it adds to the bill, in text, in plan --json and in up --json (to the cent)", async () => {
    const first = JSON.parse((await h.cli(["up", "--yes", "--json"])).stdout);
    assert.deepEqual(first.cost, { monthlyBefore: 0, monthlyAfter: SEED_MONTHLY, monthlyChange: SEED_MONTHLY, pricesFrom: "us-east-1 list prices, 2026" });
    const bigger = ["--config", h.writeSpec({ app: { cpu: 512, memory: 1024 } })];
    const plan = await h.cli(["plan", ...bigger]);
    assert.match(plan.stdout, /Monthly cost: ~\$50 → ~\$59 \(\+\$9\)/);
    assert.equal(JSON.parse((await h.cli(["plan", "--json", ...bigger])).stdout).cost.monthlyChange, BIGGER_TASK_MORE);
    const asked = await h.cli(["up", ...bigger], { tty: true, input: "no\n" });
    assert.match(asked.stdout, /Monthly cost: ~\$50 → ~\$59 \(\+\$9\)/);
    assert.match(asked.stderr, QUESTION);
    const up = JSON.parse((await h.cli(["up", "--yes", "--json", ...bigger])).stdout);
    assert.equal(up.outcome, "ok");
    assert.deepEqual(up.cost, { monthlyBefore: SEED_MONTHLY, monthlyAfter: 59.38, monthlyChange: BIGGER_TASK_MORE, pricesFrom: "us-east-1 list prices, 2026" });
  });

  it("a risky change still says what it deletes, replaces or stops, in the same question", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["up", "--config", h.writeSpec({ database: { name: "other" } })], { tty: true, input: "no\n" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /This replaces RDS PostgreSQL .* \(data is lost\)\. Apply the plan above\? Type "yes" to continue: /);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
  });
});
