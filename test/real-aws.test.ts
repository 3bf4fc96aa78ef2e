/** Issue 24: what a first real run on a fresh account, and faults after it, meet on AWS (modelled in the fake). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALL_RESOURCES } from "../src/stack/resources.js";
import { APP, TEST_ENV, withHarness, type Harness } from "./helpers.js";
import { TG_DEFAULT_ATTRIBUTES } from "./fake/elbv2.js";

describe("a sleeping stack (issue 24 item 6)", () => {
  it("up with a change the stopped database would have to take is refused at plan, saying wake first; nothing is called", async () => {
    await withHarness(async (h) => {
      await h.up();
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.status, "stopped");
      h.resetCalls();
      const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ database: { instanceClass: "db.t4g.small" } })]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /the database is stopped \(the stack is asleep\).*run `spontime-infra wake` \(or `up --wake`\) first/);
      assert.deepEqual(h.fake.mutatingCalls().filter((c) => c.service !== "s3"), [], "no ModifyDBInstance sent to a stopped instance (InvalidDBInstanceState)");
      const woken = await h.cli(["up", "--yes", "--wake", "--config", h.writeSpec({ database: { instanceClass: "db.t4g.small" } })]);
      assert.equal(woken.code, 0, woken.stderr);
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.instanceClass, "db.t4g.small");
    });
  });

  it("deploy and run on a sleeping stack are refused before any task starts, saying wake first", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      h.fake.pushImage(APP, "v2");
      h.resetCalls();
      const deploy = await h.cli(["deploy", "--tag", "v2"]);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, /the stack is asleep \(its database is stopped\): `deploy` would start tasks that cannot reach it\n\s+run `spontime-infra wake` first/);
      const run = await h.cli(["run", "--", "python", "manage.py", "migrate"]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /`run` would start tasks/);
      assert.deepEqual(h.fake.mutatingCalls(), [], "no revision registered, no service update, no task");
    });
  });
});

describe("IAM propagation on a first run (issue 24 item 1)", () => {
  it("schedules created right after their role: Scheduler's \"must allow ... to assume the role\" is retried with a progress line, and up converges in one run", async () => {
    await withHarness(async (h) => {
      const spec = h.writeSpec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } });
      const r = await h.cli(["up", "--yes", "--config", spec]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /CreateSchedule: an IAM role made a moment ago is not usable yet \(IAM propagates changes within seconds to minutes\); retrying for up to \d+ s more/);
      assert.equal(h.fake.scheduler.schedules.size, 4);
      assert.ok(h.fake.count("CreateSchedule") > 4, "the first attempts were refused, as Scheduler refuses a role not yet propagated");
      h.resetCalls();
      await h.up("--config", spec);
      assert.deepEqual(h.fake.mutatingCalls(), []);
    });
  });
});

describe("availability zones (issue 24 item 23)", () => {
  it("an AZ of another region, or not an AZ name, is refused offline with exit 2 before any AWS call; the second AZ too", async () => {
    await withHarness(async (h) => {
      for (const [zones, bad] of [[["mars-1a", "us-east-1b"], "mars-1a"], [["us-east-1a", "eu-west-1b"], "eu-west-1b"]] as const) {
        const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ availabilityZones: zones })]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`"${bad}" is not an AZ of region us-east-1`));
      }
      assert.deepEqual(h.fake.calls, []);
    });
  });

  it("an AZ the region does not have (DescribeAvailabilityZones) is refused before any change, the second one included", async () => {
    await withHarness(async (h) => {
      const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ availabilityZones: ["us-east-1a", "us-east-1z"] })]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /availabilityZones: us-east-1z is not an available AZ of us-east-1\n\s+pick two among us-east-1a, us-east-1b, us-east-1c, us-east-1d/);
      assert.deepEqual(h.fake.mutatingCalls(), []);
    });
  });
});

describe("the deployed image is a deploy fact (issue 24 item 21)", () => {
  it("deploy --image from another registry: later ups keep it, with no new revision and no redeploy", async () => {
    await withHarness(async (h) => {
      await h.up();
      const ours = h.fake.ecr.repos.get(APP)!;
      const other = { ...structuredClone(ours), name: "shared/api", uri: ours.uri.replace(`/${APP}`, "/shared/api"), images: new Map() };
      h.fake.ecr.repos.set(other.name, other);
      const image = h.fake.pushImage("shared/api", "v7");
      const deploy = await h.cli(["deploy", "--image", image]);
      assert.equal(deploy.code, 0, deploy.stderr);
      h.resetCalls();
      const plan = await h.cli(["plan", "--detailed-exitcode"]);
      assert.equal(plan.code, 0, plan.stdout);
      await h.up();
      assert.deepEqual(h.fake.mutatingCalls(), [], "no RegisterTaskDefinition, no UpdateService");
      const service = [...h.fake.ecs.services.values()][0]!;
      assert.equal(h.fake.ecs.taskDefs.get(service.taskDefinition)!.def.containerDefinitions![0]!.image, image);
    });
  });
});

describe("creates without an idempotency token or with one for identical settings only (issue 24 items 17, 18)", () => {
  const activeRevisions = (h: Harness) => [...h.fake.ecs.taskDefs.values()].filter((t) => t.def.family === APP && t.status === "ACTIVE").map((t) => t.revision);

  it("a lost RegisterTaskDefinition answer (the retry registers a second revision) leaves one ACTIVE revision, in up and in deploy", async () => {
    let at = 0;
    await withHarness(async (h) => {
      await h.up();
      at = h.fake.mutatingCalls().findIndex((c) => c.op === "RegisterTaskDefinition") + 1;
    });
    await withHarness(async (h) => {
      h.fake.loseResponse(at);
      await h.up();
      assert.equal(h.fake.count("RegisterTaskDefinition"), 2, "the SDK's retry registered again");
      assert.deepEqual(activeRevisions(h), [2], "the extra revision 1 is deregistered");
      h.fake.pushImage(APP, "v1");
      h.resetCalls();
      h.fake.loseResponse(1);
      const r = await h.cli(["deploy", "--tag", "v1"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(activeRevisions(h), [2, 4], "the revision the service ran stays (as ECS keeps it); the lost answer's copy (3) goes");
    });
  });

  it("CreateTargetGroup answering DuplicateTargetGroupName (one of ours with other settings appeared): adopted by name and tag, then updated", async () => {
    await withHarness(async (h) => {
      h.fake.onCall = (op, input) => {
        if (op !== "CreateTargetGroup" || h.fake.elb.tgs.size) return;
        // A racing run that crashed made it a moment ago, with the health check path of an older spec.
        const i = input as { Name: string; Protocol: string; Port: number; VpcId: string; TargetType: string; Tags: { Key: string; Value: string }[] };
        const arn = h.fake.arn("elasticloadbalancing", `targetgroup/${i.Name}/old`);
        h.fake.elb.tgs.set(arn, {
          arn, name: i.Name, protocol: i.Protocol, port: i.Port, vpcId: i.VpcId, targetType: i.TargetType,
          healthCheckPath: "/old-health", interval: 30, timeout: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200", deregistrationDelay: "300",
          healthCheckEnabled: true, healthCheckProtocol: "HTTP", healthCheckPort: "traffic-port", attributes: { ...TG_DEFAULT_ATTRIBUTES },
          tags: Object.fromEntries(i.Tags.map((t) => [t.Key, t.Value])),
        });
      };
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(h.fake.elb.tgs.size, 1);
      assert.equal([...h.fake.elb.tgs.values()][0]!.healthCheckPath, "/health");
    });
  });
});

describe("RDS storage rules refused at plan (issue 24 item 8)", () => {
  it("an increase under 10% and a change within 6 hours of the last one are refused before any call, with AWS's rule; after 6 hours it goes", async () => {
    await withHarness(async (h) => {
      await h.up();
      const spec = (gb: number) => h.writeSpec({ database: { allocatedStorage: gb } });
      h.resetCalls();
      const small = await h.cli(["up", "--yes", "--config", spec(21)]);
      assert.equal(small.code, 2, small.stderr);
      assert.match(small.stderr, /RDS takes a storage increase of at least 10% \(20 GB → at least 22 GB, not 21 GB\)/);
      assert.equal((await h.cli(["plan", "--config", spec(21)])).code, 2, "plan says so too");
      assert.deepEqual(h.fake.mutatingCalls(), []);

      await h.up("--config", spec(25));
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.allocatedStorage, 25);
      h.resetCalls();
      const soon = await h.cli(["up", "--yes", "--config", spec(30)]);
      assert.equal(soon.code, 2, soon.stderr);
      assert.match(soon.stderr, /RDS takes no storage change within 6 hours of the last one: try again after \d{4}-\d\d-\d\dT/);
      assert.deepEqual(h.fake.mutatingCalls(), []);

      await h.clock.run(() => h.clock.sleep(6 * 3_600_000));
      await h.up("--config", spec(30));
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.allocatedStorage, 30);
    });
  });
});

describe("partitions (issue 24 item 4)", () => {
  it("a stack in China (aws-cn): every ARN the tool builds is in the region's partition; up converges, the CI policy and the state bucket's policy name aws-cn", async () => {
    await withHarness(async (h) => {
      const spec = h.writeSpec({ region: "cn-north-1", schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Asia/Shanghai" } });
      const env = { ...TEST_ENV, AWS_REGION: "cn-north-1" };
      const r = await h.cli(["up", "--yes", "--config", spec], { env });
      assert.equal(r.code, 0, r.stderr);
      const role = [...h.fake.iam.roles.values()].find((x) => x.policies.size)!;
      assert.deepEqual([...role.policies], ["arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]);
      assert.ok([...h.fake.scheduler.schedules.values()].every((s) => s.target.Arn.startsWith("arn:aws-cn:scheduler:::aws-sdk:")));
      const policy = (await h.cli(["ci-policy", "--config", spec], { env })).stdout;
      assert.match(policy, /arn:aws-cn:/);
      assert.doesNotMatch(policy, /arn:aws:/);
      assert.equal((await h.cli(["state", "bootstrap", "--bucket", "acme-cn-state", "--config", spec], { env })).code, 0);
      assert.doesNotMatch(h.fake.s3.buckets.get("acme-cn-state")!.policy!, /arn:aws:/);
    }, { region: "cn-north-1" });
  });
});

describe("stuck on ownership: each message says exactly what to run (issue 24 item 25)", () => {
  it("the stack tag removed by hand from a subnet, and a task definition revision registered untagged: the exact tagging command; after it, up converges", async () => {
    await withHarness(async (h) => {
      await h.up();
      const subnet = [...h.fake.ec2.subnets.values()][0]!;
      delete subnet.tags["spontime:stack"];
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`put it back with \`aws ec2 create-tags --resources ${subnet.id} --tags Key=spontime:stack,Value=${APP}\` and run again`));
      subnet.tags["spontime:stack"] = APP; // what that command does

      const latest = [...h.fake.ecs.taskDefs.values()].at(-1)!;
      const byHand = { ...structuredClone(latest), revision: latest.revision + 1, arn: latest.arn.replace(/:\d+$/, `:${latest.revision + 1}`), tags: {} };
      h.fake.ecs.taskDefs.set(byHand.arn, byHand);
      const td = await h.cli(["up", "--yes"]);
      assert.equal(td.code, 2, td.stderr);
      assert.match(td.stderr, new RegExp(`put it back with \`aws ecs tag-resource --resource-arn ${byHand.arn} --tags key=spontime:stack,value=${APP}\``));
      byHand.tags = { "spontime:stack": APP };
      assert.equal((await h.cli(["up", "--yes"])).code, 0);
    });
  });
});

describe("replacements (issue 24 item 19)", () => {
  /** Spec changes that make each replaceOn field differ, from the default stack (https ones from a stack at api.example.com). */
  /**
   * `enisLinger`: the old subnet is deleted at the end of the run, once the ALB has moved to the new one; the
   * ALB's old network interfaces stay a while after (as EC2 documents for load balancer ENIs), so that delete
   * waits minutes, not the 30-minute in-use loop of a delete-first replacement.
   */
  const SCENARIOS: { name: string; https?: boolean; spec: object; covers: string[]; refused?: RegExp; enisLinger?: boolean }[] = [
    {
      name: "a domain in another hosted zone", https: true, spec: { https: { domain: "www.example.org" } },
      covers: ["certificate.domain", "certificate-validation.certificateArn", "dns-validation-record.zoneId", "dns-validation-record.name", "dns-alias-record.zoneId", "dns-alias-record.name"],
    },
    { name: "public subnet CIDRs", spec: { network: { publicSubnets: ["10.0.3.0/24", "10.0.4.0/24"] } }, covers: ["subnet-public-a.cidr", "subnet-public-b.cidr"], enisLinger: true },
    {
      name: "the second AZ, with new CIDRs", spec: { availabilityZones: ["us-east-1a", "us-east-1c"], network: { publicSubnets: ["10.0.1.0/24", "10.0.4.0/24"], privateSubnets: ["10.0.10.0/24", "10.0.13.0/24"] } },
      covers: ["subnet-public-b.availabilityZone", "subnet-private-b.availabilityZone"], enisLinger: true,
    },
    { name: "the second AZ with the same CIDRs", spec: { availabilityZones: ["us-east-1a", "us-east-1c"] }, covers: [], refused: /a subnet cannot move to another AZ .* give network\.publicSubnets\[1\] a new CIDR together with the new AZ/ },
    { name: "the first AZ (the database's)", spec: { availabilityZones: ["us-east-1c", "us-east-1b"] }, covers: ["subnet-public-a.availabilityZone", "subnet-private-a.availabilityZone", "db-instance.availabilityZone"], refused: /the database lives in this subnet and RDS cannot move it to a new AZ \(us-east-1a → us-east-1c\): set it back to us-east-1a, or run `spontime-infra down`/ },
    { name: "the private subnet CIDRs", spec: { network: { privateSubnets: ["10.0.12.0/24", "10.0.13.0/24"] } }, covers: ["subnet-private-a.cidr", "subnet-private-b.cidr"], refused: /the database lives in this subnet and RDS cannot move it to a new CIDR \(10\.0\.10\.0\/24 → 10\.0\.12\.0\/24\): set it back to 10\.0\.10\.0\/24/ },
    { name: "the VPC CIDR", spec: { network: { vpcCidr: "10.1.0.0/16", publicSubnets: ["10.1.1.0/24", "10.1.2.0/24"], privateSubnets: ["10.1.10.0/24", "10.1.11.0/24"] } }, covers: ["vpc.cidr"], refused: /a VPC's CIDR cannot change/ },
    {
      name: "every task definition field the spec sets",
      spec: { app: { cpu: 512, memory: 1024, architecture: "ARM64", containerPort: 8080, environment: { FEATURE: "on" }, containerHealthCheck: true, secrets: { API_KEY: "arn:aws:ssm:us-east-1:123456789012:parameter/api-key" } } },
      covers: ["task-definition.cpu", "task-definition.memory", "task-definition.architecture", "task-definition.containerPort", "task-definition.environment", "task-definition.secrets", "task-definition.containerHealthCheck"],
    },
    { name: "the database's name and user", spec: { database: { name: "other", username: "owner" } }, covers: ["db-instance.dbName", "db-instance.username"] },
  ];
  /** Fields no spec change reaches: set by the code, or named after appName (a new appName is a new stack). */
  const FIXED: Record<string, string> = Object.fromEntries([
    ...["subnet-public-a", "subnet-public-b", "subnet-private-a", "subnet-private-b", "route-table-public", "sg-alb", "sg-ecs", "sg-rds", "target-group"].map((k) => [`${k}.vpcId`, "the VPC is never replaced (its CIDR change is refused)"]),
    ...["sg-alb", "sg-ecs", "sg-rds"].flatMap((k) => [[`${k}.name`, "named after appName"], [`${k}.description`, "set by the code"]]),
    ["db-instance.engine", "postgres, set by the code"], ["db-instance.storageEncrypted", "set by the code"], ["db-instance.dbSubnetGroup", "named after appName"],
    ["load-balancer.scheme", "internet-facing, set by the code"], ["target-group.protocol", "HTTP, set by the code"], ["target-group.targetType", "ip, set by the code"],
    ["listener-http.loadBalancerArn", "the load balancer is never replaced (its scheme is fixed)"], ["listener-https.loadBalancerArn", "the load balancer is never replaced"],
    ["ecs-service.cluster", "named after appName"], ["certificate.validation", "DNS, set by the code"],
    ["dns-validation-record.type", "CNAME, set by the code"], ["dns-alias-record.type", "A, set by the code"],
    ["task-definition.executionRoleArn", "named after appName and region"], ["task-definition.logGroup", "named after appName"], ["task-definition.repositoryUri", "named after appName; a deployed image keeps it (item 21)"],
  ]);

  it("every replaceOn field of every kind is reached by a scenario below, or fixed by the code", () => {
    const fields = ALL_RESOURCES.flatMap((r) => (r.replaceOn ?? []).map((f: string) => `${r.key}.${f}`)).sort();
    assert.deepEqual([...SCENARIOS.flatMap((s) => s.covers), ...Object.keys(FIXED)].sort(), fields);
  });

  for (const s of SCENARIOS) {
    it(`${s.name}: ${s.refused ? "refused at plan, before any call" : "one run converges, with no in-use retry and no duplicate"}`, async () => {
      await withHarness(async (h) => {
        const base = s.https ? { https: { domain: "api.example.com" } } : {};
        if (s.https) { h.fake.createHostedZone("example.com"); h.fake.createHostedZone("example.org"); }
        const first = h.writeSpec(base);
        await h.up("--config", first);
        h.fake.pushImage(APP, "v1");
        assert.equal((await h.cli(["deploy", "--tag", "v1", "--config", first])).code, 0);
        const before = h.fake.taggedResources(APP).length;
        h.resetCalls();
        const spec = h.writeSpec({ ...base, ...s.spec });
        const r = await h.cli(["up", "--yes", "--config", spec]);
        if (s.refused) {
          assert.equal(r.code, 2, r.stderr);
          assert.match(r.stderr, s.refused);
          assert.deepEqual(h.fake.mutatingCalls(), []);
          return;
        }
        assert.equal(r.code, 0, r.stderr);
        if (!s.enisLinger) assert.doesNotMatch(r.stderr, /still in use/);
        else assert.ok(h.fake.calls.at(-1)!.at - h.fake.calls[0]!.at < 10 * 60_000, "the old subnet goes once the ALB's ENIs are released");
        assert.equal(h.fake.taggedResources(APP).length, before, "each replaced resource once, the old one gone");
        assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", spec])).code, 0, "converged");
      });
    });
  }
});
