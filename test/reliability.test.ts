import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { awsError } from "./fake/aws.js";
import { APP, Harness, withHarness } from "./helpers.js";
import { assertConverged, KINDS, kinds } from "./convergence.js";

describe("lost or stale state", () => {
  it("a deleted state file: up adopts every resource by tag with zero creates and recovers the secrets", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      const before = h.state().resources.secrets!.outputs;
      rmSync(h.statePath);
      h.resetCalls();
      await h.up();
      assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), [], "nothing created, nothing changed");
      assert.deepEqual(h.state().resources.secrets!.outputs, before, "secrets read back from the live task definition");
      assertConverged(h, "after a lost state file");
    });
  });

  it("a stale state file from a stack that is gone: up recreates everything without errors about missing ids", async () => {
    await withHarness(async (h) => {
      await h.up();
      const old = readFileSync(h.statePath, "utf8");
      assert.equal((await h.cli(["down", "--yes", "--skip-final-snapshot"])).code, 0);
      writeFileSync(h.statePath, old, { mode: 0o600 });
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /NotFound/);
      assertConverged(h, "from a stale state file");
    });
  });
});

describe("transient and permanent faults", () => {
  for (const seed of [7, 11, 17, 23]) {
    it(`with 30% of calls throttled or failing 5xx and EC2 answering NotFound after creates, up and down still converge (seed ${seed})`, async () => {
      await withHarness(async (h) => {
        const r = await h.cli(["up", "--yes"]);
        assert.equal(r.code, 0, r.stderr);
        assertConverged(h, "under faults");
        assert.ok(h.fake.faultsInjected > 20, `faults were injected and survived (${h.fake.faultsInjected})`);
        const d = await h.cli(["down", "--yes"]);
        assert.equal(d.code, 0, d.stderr);
        assert.deepEqual(h.fake.taggedResources(APP), []);
      }, { faultRate: 0.3, eventualConsistency: 0.5, seed });
    });
  }

  it("a call that keeps failing is retried with a line at least every 10 s, then fails with what AWS said", async () => {
    await withHarness(async (h) => {
      h.fake.failWith = (op) => (op === "DescribeVpcs" ? awsError("ServiceUnavailable", "Service is unavailable", 503) : undefined);
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 1);
      const told = r.stderr.split("\n").filter((l) => l.startsWith("DescribeVpcs keeps failing, retrying for up to "));
      // 120 s of retries, told at least every 10 s: 11 lines or more, each with AWS's answer.
      assert.ok(told.length >= 11, `told ${told.length} times:\n${r.stderr}`);
      assert.match(told[0]!, /s more: Service is unavailable \(ServiceUnavailable/);
      assert.match(r.stderr, /DescribeVpcs kept failing until its deadline/);
    });
  });

  it("a permanent error fails fast with the AWS message and the resource, while unrelated branches finish", async () => {
    await withHarness(async (h) => {
      h.fake.failWith = (op) => (op === "CreateLoadBalancer" ? awsError("AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: elasticloadbalancing:CreateLoadBalancer") : undefined);
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\n  - create application load balancer spontime-poc-alb \(HTTP\): User: \S+ is not authorized to perform: elasticloadbalancing:CreateLoadBalancer \(AccessDenied, request req-\w+\)\n/);
      assert.doesNotMatch(r.stderr, /\(HTTP\): create application load balancer/, "the resource is named once");
      assert.equal(h.fake.count("CreateLoadBalancer"), 1, "not retried");
      assert.equal(h.fake.rds.instances.get(`${APP}-db`)?.status, "available", "the RDS branch finished");
      assert.match(r.stderr, /dependent resource\(s\) were not attempted/);
    });
  });
});

