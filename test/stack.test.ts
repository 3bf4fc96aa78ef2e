import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { CreateDBSubnetGroupCommand, RDSClient } from "@aws-sdk/client-rds";
import { CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ECSClient, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { APP, Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const spec = (value: object) => h.writeSpec(value);

describe("spec changes", () => {
  it("log retention, backup days and desired count update in place, each with one call", async () => {
    await h.up();
    await h.deploy("v1");
    const file = spec({ logs: { retentionDays: 14 }, database: { backupRetentionDays: 3 }, app: { desiredCount: 2 } });
    const plan = await h.cli(["plan", "--config", file]);
    assert.match(plan.stdout, /~ log group \/ecs\/spontime-poc\n\s+retentionDays: 7 → 14/);
    assert.match(plan.stdout, /~ RDS PostgreSQL .*\n\s+backupRetentionDays: 1 → 3/);
    assert.match(plan.stdout, /~ ECS service .*\n\s+desiredCount: 1 → 2/);
    assert.match(plan.stdout, /Plan: 0 to create, 3 to update, 0 to replace, 0 to delete/);
    h.resetCalls();
    await h.up("--config", file);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op).sort(), ["ModifyDBInstance", "PutRetentionPolicy", "UpdateService"]);
    assert.equal(h.fake.logs.groups.get(`/ecs/${APP}`)?.retention, 14);
    assert.equal(h.fake.rds.instances.get(`${APP}-db`)?.backup, 3);
  });

  it("a subnet CIDR change is a replacement, named with the field that forces it", async () => {
    await h.up();
    const r = await h.cli(["plan", "--config", spec({ network: { privateSubnets: ["10.0.10.0/24", "10.0.21.0/24"] } }), "--json"]);
    const changes = JSON.parse(r.stdout).changes;
    const subnet = changes.find((c: { key: string }) => c.key === "subnet-private-b");
    assert.equal(subnet.action, "replace");
    assert.deepEqual(subnet.diffs.filter((d: { forcesReplace?: boolean }) => d.forcesReplace).map((d: { field: string }) => d.field), ["cidr"]);
    const human = await h.cli(["plan", "--config", spec({ network: { privateSubnets: ["10.0.10.0/24", "10.0.21.0/24"] } })]);
    assert.match(human.stdout, /-\/\+ private subnet 10\.0\.21\.0\/24.*\n\s+cidr: "10\.0\.11\.0\/24" → "10\.0\.21\.0\/24" \(forces replacement\)/);
  });

  it("an instance class change is an in-place update flagged as brief downtime", async () => {
    await h.up();
    const r = await h.cli(["plan", "--config", spec({ database: { instanceClass: "db.t4g.small" } })]);
    assert.match(r.stdout, /instanceClass: "db\.t4g\.micro" → "db\.t4g\.small" \(brief downtime\)/);
  });
});

describe("the fake enforces what real AWS does (so tests fail where AWS would)", () => {
  const sdk = { region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } };
  it("an ALB and a DB subnet group need two AZs; Fargate needs a valid cpu/memory pair", async () => {
    await h.up();
    const publicA = h.fake.ec2.subnets.get(JSON.parse((await import("node:fs")).readFileSync(h.statePath, "utf8")).resources["subnet-public-a"].id)!.id;
    const privateA = [...h.fake.ec2.subnets.values()].find((s) => s.cidr === "10.0.10.0/24")!.id;
    await h.clock.run(async () => {
      await assert.rejects(new ElasticLoadBalancingV2Client(sdk).send(new CreateLoadBalancerCommand({ Name: "one-az", Subnets: [publicA] })), /two different Availability Zones/);
      await assert.rejects(new RDSClient(sdk).send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: "one-az", DBSubnetGroupDescription: "x", SubnetIds: [privateA] })), { name: "DBSubnetGroupDoesNotCoverEnoughAZs" });
      await assert.rejects(new ECSClient(sdk).send(new RegisterTaskDefinitionCommand({ family: "x", requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc", cpu: "256", memory: "4096", containerDefinitions: [] })), /No Fargate configuration/);
    });
  });
});

describe("status and outputs", () => {
  it("status --json reports the URL, tasks, database and every resource in sync", async () => {
    await h.up();
    const r = await h.cli(["status", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.match(s.url, /^http:\/\/spontime-poc-alb/);
    assert.equal(s.awaitingFirstDeploy, true);
    assert.deepEqual(s.tasks, { running: 0, desired: 0 });
    assert.equal(s.database.status, "available");
    assert.equal(s.resources.length, 22);
    assert.ok(s.resources.every((x: { sync: string }) => x.sync === "in sync"));
    const human = await h.cli(["status"]);
    assert.match(human.stdout, /Tasks:\s+0\/0 running \(waiting for the first deploy\)/);
  });

  it("status marks a resource deleted behind our back as missing", async () => {
    await h.up();
    h.fake.logs.groups.delete(`/ecs/${APP}`);
    const s = JSON.parse((await h.cli(["status", "--json"])).stdout);
    assert.equal(s.resources.find((x: { key: string }) => x.key === "log-group").sync, "missing");
  });

  it("outputs --json gives what scripts need, secrets only with --show-secrets", async () => {
    await h.up();
    const plain = JSON.parse((await h.cli(["outputs", "--json"])).stdout);
    assert.deepEqual(Object.keys(plain).sort(), ["cluster", "dbEndpoint", "ecrRepositoryUri", "logGroup", "region", "service", "taskFamily", "url"]);
    assert.equal(plain.ecrRepositoryUri, `123456789012.dkr.ecr.us-east-1.amazonaws.com/${APP}`);
    const secret = JSON.parse((await h.cli(["outputs", "--json", "--show-secrets"])).stdout);
    assert.match(secret.databaseUrl, /^postgis:\/\/spontime:[A-Za-z0-9]{32}@spontime-poc-db\.\S+:5432\/spontime$/);
    assert.equal(secret.secretKey.length, 64);
  });

  it("outputs before any up: exit 2 with what to do", async () => {
    const r = await h.cli(["outputs"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /run `spontime-infra up` first/);
  });
});
