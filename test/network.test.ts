import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FULL_STACK, kindOf } from "./contract.js";
import { APP, Harness, TEST_ENV } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const kinds = (tagged: string[]) => tagged.map(kindOf).sort();

describe("up from an empty account", () => {
  it("creates exactly one of each resource, all tagged for the stack", async () => {
    const r = await h.up();
    assert.deepEqual(kinds(h.fake.taggedResources(APP)), FULL_STACK);
    assert.match(r.stdout, /App URL: http:\/\/spontime-poc-alb-\d+\.us-east-1\.elb\.amazonaws\.com/);
    assert.match(r.stdout, /Waiting for the first deploy/);
    const sg = [...h.fake.ec2.sgs.values()].find((g) => g.name === `${APP}-sg-rds`)!;
    const { "spontime:created-by": createdBy, ...tags } = sg.tags;
    assert.deepEqual(tags, { Name: `${APP}-sg-rds`, "spontime:stack": APP, "spontime:resource": "sg-rds", ManagedBy: "spontime-infra" });
    assert.match(createdBy!, /^1970-01-01T00:00:00\.000Z\/[0-9a-f-]{36}$/, "the run that made it: its start and its id");
  });

  it("creates in dependency order, tags at create time and never in a second call", async () => {
    await h.up();
    const ops = h.fake.mutatingCalls().map((c) => c.op);
    const first = (op: string) => ops.indexOf(op);
    assert.ok(first("CreateVpc") < first("CreateSubnet"));
    assert.ok(first("AttachInternetGateway") < first("CreateLoadBalancer"), "an internet-facing ALB needs the IGW");
    assert.ok(first("CreateListener") < first("CreateService"), "the service's target group must be behind a listener");
    assert.ok(first("CreateDBSubnetGroup") < first("CreateDBInstance"));
    assert.ok(first("RegisterTaskDefinition") > first("CreateDBInstance"), "the task definition needs the DB endpoint");
    assert.equal(h.fake.count("CreateTags"), 0);
    for (const c of h.fake.mutatingCalls().filter((c) => c.op.startsWith("Create") && c.service === "ec2" && c.op !== "CreateRoute")) {
      assert.ok((c.input as { TagSpecifications?: { Tags?: { Key: string }[] }[] }).TagSpecifications?.[0]?.Tags?.some((t) => t.Key === "spontime:stack"), `${c.op} is tagged at create`);
    }
  });

  it("overlaps the RDS wait with the ALB and ECS work, finishing near the critical path", async () => {
    await h.up();
    const calls = h.fake.calls;
    const rdsCreated = calls.find((c) => c.op === "CreateDBInstance")!.at;
    const albCreated = calls.find((c) => c.op === "CreateLoadBalancer")!.at;
    const clusterCreated = calls.find((c) => c.op === "CreateCluster")!.at;
    assert.ok(albCreated < rdsCreated + 600_000, "the ALB is created while RDS is still creating");
    assert.ok(clusterCreated < rdsCreated + 600_000);
    assert.ok(h.clock.now() < 900_000, `up took ${h.clock.now() / 1000}s of simulated time; RDS alone is 600s`);
  });

  it("writes the state file with mode 0600 and every resource id", async () => {
    await h.up();
    assert.equal(statSync(h.statePath).mode & 0o777, 0o600);
    const state = JSON.parse(readFileSync(h.statePath, "utf8"));
    assert.equal(Object.keys(state.resources).length, 22);
    assert.match(state.resources.vpc.id, /^vpc-/);
    assert.ok(!existsSync(join(h.stateDir, `${APP}.lock`)), "the lock is released");
  });
});

describe("idempotency", () => {
  it("a second up makes zero mutating calls", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.up();
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
    assert.match(r.stderr, /No changes/);
  });

  it("plan --detailed-exitcode answers 0 on a converged stack and 2 with changes", async () => {
    assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 2);
    await h.up();
    assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 0);
  });

  it("a resource deleted behind the tool's back is re-created by the next up", async () => {
    await h.up();
    const listener = [...h.fake.elb.listeners.keys()][0]!;
    h.fake.elb.listeners.delete(listener);
    const plan = await h.cli(["plan"]);
    assert.match(plan.stdout, /\+ HTTP listener :80/);
    h.resetCalls();
    await h.up();
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), ["CreateListener"]);
    assert.equal(h.fake.elb.listeners.size, 1);
  });
});

