/**
 * Issue 12 (right on a real AWS account) and issue 14 §4 (tags): each test models one behaviour of real AWS in
 * the fake (the fake's files carry the source of each) and fails without the product's handling of it.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { awsError, type FakeAws } from "./fake/aws.js";
import type { Tags } from "./fake/common.js";
import { APP, Harness, withHarness } from "./helpers.js";

const OTHER = "other-app";
const MINUTE = 60_000;

/** Writes a spec file into the test's directory and returns `--config <file>`. */
function config(h: Harness, value: object, name = "spec.json"): string[] {
  const file = join(h.dir, name);
  writeFileSync(file, JSON.stringify(value));
  return ["--config", file];
}

const ops = (h: Harness) => h.fake.calls.map((c) => c.op);
const mutating = (h: Harness) => h.fake.mutatingCalls().map((c) => c.op);
const db = (h: Harness, app = APP) => h.fake.rds.instances.get(`${app}-db`)!;
const service = (h: Harness, app = APP) => [...h.fake.ecs.services.values()].find((s) => s.name === app && s.status !== "INACTIVE")!;
const sg = (h: Harness, key: string) => [...h.fake.ec2.sgs.values()].find((g) => g.name === `${APP}-${key}`)!;

/** Every live item of the fake that carries tags, with what it is: what the ownership and tag tests walk. */
function taggedItems(fake: FakeAws): { what: string; tags: Tags }[] {
  const { ec2, elb, rds, ecs, ecr, logs, iam } = fake.state;
  const running = new Set([...ecs.services.values()].filter((s) => s.status !== "INACTIVE").map((s) => s.taskDefinition));
  const groups: Record<string, Iterable<{ tags: Tags }>> = {
    "ec2:vpc": ec2.vpcs.values(), "ec2:igw": ec2.igws.values(), "ec2:subnet": ec2.subnets.values(), "ec2:route-table": ec2.routeTables.values(),
    "ec2:security-group": ec2.sgs.values(), "elbv2:load-balancer": elb.lbs.values(), "elbv2:target-group": elb.tgs.values(),
    "elbv2:listener": elb.listeners.values(), "rds:db-subnet-group": rds.subnetGroups.values(), "rds:db-instance": rds.instances.values(),
    "ecs:cluster": [...ecs.clusters.values()].filter((c) => c.status === "ACTIVE"), "ecs:service": [...ecs.services.values()].filter((s) => s.status !== "INACTIVE"),
    // The revision the service runs: earlier revisions are history ECS keeps.
    "ecs:task-definition": [...ecs.taskDefs.values()].filter((t) => running.has(t.arn)),
    "ecr:repository": ecr.repos.values(), "logs:log-group": logs.groups.values(), "iam:role": iam.roles.values(),
  };
  return Object.entries(groups).flatMap(([kind, items]) => [...items].map((x) => ({ what: `${kind} ${x.tags["spontime:resource"]}`, tags: x.tags })));
}
const ofStack = (fake: FakeAws, app: string) => taggedItems(fake).filter((x) => x.tags["spontime:stack"] === app);