describe("resources that fail while AWS works on them", () => {
  it("an RDS instance that ends in `failed` stops the run with its status, instead of counting as ready", async () => {
    await withHarness(async (h) => {
      h.fake.onCall = (op) => {
        const db = h.fake.rds.instances.get(`${APP}-db`)!;
        if (op === "DescribeDBInstances" && db?.status === "creating") db.nextStatus = "failed";
      };
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /RDS PostgreSQL .* \(spontime-poc-db\) failed: status failed/);
      assert.equal(h.fake.count("RegisterTaskDefinition"), 0, "nothing was built on a failed database");
    });
  });
});

describe("drift", () => {
  it("rules, retention, a deleted listener, desired count and a removed tag: plan shows each, status marks it, up repairs it", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      const rdsSg = [...h.fake.ec2.sgs.values()].find((g) => g.name === `${APP}-sg-rds`)!;
      rdsSg.rules.push({ protocol: "tcp", from: 5432, to: 5432, kind: "IpRanges", source: "0.0.0.0/0" });
      h.fake.logs.groups.get(`/ecs/${APP}`)!.retention = 365;
      h.fake.elb.listeners.clear();
      [...h.fake.ecs.services.values()][0].desiredCount = 3;
      delete [...h.fake.ec2.subnets.values()][0].tags["spontime:resource"];

      const plan = (await h.cli(["plan"])).stdout;
      // The rule added by hand is what AWS has and the spec lacks: a `-` line of the ingress rules' line diff.
      assert.match(plan, /~ security group: RDS.*\n\s+ingress:\n[^]*?\n\s+- +"cidr": "0\.0\.0\.0\/0",\n/);
      assert.match(plan, /~ log group .*\n\s+retentionDays: 365 → 7/);
      assert.match(plan, /\+ HTTP listener :80/);
      assert.match(plan, /~ ECS service .*\n\s+desiredCount: 3 → 1/);
      assert.match(plan, /~ public subnet 10\.0\.1\.0\/24.*\n\s+tags\.spontime:resource: \(none\) → "subnet-public-a"\n/);
      const status = JSON.parse((await h.cli(["status", "--json"])).stdout);
      const sync = Object.fromEntries(status.resources.map((r: { key: string; sync: string }) => [r.key, r.sync]));
      assert.deepEqual([sync["sg-rds"], sync["log-group"], sync["listener-http"], sync["ecs-service"], sync["subnet-public-a"]], ["drifted", "drifted", "missing", "drifted", "drifted"]);

      await h.up();
      assert.deepEqual(rdsSg.rules.map((r: { source: string }) => r.source), [[...h.fake.ec2.sgs.values()].find((g) => g.name === `${APP}-sg-ecs`)!.id]);
      assert.equal(h.fake.logs.groups.get(`/ecs/${APP}`)?.retention, 7);
      assert.equal(h.fake.elb.listeners.size, 1);
      assert.equal([...h.fake.ecs.services.values()][0].desiredCount, 1);
      assert.equal([...h.fake.ec2.subnets.values()][0].tags["spontime:resource"], "subnet-public-a");
      assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 0);
    });
  });
});

describe("concurrency and locks", () => {
  it("two ups at once: one runs, the other exits 2 naming the lock holder", async () => {
    await withHarness(async (h) => {
      const [a, b] = await h.cliConcurrently([["up", "--yes"], ["up", "--yes"]]);
      assert.deepEqual([a!.code, b!.code].sort(), [0, 2]);
      const loser = a!.code === 2 ? a! : b!;
      assert.match(loser.stderr, new RegExp(`state is locked by pid ${process.pid} on ${hostname()} \\(\`up\` since \\S+\\)`));
      assert.deepEqual(kinds(h), KINDS);
    });
  });

  it("a lock left by a killed process on this machine is stale: taken over without a flag, and said so", async () => {
    await withHarness(async (h) => {
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
      (await import("node:fs")).mkdirSync(h.stateDir, { recursive: true });
      writeFileSync(join(h.stateDir, `${APP}.lock`), JSON.stringify({ pid: dead, host: hostname(), user: "alice", since: "2026-11-26T10:00:00Z", command: "up" }));
      const taken = await h.cli(["up", "--yes"]);
      assert.equal(taken.code, 0, taken.stderr);
      assert.match(taken.stderr, new RegExp(`Taking over the lock of pid ${dead} on ${hostname()} \\(\`up\` since 2026-11-26T10:00:00Z\\), started by alice: that process is no longer running`));
      assert.ok(!existsSync(join(h.stateDir, `${APP}.lock`)));
    });
  });
});

