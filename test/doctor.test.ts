import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { permissionLines, stackActions } from "../src/stack/permissions.js";
import { awsError } from "./fake/aws.js";
import { APP, withHarness, type Harness } from "./helpers.js";

interface Finding { check: string; status: "ok" | "warning" | "error"; message: string; hint: string | null }

async function doctor(h: Harness): Promise<{ code: number; outcome: string; findings: Finding[]; stderr: string }> {
  const r = await h.cli(["doctor", "--json"]);
  const doc = JSON.parse(r.stdout);
  return { code: r.code, outcome: doc.outcome, findings: doc.findings, stderr: r.stderr };
}
const finding = (findings: Finding[], check: string) => {
  const f = findings.filter((x) => x.check === check);
  assert.equal(f.length, 1, `one ${check} finding in ${JSON.stringify(findings)}`);
  return f[0]!;
};

/** `up` refused by the preflight: exit 1, nothing changed at AWS, the finding listed. */
async function upStopsBeforeAnyChange(h: Harness, says: RegExp): Promise<void> {
  const r = await h.cli(["up", "--yes"]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
  assert.match(r.stderr, says);
  assert.match(r.stderr, /preflight: .* would stop the run; nothing was changed/);
}

describe("doctor", () => {
  it("a clean account passes: every check ok, exit 0, no change made, the caller's policies simulated for the whole action list", () => withHarness(async (h) => {
    const r = await doctor(h);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.outcome, "ok");
    // The seed's DEBUG=True is the one warning of the default spec (test/app-settings.test.ts).
    assert.deepEqual(r.findings.filter((f) => f.status !== "ok").map((f) => f.check), ["debug"]);
    assert.deepEqual(r.findings.map((f) => f.check), ["credentials", "permissions", "permissions-deploy", "availability-zones", "vpc-quota", "elastic-ips", "ecs-service-linked-role", "ownership", "debug"]);
    assert.match(finding(r.findings, "credentials").message, /account 123456789012 as arn:aws:iam::123456789012:user\/operator/);
    const simulated = h.fake.calls.filter((c) => c.op === "SimulatePrincipalPolicy").map((c) => c.input as { PolicySourceArn: string; ActionNames: string[] });
    assert.ok(simulated.every((s) => s.PolicySourceArn === h.fake.callerArn));
    assert.deepEqual(simulated[0]!.ActionNames, stackActions({}));
    assert.ok(simulated[1]!.ActionNames.includes("ecs:RegisterTaskDefinition"), "deploy's actions come from the CI policy");
    assert.deepEqual(h.fake.mutatingCalls(), []);
    const human = await h.cli(["doctor"]);
    assert.match(human.stdout, /^ok {6}permissions: .* may call the \d+ actions up\/down needs$/m);
    assert.match(human.stderr, /No errors \(1 warning\(s\)\): nothing found that would stop `up`/);
  }));

  it("a missing permission is an error naming the action and what to do; `up` stops before any change", () => withHarness(async (h) => {
    const r = await doctor(h);
    assert.equal(r.code, 1);
    assert.equal(r.outcome, "failed");
    const f = finding(r.findings, "permissions");
    assert.equal(f.status, "error");
    assert.match(f.message, /1 action\(s\) up\/down needs are not allowed for arn:aws:iam::123456789012:user\/operator: iam:CreateRole; .*AccessDenied/);
    assert.match(f.hint!, /add them to its policy \(the README's "AWS permissions"/);
    await upStopsBeforeAnyChange(h, /error {3}permissions: .*iam:CreateRole/);
    const json = await h.cli(["up", "--yes", "--json"]);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.outcome, "failed");
    assert.equal(doc.error.code, "PreflightFailed");
    assert.equal(doc.findings.find((x: Finding) => x.check === "permissions").status, "error");
  }, { deniedActions: ["iam:CreateRole"] }));

  it("an action allowed only under a condition the simulator has no value for is a warning, not an error; `up` goes on", () => withHarness(async (h) => {
    const r = await doctor(h);
    assert.equal(r.code, 0, JSON.stringify(r.findings));
    const f = finding(r.findings, "permissions");
    assert.equal(f.status, "warning");
    assert.match(f.message, /could not check ec2:CreateVpc, iam:CreateRole \(condition on aws:RequestTag\/spontime:stack, aws:ResourceTag\/spontime:stack\)/);
    assert.match(f.hint!, /only under a condition/);
    const up = await h.cli(["up", "--yes"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /warning permissions: .*could not check ec2:CreateVpc/);
    assert.ok(h.fake.count("CreateVpc") === 1, "up ran");
  }, { conditionalActions: { "ec2:CreateVpc": ["aws:RequestTag/spontime:stack"], "iam:CreateRole": ["aws:ResourceTag/spontime:stack"] } }));

  it("a refused action beside a conditional one is still an error that names both", () => withHarness(async (h) => {
    const f = finding((await doctor(h)).findings, "permissions");
    assert.equal(f.status, "error");
    assert.match(f.message, /1 action\(s\) up\/down needs are not allowed .*: iam:CreateRole; .*; also could not check ec2:CreateVpc \(condition on aws:RequestTag\/spontime:stack\)/);
  }, { deniedActions: ["iam:CreateRole"], conditionalActions: { "ec2:CreateVpc": ["aws:RequestTag/spontime:stack"] } }));

  it("the preflight checks the plan that will run: `up` needs no delete, `down` needs every delete, before any change", () => withHarness(async (h) => {
    await h.up();
    assert.equal(h.fake.count("SimulatePrincipalPolicy"), 1, "the preflight ran, and let the creates through");
    h.resetCalls();
    const down = await h.cli(["down", "--yes", "--json"]);
    assert.equal(down.code, 1, down.stderr);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
    assert.match(down.stderr, /error {3}permissions: 1 action\(s\) down needs are not allowed .*: ec2:DeleteVpc/);
    assert.match(down.stderr, /run `spontime-infra down` again/);
    assert.equal(JSON.parse(down.stdout).error.code, "PreflightFailed");
    const simulated = (h.fake.calls.find((c) => c.op === "SimulatePrincipalPolicy")!.input as { ActionNames: string[] }).ActionNames;
    assert.ok(simulated.includes("rds:DeleteDBInstance") && !simulated.includes("ec2:CreateVpc"), "the deletes of what down found, no create");
    const forced = await h.cli(["down", "--yes", "--skip-preflight"]);
    assert.equal(forced.code, 0, forced.stderr);
  }, { deniedActions: ["ec2:DeleteVpc"] }));

  it("a role session is simulated as its role, with the path only GetRole tells (SSO roles)", () => withHarness(async (h) => {
    const arn = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123";
    h.fake.iam.roles.set("AWSReservedSSO_Admin_0123", { name: "AWSReservedSSO_Admin_0123", arn, trust: "{}", policies: new Set(), inline: {}, tags: {} });
    const r = await doctor(h);
    assert.equal(r.code, 0, JSON.stringify(r.findings));
    assert.ok(h.fake.calls.filter((c) => c.op === "SimulatePrincipalPolicy").every((c) => (c.input as { PolicySourceArn: string }).PolicySourceArn === arn));
  }, { callerArn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/me@example.com" }));

  it("no right to simulate: a warning that says it could not check; `up` goes on", () => withHarness(async (h) => {
    h.fake.failWith = (op) => (op === "SimulatePrincipalPolicy" ? awsError("AccessDenied", "User: arn:aws:iam::123456789012:user/operator is not authorized to perform: iam:SimulatePrincipalPolicy") : undefined);
    const r = await doctor(h);
    assert.equal(r.code, 0);
    const f = finding(r.findings, "permissions");
    assert.equal(f.status, "warning");
    assert.match(f.message, /could not check .* may not call iam:SimulatePrincipalPolicy/);
    const up = await h.cli(["up", "--yes"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /warning permissions: could not check/);
  }));

  it("a VPC quota reached is an error with what to do; `up` stops before creating anything", () => withHarness(async (h) => {
    for (let i = 0; i < 5; i++) h.fake.ec2.vpcs.set(`vpc-other${i}`, { id: `vpc-other${i}`, cidr: `10.${i + 1}.0.0/16`, tags: {}, createdAt: 0, dnsSupport: true, dnsHostnames: false });
    const r = await doctor(h);
    assert.equal(r.code, 1);
    const f = finding(r.findings, "vpc-quota");
    assert.equal(f.status, "error");
    assert.match(f.message, /already has 5 VPC\(s\) and AWS's default quota is 5 per region: CreateVpc would fail with VpcLimitExceeded/);
    assert.match(f.hint!, /delete an unused VPC.*Service Quotas/);
    await upStopsBeforeAnyChange(h, /error {3}vpc-quota:/);
  }));

  it("a full VPC quota does not matter once the stack's VPC exists", () => withHarness(async (h) => {
    await h.up();
    h.resetCalls();
    for (let i = 0; i < 4; i++) h.fake.ec2.vpcs.set(`vpc-other${i}`, { id: `vpc-other${i}`, cidr: `10.${i + 1}.0.0/16`, tags: {}, createdAt: 0, dnsSupport: true, dnsHostnames: false });
    const f = finding((await doctor(h)).findings, "vpc-quota");
    assert.equal(f.status, "ok");
    assert.deepEqual(h.fake.calls.filter((c) => c.op === "DescribeVpcs" && !(c.input as { VpcIds?: string[] }).VpcIds && !(c.input as { Filters?: unknown }).Filters), [], "no count of every VPC");
  }));

  it("an untagged role with the stack's name is reported with its owner and what to do (not a crash)", () => withHarness(async (h) => {
    const name = `${APP}-us-east-1-ecs-execution`;
    h.fake.iam.roles.set(name, { name, arn: `arn:aws:iam::123456789012:role/${name}`, trust: "{}", policies: new Set(), inline: {}, tags: {} });
    const r = await doctor(h);
    assert.equal(r.code, 1);
    const f = finding(r.findings, "ownership");
    assert.equal(f.status, "error");
    assert.match(f.message, new RegExp(`${name} is not tagged spontime:stack=${APP}: refusing to adopt`));
    assert.match(f.hint!, /pick another appName/);
    assert.equal(finding(r.findings, "permissions").status, "ok", "the other checks still ran");
  }));

  it("a DB class offered in no AZ: said as RDS's answer (the class is not sold there), not as a missing permission", () => withHarness(async (h) => {
    const r = await doctor(h);
    const f = finding(r.findings, "availability-zones");
    assert.equal(f.status, "warning");
    assert.match(f.message, /not checked: RDS answered that no AZ of us-east-1 offers db\.t4g\.micro for PostgreSQL 15 \(an answer, not a missing permission\)/);
    assert.doesNotMatch(`${f.message} ${f.hint}`, /allow rds:|permission denied|AccessDenied/);
    assert.match(f.hint!, /pick an instanceClass the region offers \(`aws rds describe-orderable-db-instance-options --engine postgres --region us-east-1/);
  }, { dbClassMissingIn: { "db.t4g.micro": ["a", "b", "c", "d"] } }));

  it("a refused DescribeOrderableDBInstanceOptions: the AZs could not be checked, and the permission is named", () => withHarness(async (h) => {
    h.fake.failWith = (op) => (op === "DescribeOrderableDBInstanceOptions" ? awsError("AccessDenied", "not authorized to perform: rds:DescribeOrderableDBInstanceOptions") : undefined);
    const f = finding((await doctor(h)).findings, "availability-zones");
    assert.equal(f.status, "warning");
    assert.match(f.message, /not checked: could not ask where RDS offers db\.t4g\.micro \(.*AccessDenied/);
    assert.match(f.hint!, /allow rds:DescribeOrderableDBInstanceOptions/);
  }));

  it("a spec's AZ without the DB class is an error with what to do; `up` stops before any change", () => withHarness(async (h) => {
    const file = join(h.dir, "spec.json");
    writeFileSync(file, JSON.stringify({ availabilityZones: ["us-east-1a", "us-east-1b"] }));
    const r = await h.cli(["doctor", "--json", "--config", file]);
    assert.equal(r.code, 1);
    const f = finding(JSON.parse(r.stdout).findings, "availability-zones");
    assert.equal(f.status, "error");
    assert.match(f.message, /us-east-1a does not offer db\.t4g\.micro for PostgreSQL: CreateDBInstance would fail/);
    assert.match(f.hint!, /pick a first AZ among us-east-1b, us-east-1c, us-east-1d/);
    const up = await h.cli(["up", "--yes", "--config", file]);
    assert.notEqual(up.code, 0);
    assert.deepEqual(h.fake.mutatingCalls(), []);
  }, { dbClassMissingIn: { "db.t4g.micro": ["a"] } }));

  it("a new account: the missing ECS service-linked role is a warning (`up` creates it)", () => withHarness(async (h) => {
    const r = await doctor(h);
    assert.equal(r.code, 0);
    const f = finding(r.findings, "ecs-service-linked-role");
    assert.equal(f.status, "warning");
    assert.match(f.hint!, /`up` creates it first/);
  }, { newAccount: true }));

  it("a no-op `up` pays nothing for the preflight", () => withHarness(async (h) => {
    await h.up();
    assert.equal(h.fake.count("GetCallerIdentity"), 1, "the first up ran the preflight");
    h.resetCalls();
    await h.up();
    assert.deepEqual(h.fake.calls.filter((c) => ["GetCallerIdentity", "SimulatePrincipalPolicy"].includes(c.op)), []);
  }));
});

// Every call against the lists, both ways: test/permissions.test.ts.
describe("the permission list", () => {
  it("is the README's list", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    assert.ok(readme.includes(permissionLines().join("\n")), `README.md should list (node scripts/permission-lines.mjs writes it):\n${permissionLines().join("\n")}`);
  });
});