describe("a real account's traps (issue 12 §1)", () => {
  it("a brand-new account: the ECS service-linked role is created before the first cluster; 'has been taken' later is fine", async () => {
    await withHarness(async (h) => {
      await h.up();
      const role = h.fake.calls.findIndex((c) => c.op === "CreateServiceLinkedRole" && (c.input as { AWSServiceName?: string }).AWSServiceName === "ecs.amazonaws.com");
      assert.ok(role >= 0, "CreateServiceLinkedRole for ecs.amazonaws.com was called");
      assert.ok(role < ops(h).indexOf("CreateCluster"), "before CreateCluster");
      assert.equal(h.fake.count("CreateCluster"), 1, "the first CreateCluster works: no 'Unable to assume the service linked role'");
      // A second stack in the account asks for the role again: IAM answers that the name has been taken.
      h.resetCalls();
      assert.equal((await h.cli(["up", "--yes", ...config(h, { appName: OTHER })])).code, 0);
      assert.equal(h.fake.count("CreateServiceLinkedRole"), 1);
      assert.equal(h.fake.count("CreateCluster"), 1);
      assert.equal(ofStack(h.fake, OTHER).filter((x) => x.what.startsWith("ecs:cluster")).length, 1);
    }, { newAccount: true });
  });

  it("AZs: the DB and the primary subnets go where RDS offers the class, plan names them, state keeps them; explicit AZs without the class are refused", async () => {
    await withHarness(async (h) => {
      const plan = await h.cli(["plan"]);
      assert.match(plan.stdout, /RDS PostgreSQL .*\(us-east-1b\)/);
      assert.match(plan.stdout, /public subnet 10\.0\.1\.0\/24 \(us-east-1b\)/);
      assert.match(plan.stdout, /public subnet 10\.0\.2\.0\/24 \(us-east-1c\)/);
      await h.up();
      assert.equal(db(h).az, "us-east-1b");
      const azOf = (key: string) => h.state().resources[key]!.outputs.availabilityZone;
      assert.deepEqual([azOf("subnet-public-a"), azOf("subnet-public-b"), azOf("subnet-private-a")], ["us-east-1b", "us-east-1c", "us-east-1b"]);
      // RDS stops offering the class in b too: the stack stays where it is (the choice is in state).
      (h.fake as unknown as { options: { dbClassMissingIn: Record<string, string[]> } }).options.dbClassMissingIn["db.t4g.micro"] = ["a", "b"];
      h.resetCalls();
      await h.up();
      assert.deepEqual(mutating(h), []);
      assert.equal(db(h).az, "us-east-1b");
    }, { dbClassMissingIn: { "db.t4g.micro": ["a"] } });

    await withHarness(async (h) => {
      const r = await h.cli(["up", "--yes", ...config(h, { availabilityZones: ["us-east-1a", "us-east-1b"] })]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /us-east-1a does not offer db\.t4g\.micro/);
      assert.match(r.stderr, /us-east-1b/);
      assert.deepEqual(mutating(h), []);
    }, { dbClassMissingIn: { "db.t4g.micro": ["a"] } });
  });

  it("sleep scales the service to 0 before stopping the DB; wake starts the DB and waits for it before the service", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      h.resetCalls();
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      const toZero = h.fake.calls.findIndex((c) => c.op === "UpdateService" && (c.input as { desiredCount?: number }).desiredCount === 0);
      assert.ok(toZero >= 0 && toZero < ops(h).indexOf("StopDBInstance"), `UpdateService to 0 before StopDBInstance: ${mutating(h).join(", ")}`);
      assert.equal(db(h).status, "stopped");

      let dbStatusAtScaleUp: string | undefined;
      h.fake.onCall = (op, input) => { if (op === "UpdateService" && (input as { desiredCount?: number }).desiredCount === 1) dbStatusAtScaleUp ??= db(h).status; };
      h.resetCalls();
      assert.equal((await h.cli(["wake", "--yes"])).code, 0);
      const scaleUp = h.fake.calls.findIndex((c) => c.op === "UpdateService" && (c.input as { desiredCount?: number }).desiredCount === 1);
      assert.ok(ops(h).indexOf("StartDBInstance") >= 0 && ops(h).indexOf("StartDBInstance") < scaleUp, `StartDBInstance before UpdateService: ${mutating(h).join(", ")}`);
      assert.equal(dbStatusAtScaleUp, "available");
      assert.equal(service(h).desiredCount, 1);
    });
  });

  it("DescribeDBEngineVersions denied: up still creates the DB with the major version 15", async () => {
    await withHarness(async (h) => {
      h.fake.failWith = (op) => (op === "DescribeDBEngineVersions" ? awsError("AccessDenied", "User is not authorized to perform: rds:DescribeDBEngineVersions", 403) : undefined);
      await h.up();
      const create = h.fake.calls.find((c) => c.op === "CreateDBInstance")!.input as { EngineVersion?: string };
      assert.equal(create.EngineVersion, "15");
      assert.equal(db(h).status, "available");
    });
  });

  it("up after a rollout the circuit breaker rolled back: exit 1 naming the rollback, not Done.", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      // The tag now holds an image that crashes on start: the revision `up` registers for a spec change cannot start.
      h.fake.pushImage(APP, "v1", "crash");
      const r = await h.cli(["up", "--yes", ...config(h, { app: { debug: false } })]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /rolled back/);
      assert.doesNotMatch(r.stdout + r.stderr, /Done\./);
      assert.equal(h.fake.count("RegisterTaskDefinition"), 3, "the placeholder, v1, and the spec change's revision");
    });
  });
});