describe("interrupt", () => {
  it("Ctrl-C during up: starts nothing new, saves state, says to re-run; the re-run converges", async () => {
    await withHarness(async (h) => {
      const stop = new AbortController();
      h.fake.onCall = (op) => { if (op === "CreateDBInstance") stop.abort(); };
      const r = await h.cli(["up", "--yes"], { signal: stop.signal });
      h.fake.onCall = undefined;
      assert.equal(r.code, 130);
      assert.match(r.stderr, /Interrupted: calls in flight finished and state is saved\. Run `spontime-infra up` again/);
      assert.ok(h.state().resources["db-instance"], "the in-flight RDS create was recorded");
      assert.equal(h.fake.count("CreateService"), 0, "nothing new started");
      assert.equal((await h.cli(["up", "--yes"])).code, 0);
      assertConverged(h, "after an interrupt");
    });
  });
});

describe("bad input never reaches AWS", () => {
  const cases: [string, (h: Harness) => void, RegExp][] = [
    ["corrupt state file", (h) => writeFileSync(h.statePath, "{ not json"), /state file .* is corrupt \(not JSON\)/],
    ["state from a newer format", (h) => writeFileSync(h.statePath, JSON.stringify({ version: 9, app: APP, region: "us-east-1", resources: {} })), /is format 9, newer than this spontime-infra understands/],
    ["state of another app", (h) => writeFileSync(h.statePath, JSON.stringify({ version: 1, app: "other", region: "us-east-1", resources: {} })), /belongs to app other, not spontime-poc/],
    ["state of another region", (h) => writeFileSync(h.statePath, JSON.stringify({ version: 1, app: APP, region: "eu-west-1", resources: {} })), /is for region eu-west-1, not us-east-1/],
  ];
  for (const [name, setup, message] of cases) {
    it(`${name}: exit 2, one line and a hint`, async () => {
      await withHarness(async (h) => {
        (await import("node:fs")).mkdirSync(h.stateDir, { recursive: true });
        setup(h);
        for (const argv of [["validate"], ["plan"], ["up", "--yes"], ["down", "--yes"]]) {
          const r = await h.cli(argv);
          assert.equal(r.code, 2, `${argv[0]}: ${r.stderr}`);
          assert.match(r.stderr, message);
        }
        assert.equal(h.fake.calls.length, 0);
      });
    });
  }

  it("unknown command or flag: exit 2", async () => {
    await withHarness(async (h) => {
      assert.equal((await h.cli(["upp"])).code, 2);
      const flag = await h.cli(["up", "--yess"]);
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /unknown option '--yess'/);
      assert.equal(h.fake.calls.length, 0);
    });
  });

  it("missing credentials: one clear line, exit 2; plan goes offline instead", async () => {
    await withHarness(async (h) => {
      const env = { HOME: h.dir, NO_COLOR: "1" };
      const up = await h.cli(["up", "--yes"], { env });
      assert.equal(up.code, 2);
      assert.match(up.stderr, /^error: no AWS credentials found\n\s+set AWS_PROFILE/);
      assert.doesNotMatch(up.stderr, /at .*\.js/);
      const plan = await h.cli(["plan"], { env });
      assert.equal(plan.code, 0);
      assert.match(plan.stderr, /No AWS credentials: planning from the state file alone/);
      assert.equal(h.fake.calls.length, 0);
    });
  });

  it("expired credentials: says so, exit 2", async () => {
    await withHarness(async (h) => {
      h.fake.failWith = () => awsError("ExpiredTokenException", "The security token included in the request is expired");
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /AWS credentials have expired/);
    });
  });
});

