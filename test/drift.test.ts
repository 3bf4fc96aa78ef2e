/**
 * Drift tests generated from the drift table (src/stack/drift-table.ts, the README's "Drift" table): for every
 * compared field of every kind, a change made by hand on the fake; `plan --detailed-exitcode` then exits 2 and
 * names the field, `up` repairs it (or says why it will not), and the next `up` makes no mutating call. A field
 * added to a resource's `desired` without an entry here fails the first test: it cannot be forgotten.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { driftTable, driftTableMarkdown } from "../src/stack/drift-table.js";
import type { Tags } from "./fake/common.js";
import type { ListenerRule } from "./fake/elbv2.js";
import { callLine, golden, normalize } from "./golden.js";
import { APP, withHarness, type Harness, type HarnessSnapshot } from "./helpers.js";

/** What the plan shows of each change by hand, and the calls `up` repairs it with (test/golden/drift.json). */
const { matches } = golden("drift");

/** Which built stack a change is made on: the default spec, https + schedule, or Spot. */
type Stack = "base" | "full" | "spot";
const SPECS: Record<Stack, object> = {
  base: {},
  // Awake from midnight: the virtual clock starts at 00:00 UTC, so the schedule keeps the stack awake.
  full: { https: { domain: "api.example.com" }, schedule: { awake: "Mon-Sun 00:00-12:00", timezone: "UTC" } },
  spot: { app: { capacity: "FARGATE_SPOT" } },
};

/** A change by hand, on a stack; `refused`: `up` refuses it (AWS could not undo it) and says this. */
type ByHand = { on?: Stack; change: (h: Harness) => void; refused?: RegExp } | { cannot: string };