describe("replacements converge in one run (issue 12 §1.5)", () => {
  it("a new container port and a new public subnet CIDR converge without a long retry; a VPC CIDR or the DB's subnet is refused at plan time", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      const tgArn = [...h.fake.elb.tgs.values()][0]!.arn;

      const port = config(h, { app: { containerPort: 8080 } });
      const plan = JSON.parse((await h.cli(["plan", "--json", ...port])).stdout);
      const action = (key: string) => plan.changes.find((c: { key: string }) => c.key === key).action;
      assert.deepEqual([action("target-group"), action("ecs-service"), action("sg-ecs"), action("task-definition")], ["noop", "update", "update", "replace"]);
      let start = h.clock.now();
      await h.up(...port);
      assert.ok(h.clock.now() - start < 15 * MINUTE, `took ${(h.clock.now() - start) / MINUTE} min`);
      assert.deepEqual([...h.fake.elb.tgs.values()].map((t) => t.arn), [tgArn]);
      assert.equal(service(h).loadBalancers[0]!.containerPort, 8080);
      assert.deepEqual(sg(h, "sg-ecs").rules.map((r) => [r.from, r.to]), [[8080, 8080]]);
      assert.equal((await h.cli(["plan", "--detailed-exitcode", ...port])).code, 0);

      const oldSubnet = h.state().resources["subnet-public-a"]!.id;
      const subnet = config(h, { app: { containerPort: 8080 }, network: { publicSubnets: ["10.0.3.0/24", "10.0.2.0/24"] } });
      h.resetCalls();
      start = h.clock.now();
      await h.up(...subnet);
      assert.ok(h.clock.now() - start < 15 * MINUTE, `took ${(h.clock.now() - start) / MINUTE} min`);
      const newSubnet = h.state().resources["subnet-public-a"]!.id;
      assert.notEqual(newSubnet, oldSubnet);
      const at = (op: string) => ops(h).indexOf(op);
      for (const op of ["SetSubnets", "UpdateService", "DeleteSubnet"]) assert.ok(at("CreateSubnet") < at(op), `CreateSubnet before ${op}: ${mutating(h).join(", ")}`);
      for (const op of ["SetSubnets", "UpdateService"]) assert.ok(at(op) < at("DeleteSubnet"), `${op} before DeleteSubnet`);
      assert.equal(h.fake.ec2.subnets.has(oldSubnet), false);
      assert.ok([...h.fake.elb.lbs.values()][0]!.subnets.includes(newSubnet));
      assert.deepEqual(service(h).networkConfiguration?.awsvpcConfiguration?.subnets, [newSubnet]);
      assert.ok([...h.fake.ec2.routeTables.values()].some((t) => t.associations.has(newSubnet)));
      assert.equal((await h.cli(["plan", "--detailed-exitcode", ...subnet])).code, 0);

      for (const [change, rule] of [
        [{ network: { vpcCidr: "10.1.0.0/16", publicSubnets: ["10.1.1.0/24", "10.1.2.0/24"], privateSubnets: ["10.1.10.0/24", "10.1.11.0/24"] } }, /VPC.*CIDR/i],
        [{ network: { publicSubnets: ["10.0.3.0/24", "10.0.2.0/24"], privateSubnets: ["10.0.20.0/24", "10.0.11.0/24"] } }, /database/i],
      ] as const) {
        h.resetCalls();
        const refused = await h.cli(["up", "--yes", ...config(h, { app: { containerPort: 8080 }, ...change })]);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, rule);
        assert.deepEqual(mutating(h), []);
      }
    });
  });
});