describe("secrets", () => {
  it("are never printed: plans, --json and status redact them; only outputs --show-secrets shows them", async () => {
    await withHarness(async (h) => {
      await h.up();
      const { dbPassword, secretKey } = h.state().resources.secrets!.outputs as { dbPassword: string; secretKey: string };
      const spec = join(h.dir, "spec.json");
      writeFileSync(spec, JSON.stringify({ app: { debug: false } }));
      // A live revision whose DATABASE_URL points elsewhere: the plan must show that value changing, password hidden.
      const live = [...h.fake.ecs.taskDefs.values()].find((t) => t.status === "ACTIVE")!;
      const env = live.def.containerDefinitions![0]!.environment!.find((v) => v.name === "DATABASE_URL")!;
      env.value = env.value!.replace(/@[^:]+:/, "@old-host:");
      const outputs = [await h.cli(["plan", "--config", spec]), await h.cli(["plan", "--config", spec, "--json"]), await h.cli(["status", "--json"]), await h.cli(["outputs"]), await h.cli(["up", "--yes", "--config", spec, "--json"])];
      assert.match(outputs[0]!.stdout, /environment\.DATABASE_URL: "postgis:\/\/spontime:\(sensitive\)@old-host:5432\/spontime" → "postgis:\/\/spontime:\(sensitive\)@/, "the diff is shown, the secret is not");
      for (const o of outputs) {
        assert.ok(!(o.stdout + o.stderr).includes(dbPassword), "no password");
        assert.ok(!(o.stdout + o.stderr).includes(secretKey), "no SECRET_KEY");
      }
      const shown = await h.cli(["outputs", "--show-secrets"]);
      assert.ok(shown.stdout.includes(dbPassword));
    });
  });

  it("a state file readable by others is reported", async () => {
    await withHarness(async (h) => {
      await h.up();
      chmodSync(h.statePath, 0o644);
      const r = await h.cli(["validate"]);
      assert.match(r.stderr, /is readable by others \(mode 644\): it holds secrets; run chmod 600/);
      unlinkSync(h.statePath);
    });
  });
});

describe("security invariants of the built stack", () => {
  it("RDS private, the only open ingress is ALB:80, ECS only from the ALB, RDS only from ECS, the role has only the execution policy", async () => {
    await withHarness(async (h) => {
      await h.up();
      const db = h.fake.rds.instances.get(`${APP}-db`)!;
      assert.equal(db.public, false);
      const privateSubnets = [...h.fake.ec2.subnets.values()].filter((s) => s.tags["spontime:resource"].startsWith("subnet-private")).map((s) => s.id).sort();
      assert.deepEqual([...h.fake.rds.subnetGroups.get(`${APP}-db-subnets`)!.subnets].sort(), privateSubnets);
      const sg = (key: string) => [...h.fake.ec2.sgs.values()].find((g) => g.tags["spontime:resource"] === key)!;
      const open = [...h.fake.ec2.sgs.values()].flatMap((g) => g.rules.filter((r: { source: string }) => r.source === "0.0.0.0/0").map((r: { from: number }) => `${g.tags["spontime:resource"]}:${r.from}`));
      assert.deepEqual(open, ["sg-alb:80"]);
      assert.deepEqual(sg("sg-ecs").rules, [{ protocol: "tcp", from: 8000, to: 8000, kind: "UserIdGroupPairs", source: sg("sg-alb").id }]);
      assert.deepEqual(sg("sg-rds").rules, [{ protocol: "tcp", from: 5432, to: 5432, kind: "UserIdGroupPairs", source: sg("sg-ecs").id }]);
      assert.deepEqual([...h.fake.iam.roles.get(`${APP}-us-east-1-ecs-execution`)!.policies], ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]);
    });
  });
});
