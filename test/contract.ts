/**
 * The contract suite: what `up`, `down` and the reconciler promise, written once and run against any AWS
 * that speaks the API: the offline fake in `npm test` (contract.test.ts) and the moto emulator in
 * `npm run test:e2e` (e2e/moto.ts). A target says how to run the CLI, what is tagged for the stack and how
 * many mutating calls a run made; where an emulator differs from AWS, its target says so in
 * e2e/emulator-gaps.ts, never the product.
 */
import assert from "node:assert/strict";
import { AuthorizeSecurityGroupIngressCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CloudWatchLogsClient, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import { RESOURCES } from "../src/stack/resources.js";

export const APP = "spontime-poc";

export interface CliRun { code: number | null; stdout: string; stderr: string }
export interface Clients { ec2: EC2Client; logs: CloudWatchLogsClient }

export interface ContractTarget {
  /** Runs `spontime-infra <argv>` against this target, with its own state directory. */
  cli(argv: string[]): Promise<CliRun>;
  /** How many mutating AWS calls `run` (the last `cli`) made, as this target can best tell. */
  mutatingCalls(run: CliRun): number;
  /** One entry per live resource tagged `spontime:stack=<APP>`, named by its kind (see FULL_STACK), sorted. */
  tagged(): Promise<string[]>;
  /** Runs SDK calls against this target, e.g. to change something behind the tool's back. */
  aws<T>(fn: (clients: Clients) => Promise<T>): Promise<T>;
  /** The state file is lost (a new laptop, a CI runner without the artifact). */
  deleteStateFile(): void;
  /**
   * Fields this target never reports in a describe, by resource key (an emulator's gap, listed with its source):
   * the product sees them as drift and sends them again on every `up`, one update per such resource.
   */
  unreported: Record<string, string[]>;
}

/** The resources whose only drift is in fields the target does not report: what `up` may update on it. */
export function unreportedDrift(t: ContractTarget, rows: { key: string; sync: string; fields: string[] }[]): string[] {
  const drifted = rows.filter((x) => x.sync !== "in sync");
  const unexplained = drifted.filter((x) => !x.fields.every((f) => t.unreported[x.key]?.includes(f.split(".")[0]!)));
  assert.deepEqual(unexplained, [], "nothing drifts but what the target does not report");
  return drifted.map((x) => x.key);
}

/** The default stack, one entry per resource AWS tags, by its kind: the registry is the one inventory. */
export const FULL_STACK = RESOURCES.filter((r) => r.tagging !== "none").map((r) => r.kind).sort();

/** An inventory entry (`<service>:<resource type>:<id>`) as its kind: `ec2:security-group:sg-1` → `ec2:security-group`. */
export const kindOf = (entry: string) => entry.split(":").slice(0, 2).join(":");

export interface Scenario { name: string; run(target: ContractTarget): Promise<void> }

const ok = (r: CliRun, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}`);
const json = (r: CliRun) => JSON.parse(r.stdout) as { outcome: string; summary: Record<string, number> };

async function rdsGroup(c: Clients) {
  const out = await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:spontime:stack", Values: [APP] }, { Name: "tag:spontime:resource", Values: ["sg-rds"] }] }));
  assert.equal(out.SecurityGroups?.length, 1, "one RDS security group tagged for the stack");
  return out.SecurityGroups![0]!;
}
const openToWorld = (g: Awaited<ReturnType<typeof rdsGroup>>) => (g.IpPermissions ?? []).some((p) => p.IpRanges?.some((r) => r.CidrIp === "0.0.0.0/0"));
const retention = async (c: Clients) => (await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/ecs/${APP}` }))).logGroups?.[0]?.retentionInDays;

/** In order, on one account: each scenario starts where the previous one left the stack. */
export const SCENARIOS: Scenario[] = [
  {
    name: "up from empty creates one of each resource, tagged for the stack",
    async run(t) {
      assert.deepEqual(await t.tagged(), [], "the account starts empty");
      const r = await t.cli(["up", "--yes", "--json"]);
      ok(r, "up");
      assert.equal(json(r).outcome, "ok");
      assert.deepEqual(await t.tagged(), FULL_STACK);
      const outputs = await t.cli(["outputs", "--json"]);
      ok(outputs, "outputs");
      const o = JSON.parse(outputs.stdout) as Record<string, unknown>;
      assert.match(String(o.url), /^http:\/\/.+/);
      assert.match(String(o.ecrRepositoryUri), new RegExp(`/${APP}$`));
      assert.equal(o.dbPassword, undefined, "secrets only with --show-secrets");
    },
  },
  {
    name: "status reports every resource in sync, and a second up makes zero mutating calls (beyond re-sending what the target does not report)",
    async run(t) {
      const status = await t.cli(["status", "--json"]);
      ok(status, "status");
      const resources = (JSON.parse(status.stdout) as { resources: { key: string; sync: string; fields: string[] }[] }).resources;
      const resent = unreportedDrift(t, resources);
      const r = await t.cli(["up", "--yes", "--json"]);
      ok(r, "up");
      assert.equal(t.mutatingCalls(r), resent.length);
      assert.deepEqual(json(r).summary, { create: 0, update: resent.length, replace: 0, delete: 0 });
    },
  },
  {
    name: "drift made behind the tool's back: plan shows it, up repairs it, plan is then clean",
    async run(t) {
      await t.aws(async (c) => {
        const group = await rdsGroup(c);
        await c.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
        await c.logs.send(new PutRetentionPolicyCommand({ logGroupName: `/ecs/${APP}`, retentionInDays: 365 }));
      });
      const plan = await t.cli(["plan", "--detailed-exitcode"]);
      assert.equal(plan.code, 2, `plan sees the drift: ${plan.stderr}`);
      assert.match(plan.stdout, /~ security group: RDS/);
      assert.match(plan.stdout, /retentionDays: 365 → 7/);
      ok(await t.cli(["up", "--yes", "--json"]), "up");
      await t.aws(async (c) => {
        assert.equal(openToWorld(await rdsGroup(c)), false, "the world-open rule is revoked");
        assert.equal(await retention(c), 7);
      });
      assert.equal((await t.cli(["plan", "--detailed-exitcode"])).code, 0, "converged");
    },
  },
  {
    name: "a lost state file: up adopts every resource by its tags and creates nothing",
    async run(t) {
      const before = await t.tagged();
      t.deleteStateFile();
      const r = await t.cli(["up", "--yes", "--json"]);
      ok(r, "up");
      assert.equal(t.mutatingCalls(r), 0, "nothing created, nothing changed");
      assert.deepEqual(await t.tagged(), before, "no duplicate");
      assert.equal((await t.cli(["plan", "--detailed-exitcode"])).code, 0, "the rebuilt state is in sync");
    },
  },
  {
    name: "down leaves nothing tagged for the stack",
    async run(t) {
      ok(await t.cli(["down", "--yes", "--skip-final-snapshot", "--json"]), "down");
      assert.deepEqual(await t.tagged(), []);
    },
  },
];