describe("never touch what is not ours; every rule that opens a door (issue 12 §2)", () => {
  /** Resources found by the id the state file holds; the others are found by their name. */
  const BY_ID = /^(vpc|internet-gateway|subnet-.*|route-table-public|sg-.*|listener-http)$/;

  it("a state file or a name pointing at another stack's resource, for every kind: down deletes nothing of it (exit 2 naming id and owner)", async () => {
    const built = await withHarness(async (h) => {
      await h.cli(["up", "--yes", ...config(h, { appName: OTHER })]);
      await h.up();
      return { snap: h.snapshot(), ours: h.state(), theirs: JSON.parse((await import("node:fs")).readFileSync(join(h.stateDir, `${OTHER}.json`), "utf8")) };
    });
    const keys = Object.keys(built.ours.resources).filter((k) => k !== "secrets");
    assert.equal(keys.length, 21);
    for (const key of keys) {
      await withHarness(async (h) => {
        const state = structuredClone(built.ours);
        let id: string;
        if (BY_ID.test(key)) {
          // A copied or hand-edited state file: this key names the other stack's resource.
          state.resources[key] = built.theirs.resources[key];
          id = state.resources[key].id;
        } else {
          // Our name, held by a resource another stack owns.
          const item = taggedItems(h.fake).find((x) => x.tags["spontime:stack"] === APP && x.tags["spontime:resource"] === key);
          assert.ok(item, `a live ${key}`);
          item.tags["spontime:stack"] = OTHER;
          id = "";
        }
        writeFileSync(h.statePath, JSON.stringify(state));
        const theirs = ofStack(h.fake, OTHER).length;
        h.resetCalls();
        const r = await h.cli(["down", "--yes"]);
        assert.equal(r.code, 2, `${key}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${id.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.* is tagged for stack ${OTHER}: refusing`), key);
        assert.deepEqual(mutating(h), [], key);
        assert.equal(ofStack(h.fake, OTHER).length, theirs, key);
      }, {}, built.snap);
    }
  });

  it("security-group drift of every source kind (IPv6, prefix list): plan shows it, up revokes each in its own kind, a further plan is clean", async () => {
    await withHarness(async (h) => {
      await h.up();
      const rds = sg(h, "sg-rds");
      rds.rules.push(
        { protocol: "tcp", from: 5432, to: 5432, kind: "Ipv6Ranges", source: "::/0" },
        { protocol: "tcp", from: 5432, to: 5432, kind: "PrefixListIds", source: "pl-0123456789abcdef0" },
      );
      const plan = await h.cli(["plan", "--detailed-exitcode"]);
      assert.equal(plan.code, 2);
      assert.match(plan.stdout, /~ security group: RDS[^\n]*\n[^~]*::\/0/);
      assert.match(plan.stdout, /pl-0123456789abcdef0/);
      await h.up();
      assert.deepEqual(rds.rules.map((r) => [r.kind, r.source]), [["UserIdGroupPairs", sg(h, "sg-ecs").id]]);
      assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 0);
    });
  });

  it("changes RDS refuses (shrinking storage, a version downgrade, storage during storage-optimization): exit 2 before any change, with AWS's rule", async () => {
    await withHarness(async (h) => {
      await h.up();
      const refused = async (spec: object, rule: RegExp) => {
        for (const command of [["plan"], ["up", "--yes"]]) {
          h.resetCalls();
          const r = await h.cli([...command, ...config(h, spec)]);
          assert.equal(r.code, 2, `${command[0]}: ${r.stdout}${r.stderr}`);
          assert.match(r.stderr, rule);
          assert.deepEqual(mutating(h), []);
        }
      };
      db(h).allocatedStorage = 30;
      await refused({}, /cannot shrink allocated storage \(30 GB → 20 GB\)/);
      db(h).allocatedStorage = 20;
      assert.equal(db(h).engineVersion, "15.10");
      await refused({ database: { engineVersion: "15.4" } }, /cannot downgrade PostgreSQL \(15\.10 → 15\.4\)/);
      db(h).status = "storage-optimization";
      await refused({ database: { storageType: "gp3" } }, /storage change while the last one is still being optimized/);
    });
  });

  it("asleep is read from AWS: with the state file lost, up after sleep changes nothing", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
      assert.equal(service(h).tags["spontime:asleep"], "true");
      rmSync(h.statePath);
      h.resetCalls();
      await h.up();
      assert.deepEqual(mutating(h), []);
      assert.equal(db(h).status, "stopped");
      assert.equal(service(h).desiredCount, 0);
    });
  });
});

describe("tags kept in sync on every kind (issue 14 §4)", () => {
  it("a user tag is added, changed and removed on every tagged resource; a tag someone else added is never touched", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      for (const x of taggedItems(h.fake)) x.tags.owner = "someone";
      const kinds = new Set(ofStack(h.fake, APP).map((x) => x.what.split(" ")[0]));
      assert.equal(kinds.size, 16);

      const plan = JSON.parse((await h.cli(["plan", "--json", ...config(h, { tags: { team: "x" } })])).stdout);
      const tagged = plan.changes.filter((c: { key: string }) => c.key !== "secrets");
      for (const c of tagged) {
        assert.equal(c.action, "update", `${c.key} is updated in place, not replaced`);
        assert.ok(c.diffs.some((d: { path: string; before?: string; after: string }) => d.path === "tags.team" && d.before === undefined && d.after === "x"), c.key);
      }
      // One line for the same change on every resource, none for the tool's own record of the user's tag keys.
      const text = (await h.cli(["plan", ...config(h, { tags: { team: "x" } })])).stdout;
      assert.match(text, new RegExp(`^  ~ tags on ${tagged.length} resources: \\+ team = "x"$`, "m"));
      assert.doesNotMatch(text, /spontime:user-tags|~ log group/);

      for (const tags of [{ team: "x" }, { team: "y" }, {}] as Tags[]) {
        await h.up(...config(h, { tags }));
        for (const x of ofStack(h.fake, APP)) {
          assert.equal(x.tags.team, tags.team, `${x.what}: ${JSON.stringify(x.tags)}`);
          assert.equal(x.tags.owner, "someone", x.what);
        }
        assert.equal((await h.cli(["plan", "--detailed-exitcode", ...config(h, { tags })])).code, 0);
      }
    });
  });
});