const byTag = <T extends { tags: Tags }>(items: Iterable<T>, key: string): T => [...items].find((x) => x.tags["spontime:resource"] === key)!;
const sg = (h: Harness, key: string) => byTag(h.fake.ec2.sgs.values(), key);
const subnet = (h: Harness, key: string) => byTag(h.fake.ec2.subnets.values(), key);
const db = (h: Harness) => h.fake.rds.instances.get(`${APP}-db`)!;
const alb = (h: Harness) => [...h.fake.elb.lbs.values()][0]!;
const tg = (h: Harness) => [...h.fake.elb.tgs.values()][0]!;
const listener = (h: Harness, port: number) => [...h.fake.elb.listeners.values()].find((l) => l.port === port)!;
const service = (h: Harness) => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
const cluster = (h: Harness) => [...h.fake.ecs.clusters.values()].find((c) => c.status === "ACTIVE")!;
const role = (h: Harness, name: string) => h.fake.iam.roles.get(`${APP}-${h.fake.region}-${name}`)!;
const schedule = (h: Harness) => [...h.fake.scheduler.schedules.values()].find((s) => s.name.startsWith(`${APP}-service-sleep-`))!;
/** A tag changed in the console. */
const retag = (x: { tags: Tags }) => { x.tags.Name = "renamed by hand"; };
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
const anyAction = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
const adminRule = { arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/by-hand/1", priority: "10", conditions: [{ Field: "path-pattern", Values: ["/admin/*"] }], actions: [{ Type: "fixed-response" as const, FixedResponseConfig: { StatusCode: "503" } }] };

/** A task definition revision registered by hand: the service's one, changed by `edit`. */
function newRevision(h: Harness, edit: (def: any) => void): void {
  const current = h.fake.ecs.taskDefs.get(service(h).taskDefinition)!;
  const copy = structuredClone(current);
  copy.revision = Math.max(...[...h.fake.ecs.taskDefs.values()].map((t) => t.revision)) + 1;
  copy.arn = current.arn.replace(/:\d+$/, `:${copy.revision}`);
  edit(copy.def);
  h.fake.ecs.taskDefs.set(copy.arn, copy);
}
const container = (def: any) => def.containerDefinitions[0];

const CANNOT_RENAME = "AWS cannot change it in place; only a resource recreated by hand could differ, and `up` replaces it then";

/** One entry per compared field of each row of the drift table: `<first key of the row>.<field>`. */
const BY_HAND: Record<string, ByHand> = {
  "vpc.cidr": { cannot: CANNOT_RENAME },
  "vpc.dnsSupport": { change: (h) => { [...h.fake.ec2.vpcs.values()][0]!.dnsSupport = false; } },
  "vpc.dnsHostnames": { change: (h) => { [...h.fake.ec2.vpcs.values()][0]!.dnsHostnames = false; } },
  "vpc.tags": { change: (h) => retag([...h.fake.ec2.vpcs.values()][0]!) },
  "internet-gateway.vpcId": { change: (h) => { [...h.fake.ec2.igws.values()][0]!.vpcId = undefined; } },
  "internet-gateway.tags": { change: (h) => retag([...h.fake.ec2.igws.values()][0]!) },
  "subnet-public-a.vpcId": { cannot: CANNOT_RENAME },
  "subnet-public-a.cidr": { cannot: CANNOT_RENAME },
  "subnet-public-a.availabilityZone": { cannot: CANNOT_RENAME },
  "subnet-public-a.mapPublicIpOnLaunch": { change: (h) => { subnet(h, "subnet-public-a").mapPublicIp = false; } },
  "subnet-public-a.tags": { change: (h) => retag(subnet(h, "subnet-public-a")) },
  "route-table-public.vpcId": { cannot: CANNOT_RENAME },
  "route-table-public.defaultRouteGateway": { change: (h) => { [...h.fake.ec2.routeTables.values()][0]!.routes = []; } },
  "route-table-public.subnetIds": { change: (h) => { const t = [...h.fake.ec2.routeTables.values()][0]!; t.associations.delete([...t.associations.keys()][0]!); } },
  "route-table-public.tags": { change: (h) => retag([...h.fake.ec2.routeTables.values()][0]!) },
  "sg-alb.vpcId": { cannot: CANNOT_RENAME },
  "sg-alb.name": { cannot: CANNOT_RENAME },
  "sg-alb.description": { cannot: CANNOT_RENAME },
  "sg-alb.ingress": { change: (h) => { sg(h, "sg-alb").rules.push({ protocol: "tcp", from: 22, to: 22, kind: "IpRanges", source: "0.0.0.0/0" }); } },
  "sg-alb.egress": { change: (h) => { sg(h, "sg-alb").egress = []; } },
  "sg-alb.tags": { change: (h) => retag(sg(h, "sg-alb")) },
  "iam-execution-role.trustedServices": { change: (h) => { role(h, "ecs-execution").trust = trust("ec2.amazonaws.com"); } },
  "iam-execution-role.policies": { change: (h) => { role(h, "ecs-execution").policies.add(ADMIN); } },
  "iam-execution-role.inlinePolicies": { change: (h) => { role(h, "ecs-execution").inline["added-by-hand"] = anyAction; } },
  // A secrets policy granting reads by hand, on a stack whose app.secrets names none.
  "iam-execution-role.secretsAccess": {
    change: (h) => { role(h, "ecs-execution").inline["read-app-secrets"] = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameters", Resource: "*" }] }); },
  },
  "iam-execution-role.tags": { change: (h) => retag(role(h, "ecs-execution")) },
  "log-group.retentionDays": { change: (h) => { h.fake.logs.groups.get(`/ecs/${APP}`)!.retention = 365; } },
  "log-group.tags": { change: (h) => retag(h.fake.logs.groups.get(`/ecs/${APP}`)!) },
  "ecr-repository.scanOnPush": { change: (h) => { h.fake.ecr.repos.get(APP)!.scanOnPush = true; } },
  "ecr-repository.tagMutability": { change: (h) => { h.fake.ecr.repos.get(APP)!.tagMutability = "IMMUTABLE"; } },
  "ecr-repository.lifecyclePolicy": { change: (h) => { const r = h.fake.ecr.repos.get(APP)!; r.policy = r.policy!.replace(/"countNumber":\d+/, '"countNumber":1000'); } },
  "ecr-repository.tags": { change: (h) => retag(h.fake.ecr.repos.get(APP)!) },
  "db-subnet-group.subnetIds": { change: (h) => { h.fake.rds.subnetGroups.get(`${APP}-db-subnets`)!.subnets.push(subnet(h, "subnet-public-a").id); } },
  "db-subnet-group.tags": { change: (h) => retag(h.fake.rds.subnetGroups.get(`${APP}-db-subnets`)!) },
  "db-instance.engine": { cannot: CANNOT_RENAME },
  "db-instance.engineVersion": { change: (h) => { db(h).engineVersion = "16.4"; }, refused: /RDS cannot downgrade PostgreSQL/ },
  "db-instance.instanceClass": { change: (h) => { db(h).instanceClass = "db.t4g.small"; } },
  "db-instance.storageType": { change: (h) => { db(h).storageType = db(h).storageType === "gp2" ? "gp3" : "gp2"; } },
  "db-instance.allocatedStorage": { change: (h) => { db(h).allocatedStorage += 10; }, refused: /RDS cannot shrink allocated storage/ },
  "db-instance.backupRetentionDays": { change: (h) => { db(h).backup = 30; } },
  "db-instance.multiAz": { change: (h) => { db(h).multiAz = true; } },
  "db-instance.publiclyAccessible": { change: (h) => { db(h).public = true; } },
  "db-instance.storageEncrypted": { cannot: CANNOT_RENAME },
  "db-instance.deletionProtection": { change: (h) => { db(h).deletionProtection = true; } },
  "db-instance.parameterGroup": { change: (h) => { db(h).parameterGroup = "tuned-by-hand"; } },
  "db-instance.caCertificate": { change: (h) => { db(h).caCertificate = "rds-ca-ecc384-g1"; } },
  "db-instance.availabilityZone": { cannot: CANNOT_RENAME },
  "db-instance.dbSubnetGroup": { cannot: CANNOT_RENAME },
  "db-instance.securityGroupIds": { change: (h) => { db(h).securityGroups.push(sg(h, "sg-alb").id); } },
  "db-instance.dbName": { cannot: CANNOT_RENAME },
  "db-instance.username": { cannot: CANNOT_RENAME },
  // The master password reset in the console: the hash tag no longer matches, and `up` sets the password it holds.
  "db-instance.passwordHash": { change: (h) => { db(h).tags["spontime:password-hash"] = "0000000000000000"; } },
  "db-instance.stopped": { change: (h) => { db(h).status = "stopped"; } },
  "db-instance.tags": { change: (h) => retag(db(h)) },
  "load-balancer.scheme": { cannot: CANNOT_RENAME },
  "load-balancer.subnetIds": { change: (h) => { alb(h).subnets = [subnet(h, "subnet-public-a").id, subnet(h, "subnet-private-b").id]; } },
  "load-balancer.securityGroupIds": { change: (h) => { alb(h).securityGroups = [sg(h, "sg-ecs").id]; } },
  "load-balancer.idleTimeoutSeconds": { change: (h) => { alb(h).attributes["idle_timeout.timeout_seconds"] = "4000"; } },
  "load-balancer.dropInvalidHeaderFields": { change: (h) => { alb(h).attributes["routing.http.drop_invalid_header_fields.enabled"] = "true"; } },
  "load-balancer.deletionProtection": { change: (h) => { alb(h).attributes["deletion_protection.enabled"] = "true"; } },
  "load-balancer.accessLogs": { change: (h) => { Object.assign(alb(h).attributes, { "access_logs.s3.enabled": "true", "access_logs.s3.bucket": "audit-logs" }); } },
  "load-balancer.tags": { change: (h) => retag(alb(h)) },
  "target-group.vpcId": { cannot: CANNOT_RENAME },
  "target-group.protocol": { cannot: CANNOT_RENAME },
  "target-group.targetType": { cannot: CANNOT_RENAME },
  "target-group.healthCheckPath": { change: (h) => { tg(h).healthCheckPath = "/"; } },
  "target-group.healthCheckIntervalSeconds": { change: (h) => { tg(h).interval = 120; } },
  "target-group.healthCheckTimeoutSeconds": { change: (h) => { tg(h).timeout = 25; } },
  "target-group.healthyThreshold": { change: (h) => { tg(h).healthyThreshold = 7; } },
  "target-group.unhealthyThreshold": { change: (h) => { tg(h).unhealthyThreshold = 7; } },
  "target-group.matcher": { change: (h) => { tg(h).matcher = "200-499"; } },
  "target-group.healthCheckEnabled": { change: (h) => { tg(h).healthCheckEnabled = false; } },
  "target-group.healthCheckProtocol": { change: (h) => { tg(h).healthCheckProtocol = "HTTPS"; } },
  "target-group.healthCheckPort": { change: (h) => { tg(h).healthCheckPort = "8080"; } },
  "target-group.deregistrationDelaySeconds": { change: (h) => { tg(h).deregistrationDelay = "300"; } },
  "target-group.stickiness": { change: (h) => { tg(h).attributes["stickiness.enabled"] = "true"; } },
  "target-group.slowStartSeconds": { change: (h) => { tg(h).attributes["slow_start.duration_seconds"] = "120"; } },
  "target-group.algorithm": { change: (h) => { tg(h).attributes["load_balancing.algorithm.type"] = "least_outstanding_requests"; } },
  "target-group.tags": { change: (h) => retag(tg(h)) },
  "listener-http.loadBalancerArn": { cannot: CANNOT_RENAME },
  "listener-http.port": { change: (h) => { listener(h, 80).port = 8080; } },
  "listener-http.protocol": { change: (h) => { listener(h, 80).protocol = "HTTPS"; } },
  "listener-http.action": { change: (h) => { Object.assign(listener(h, 80), { targetGroupArn: undefined, redirect: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_302" } }); } },
  "listener-http.rules": { change: (h) => { listener(h, 80).rules.push(structuredClone(adminRule)); } },
  "listener-http.tags": { change: (h) => retag(listener(h, 80)) },
  "ecs-cluster.capacityProviders": { on: "spot", change: (h) => { cluster(h).capacityProviders = ["FARGATE_SPOT"]; } },
  "ecs-cluster.defaultCapacityProviderStrategy": { on: "spot", change: (h) => { cluster(h).defaultCapacityProviderStrategy = [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]; } },
  "ecs-cluster.tags": { change: (h) => retag(cluster(h)) },
  "task-definition.cpu": { change: (h) => newRevision(h, (d) => { d.cpu = "512"; d.memory = "1024"; }) },
  "task-definition.memory": { change: (h) => newRevision(h, (d) => { d.memory = "2048"; }) },
  "task-definition.architecture": { change: (h) => newRevision(h, (d) => { d.runtimePlatform.cpuArchitecture = d.runtimePlatform.cpuArchitecture === "ARM64" ? "X86_64" : "ARM64"; }) },
  "task-definition.executionRoleArn": { change: (h) => newRevision(h, (d) => { d.executionRoleArn = "arn:aws:iam::123456789012:role/other"; }) },
  "task-definition.containerPort": { change: (h) => newRevision(h, (d) => { container(d).portMappings[0].containerPort = 9000; }) },
  "task-definition.logGroup": { change: (h) => newRevision(h, (d) => { container(d).logConfiguration.options["awslogs-group"] = "/ecs/other"; }) },
  "task-definition.repositoryUri": { cannot: "a deployed image is `deploy`'s (`deploy --image` may take it from any registry): only the first-deploy placeholder follows the repository" },
  "task-definition.environment": { change: (h) => newRevision(h, (d) => { container(d).environment.push({ name: "ADDED", value: "by hand" }); }) },
  "task-definition.secrets": { change: (h) => newRevision(h, (d) => { container(d).secrets = [{ name: "TOKEN", valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/token" }]; }) },
  "task-definition.containerHealthCheck": { change: (h) => newRevision(h, (d) => { container(d).healthCheck = { command: ["CMD-SHELL", "true"] }; }) },
  "task-definition.tags": { change: (h) => retag(h.fake.ecs.taskDefs.get(service(h).taskDefinition)!) },
  "ecs-service.cluster": { cannot: CANNOT_RENAME },
  "ecs-service.taskDefinition": { change: (h) => { service(h).taskDefinition = [...h.fake.ecs.taskDefs.keys()][0]!; } },
  "ecs-service.desiredCount": { change: (h) => { service(h).desiredCount = 3; } },
  // On Spot, where the cluster has both providers (a strategy may name only the cluster's: API_CreateService).
  "ecs-service.capacity": { on: "spot", change: (h) => { service(h).capacityProviderStrategy = [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]; } },
  "ecs-service.subnets": { change: (h) => { service(h).networkConfiguration!.awsvpcConfiguration!.subnets = [subnet(h, "subnet-public-b").id]; } },
  "ecs-service.securityGroups": { change: (h) => { service(h).networkConfiguration!.awsvpcConfiguration!.securityGroups = [sg(h, "sg-alb").id]; } },
  "ecs-service.assignPublicIp": { change: (h) => { service(h).networkConfiguration!.awsvpcConfiguration!.assignPublicIp = "DISABLED"; } },
  "ecs-service.loadBalancer": { change: (h) => { service(h).loadBalancers[0]!.containerPort = 9000; } },
  "ecs-service.healthCheckGracePeriodSeconds": { change: (h) => { service(h).healthCheckGracePeriodSeconds = 600; } },
  "ecs-service.deployment": { change: (h) => { service(h).deploymentConfiguration!.minimumHealthyPercent = 50; } },
  "ecs-service.tags": { change: (h) => retag(service(h)) },
  "schedule-group.tags": { on: "full", change: (h) => retag([...h.fake.scheduler.groups.values()][0]!) },
  "iam-scheduler-role.trustedServices": { on: "full", change: (h) => { role(h, "scheduler").trust = trust("lambda.amazonaws.com"); } },
  "iam-scheduler-role.permissions": { on: "full", change: (h) => { role(h, "scheduler").inline["sleep-and-wake"] = anyAction; } },
  "iam-scheduler-role.policies": { on: "full", change: (h) => { role(h, "scheduler").policies.add(ADMIN); } },
  "iam-scheduler-role.inlinePolicies": { on: "full", change: (h) => { role(h, "scheduler").inline["added-by-hand"] = anyAction; } },
  "iam-scheduler-role.tags": { on: "full", change: (h) => retag(role(h, "scheduler")) },
  "schedule-service-sleep.group": { cannot: "the group is where the schedules are looked for: a schedule elsewhere is not the stack's" },
  // Dated as the UpdateSchedule that made the change would (API_ScheduleSummary).
  "schedule-service-sleep.schedules": { on: "full", change: (h) => { Object.assign(schedule(h), { expression: "cron(0 3 * * ? *)", modifiedAt: h.clock.now() }); } },
  "certificate.domain": { cannot: CANNOT_RENAME },
  "certificate.validation": { cannot: CANNOT_RENAME },
  "certificate.tags": { on: "full", change: (h) => retag([...h.fake.acm.certs.values()][0]!) },
  "certificate-validation.certificateArn": { cannot: "it is the certificate's own ARN, read back from ACM: it names what was validated" },
  "listener-https.loadBalancerArn": { cannot: CANNOT_RENAME },
  "listener-https.port": { on: "full", change: (h) => { listener(h, 443).port = 8443; } },
  "listener-https.protocol": { on: "full", change: (h) => { Object.assign(listener(h, 443), { protocol: "HTTP", certificates: [], sslPolicy: undefined }); } },
  "listener-https.certificateArn": { on: "full", change: (h) => { listener(h, 443).certificates = ["arn:aws:acm:us-east-1:123456789012:certificate/another"]; } },
  "listener-https.sslPolicy": { on: "full", change: (h) => { listener(h, 443).sslPolicy = "ELBSecurityPolicy-2016-08"; } },
  "listener-https.action": { on: "full", change: (h) => { Object.assign(listener(h, 443), { targetGroupArn: undefined, redirect: { Protocol: "HTTPS", Port: "443", Host: "elsewhere.example.com", StatusCode: "HTTP_302" } }); } },
  "listener-https.rules": { on: "full", change: (h) => { listener(h, 443).rules.push(structuredClone(adminRule)); } },
  "listener-https.tags": { on: "full", change: (h) => retag(listener(h, 443)) },
  "dns-validation-record.zoneId": { cannot: CANNOT_RENAME },
  "dns-validation-record.type": { cannot: CANNOT_RENAME },
  "dns-validation-record.name": { cannot: CANNOT_RENAME },
  "dns-validation-record.value": {
    on: "full",
    change: (h) => { const r = [...h.fake.route53.zones.values()][0]!.records.find((x) => x.Type === "CNAME")!; r.ResourceRecords = [{ Value: "changed.by.hand." }]; },
    refused: /not this stack's: refusing to take it over.*--take-over-dns/,
  },
};

const cases = driftTable().flatMap((row) => row.compared.map((field) => ({ row, field, id: `${row.keys[0]}.${field}` })));

/** Each kind of stack, built once (with an app deployed, so the service runs a task) and copied for each test. */
const built = new Map<Stack, Promise<HarnessSnapshot>>();
function stackOf(on: Stack): Promise<HarnessSnapshot> {
  if (!built.has(on)) {
    built.set(on, withHarness(async (h) => {
      if (on === "full") h.fake.createHostedZone("example.com");
      await h.up("--config", h.writeSpec(SPECS[on]));
      h.fake.pushImage(APP, "v1");
      const r = await h.cli(["deploy", "--tag", "v1", "--config", h.writeSpec(SPECS[on])]);
      assert.equal(r.code, 0, r.stderr);
      return h.snapshot();
    }));
  }
  return built.get(on)!;
}

type PlanJson = { changes: { key: string; action: string; diffs: { field: string; path: string; leftAlone?: string; before?: unknown; after?: unknown }[] }[] };

describe("the drift table", () => {
  it("has a change by hand (or the reason there can be none) for every compared field, and nothing else", () => {
    assert.deepEqual(cases.map((c) => c.id).sort(), Object.keys(BY_HAND).sort());
  });

  it("is the README's", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const table = readme.split("<!-- drift-table -->")[1];
    assert.equal(table?.trim(), driftTableMarkdown(), "README.md's drift table, between its <!-- drift-table --> markers, should be:");
  });

  it("fields no change by hand can reach are ones `up` replaces, or the resource's identity", () => {
    for (const { row, field, id } of cases) {
      const entry = BY_HAND[id];
      if (entry && "cannot" in entry && entry.cannot === CANNOT_RENAME) assert.ok(row.replaced.includes(field), `${id}: in replaceOn`);
    }
  });
});

describe("drift, field by field (generated from the drift table)", () => {
  for (const { row, field, id } of cases) {
    const entry = BY_HAND[id];
    if (!entry || "cannot" in entry) continue;
    const key = row.keys[0]!;
    const leftAlone = field in row.leftAlone;
    const outcome = entry.refused ? "up refuses it, saying why" : leftAlone ? "up leaves it alone, saying why" : "up repairs it";
    it(`${id}: plan exits 2 naming it; ${outcome}; the next up makes no mutating call`, async () => withHarness(async (h) => {
      const config = ["--config", h.writeSpec(SPECS[entry.on ?? "base"])];
      entry.change(h);
      const plan = await h.cli(["plan", "--detailed-exitcode", "--json", ...config]);
      assert.equal(plan.code, 2, `plan sees the drift:\n${plan.stdout}${plan.stderr}`);
      const diffs = (JSON.parse(plan.stdout) as PlanJson).changes.find((c) => c.key === key)?.diffs ?? [];
      assert.ok(diffs.some((d) => d.field === field), `plan names ${field}: ${JSON.stringify(diffs)}`);
      // (the hash of the generated password is random)
      matches(`${id}: plan`, normalize(diffs.map((d) => (d.field === "passwordHash" ? { ...d, after: "<hash>" } : d))));
      if (entry.refused) {
        assert.match(plan.stderr, entry.refused, "plan says up will refuse it, and why");
        assert.ok(row.limits[field], `${id}: the table says when up cannot repair it`);
      }

      h.resetCalls();
      const up = await h.cli(["up", "--yes", ...config]);
      matches(`${id}: up`, h.fake.mutatingCalls().map(callLine).sort());
      if (entry.refused) {
        assert.equal(up.code, 2, up.stderr);
        assert.match(up.stderr, entry.refused);
      } else {
        assert.equal(up.code, 0, up.stderr);
        if (leftAlone) assert.match(up.stderr, new RegExp(`Left alone: ${field}\\b.*: ${row.leftAlone[field]!.slice(0, 20)}`));
      }
      h.resetCalls();
      const again = await h.cli(["up", "--yes", "--json", ...config]);
      assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), [], "the next up changes nothing");
      if (!entry.refused && !leftAlone) {
        const still = (JSON.parse(again.stdout) as PlanJson).changes.find((c) => c.key === key)?.diffs.filter((d) => d.field === field);
        assert.deepEqual(still, [], `${field} repaired`);
      }
    }, {}, await stackOf(entry.on ?? "base")));
  }
});

describe("rules added by hand to a listener", () => {
  it("show in the plan as a person reads them, and up deletes every one", async () => withHarness(async (h) => {
    const config = ["--config", h.writeSpec({})];
    const tgArn = tg(h).arn;
    const rule = (priority: string, conditions: ListenerRule["conditions"], actions: ListenerRule["actions"]): ListenerRule => ({ arn: `${adminRule.arn}${priority}`, priority, conditions, actions });
    listener(h, 80).rules.push(
      rule("5", [{ Field: "host-header", HostHeaderConfig: { Values: ["a.example.com", "b.example.com"] } }], [{ Type: "forward", TargetGroupArn: tgArn }]),
      rule("7", [{ Field: "path-pattern", PathPatternConfig: { Values: ["/old/*"] } }, { Field: "http-request-method", Values: ["GET"] }], [{ Type: "redirect", RedirectConfig: { Host: "new.example.com", StatusCode: "HTTP_302" } }]),
      rule("9", [{ Field: "path-pattern", Values: ["/admin/*"] }], [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503" } }, { Type: "authenticate-oidc" }]),
    );
    const plan = await h.cli(["plan", "--json", ...config]);
    const diffs = (JSON.parse(plan.stdout) as PlanJson).changes.find((c) => c.key === "listener-http")?.diffs ?? [];
    assert.deepEqual(diffs.map((d) => [d.field, d.before, d.after]), [["rules", [
      { priority: "5", if: "host-header a.example.com,b.example.com", then: `forward ${tgArn}` },
      { priority: "7", if: "path-pattern /old/* and http-request-method GET", then: "redirect new.example.com" },
      { priority: "9", if: "path-pattern /admin/*", then: "fixed-response 503, authenticate-oidc" },
    ], []]]);

    h.resetCalls();
    assert.equal((await h.cli(["up", "--yes", ...config])).code, 0);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), ["DeleteRule", "DeleteRule", "DeleteRule"], "the rules only: the listener's own settings are unchanged");
    assert.deepEqual(listener(h, 80).rules, []);
  }, {}, await stackOf("base")));
});