describe("down", () => {
  it("from the full stack leaves nothing tagged for the stack, and keeps a final snapshot", async () => {
    await h.up();
    const r = await h.cli(["down", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
    assert.equal(h.fake.rds.snapshots.size, 1);
    assert.match([...h.fake.rds.snapshots.keys()][0]!, /^spontime-poc-final-\d{14}$/);
    assert.equal(h.fake.ec2.enis.size, 0);
  });

  it("from a half-built stack finishes too", async () => {
    h.fake.armCrash(12);
    await h.cli(["up", "--yes"]);
    h.fake.disarm();
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--force-unlock"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
  });

  it("refuses without --yes when there is no terminal, before any AWS change", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["down"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to delete the stack: no terminal/);
    assert.deepEqual(h.fake.mutatingCalls(), []);
  });
});

describe("bad input", () => {
  for (const [name, spec, field] of [
    ["malformed JSON", "{ nope", /not valid JSON/],
    ["unknown field", JSON.stringify({ appName: "xy", colour: "red" }), /unknown field colour/],
    ["subnet outside the VPC", JSON.stringify({ network: { publicSubnets: ["10.1.1.0/24", "10.0.2.0/24"] } }), /network\.publicSubnets\.0: 10\.1\.1\.0\/24 is not inside the VPC/],
    ["overlapping subnets", JSON.stringify({ network: { privateSubnets: ["10.0.1.0/24", "10.0.11.0/24"] } }), /overlaps 10\.0\.1\.0\/24/],
    ["Fargate pair", JSON.stringify({ app: { cpu: 256, memory: 4096 } }), /app\.memory: Fargate cpu 256 takes memory 512, 1024, 2048, not 4096/],
    ["log retention", JSON.stringify({ logs: { retentionDays: 10 } }), /logs\.retentionDays: must be one of CloudWatch's values/],
    ["app name too long", JSON.stringify({ appName: "a-very-long-application-name" }), /appName: must be 2-24 characters/],
  ] as const) {
    it(`${name}: exit 2, names the field, zero AWS calls`, async () => {
      const file = join(h.dir, "spec.json");
      writeFileSync(file, spec);
      for (const argv of [["validate"], ["plan"], ["up", "--yes"]]) {
        const r = await h.cli([...argv, "--config", file]);
        const cmd = argv[0];
        assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, field);
        assert.equal(r.stderr.trim().split("\n").length, 2, "one line of error, one of hint");
      }
      assert.equal(h.fake.calls.length, 0);
    });
  }
});

describe("validation shows every problem, with the nearest valid value", () => {
  it("a typo in the region, the DB class, the Fargate size and the time zone, and a missing time zone: all named at once, exit 2, no AWS call", async () => {
    const spec = (value: object) => { const file = join(h.dir, "spec.json"); writeFileSync(file, JSON.stringify(value)); return file; };
    const r = await h.cli(["validate", "--config", spec({
      region: "us-east-9", database: { instanceClass: "db.t4g.mcro" }, app: { cpu: 300 }, schedule: { awake: "Mon-Fri 08:00-20:00" }, tags: { a: "1", b: "2" },
    })]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /4 problems:/);
    assert.match(r.stderr, /region: "us-east-9" is not an AWS region: did you mean "us-east-1"\?/);
    assert.match(r.stderr, /database\.instanceClass: "db\.t4g\.mcro" is not a DB instance class RDS for PostgreSQL runs: did you mean "db\.t4g\.micro"\?/);
    assert.match(r.stderr, /app\.cpu: Fargate cpu must be one of 256, 512, .*, not 300: did you mean 256\?/);
    assert.match(r.stderr, /schedule\.timezone: missing: the IANA time zone the windows are in, e.g\. Europe\/Paris/);
    assert.doesNotMatch(r.stderr, /expected string, received undefined/);
    const zone = await h.cli(["validate", "--config", spec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Pari" }, app: { memory: 600 } })]);
    assert.match(zone.stderr, /timezone "Europe\/Pari" is not an IANA time zone like Europe\/Paris: did you mean "Europe\/Paris"\?/);
    assert.match(zone.stderr, /app\.memory: Fargate cpu 256 takes memory 512, 1024, 2048, not 600: did you mean 512\?/);
    const env = await h.cli(["validate"], { env: { ...TEST_ENV, AWS_REGION: "eu-west-9" } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /AWS_REGION: "eu-west-9" is not an AWS region: did you mean "eu-west-1"\?/);
    assert.equal(h.fake.calls.length, 0);
  });
});
