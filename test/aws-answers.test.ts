/**
 * AWS's rarer answers, each read by the kind that gets it: the ones a run waits out (retried until they stop), the
 * ones that mean "there already" or "not ours", and any other refusal, which must stop the run and be named. The
 * fake gives most of them only on paths no whole run takes; here each is answered on purpose (`fake.failWith`).
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, it } from "node:test";
import { builtStack } from "./convergence.js";
import type { Certificate } from "./fake/acm.js";
import { awsError } from "./fake/common.js";
import { APP, withHarness, type Harness, type HarnessSnapshot } from "./helpers.js";

/** AWS answers `error` to the first `times` calls of `op` (without running them), then runs it as usual. */
function answers(h: Harness, op: string, error: Error, times = Infinity): void {
  let n = 0;
  h.fake.failWith = (o) => (o === op && n++ < times ? error : undefined);
}

const count = (h: Harness, op: string) => h.fake.count(op);
const cluster = (h: Harness) => [...h.fake.ecs.clusters.values()].find((c) => c.name === APP)!;
const SPOT = { app: { capacity: "FARGATE_SPOT" } };

describe("ECS cluster", () => {
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html; terraform-provider-aws#11417
  it("a service-linked role too new for ECS to use is waited out; any other refusal of the role stops the run, named", () => withHarness(async (h) => {
    answers(h, "CreateCluster", awsError("InvalidParameterException", "Unable to assume the service linked role. Please verify that the ECS service linked role exists."), 2);
    assert.equal((await h.up()).code, 0);
    assert.equal(count(h, "CreateCluster"), 3);

    await h.cli(["down", "--yes"]);
    h.resetCalls();
    answers(h, "CreateServiceLinkedRole", awsError("AccessDenied", "User is not authorized to perform: iam:CreateServiceLinkedRole"));
    const r = await h.cli(["up", "--yes", "--restore", "none"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /create ECS cluster spontime-poc: .*not authorized to perform: iam:CreateServiceLinkedRole \(AccessDenied/);
    assert.equal(count(h, "CreateCluster"), 0);
  }));

  it("an answer that the name is taken means the role is there (AWS says InvalidInput, an emulator EntityAlreadyExists)", () => withHarness(async (h) => {
    answers(h, "CreateServiceLinkedRole", awsError("EntityAlreadyExistsException", "Role with name AWSServiceRoleForECS already exists."));
    assert.equal((await h.up()).code, 0);
    await h.cli(["down", "--yes"]);
    answers(h, "CreateServiceLinkedRole", awsError("InvalidInputException", "Something else went wrong."));
    assert.equal((await h.cli(["up", "--yes", "--restore", "none"])).code, 1, "InvalidInput without 'has been taken' is a refusal");
  }));

  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html: a deleted cluster is still described, INACTIVE.
  it("a cluster deleted by hand (INACTIVE, still described) is made again", () => withHarness(async (h) => {
    await h.up();
    cluster(h).status = "INACTIVE";
    h.resetCalls();
    await h.up();
    assert.equal(count(h, "CreateCluster"), 1);
  }));

  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutClusterCapacityProviders.html (UpdateInProgressException);
  // terraform-provider-aws#11285 ("cluster ... is not ACTIVE").
  it("Spot: a cluster busy with an earlier change is waited out; another refusal of its providers stops the run", () => withHarness(async (h) => {
    await h.up();
    let n = 0;
    h.fake.failWith = (op) => {
      if (op !== "PutClusterCapacityProviders") return undefined;
      n++;
      return n === 1 ? awsError("UpdateInProgressException", "The cluster is being updated.") : n === 2 ? awsError("ClientException", "The specified cluster is not ACTIVE.") : undefined;
    };
    assert.equal((await h.up("--config", h.writeSpec(SPOT))).code, 0);
    assert.equal(count(h, "PutClusterCapacityProviders"), 3);
    assert.deepEqual(cluster(h).capacityProviders, ["FARGATE", "FARGATE_SPOT"]);

    // In another order, and a strategy item without its (default) base: what the spec asks.
    cluster(h).capacityProviders = ["FARGATE_SPOT", "FARGATE"];
    for (const item of cluster(h).defaultCapacityProviderStrategy) delete item.base;
    assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", h.writeSpec(SPOT)])).code, 0);

    cluster(h).capacityProviders = [];
    answers(h, "PutClusterCapacityProviders", awsError("ClientException", "The specified capacity provider does not exist."));
    const r = await h.cli(["up", "--yes", "--config", h.writeSpec(SPOT)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The specified capacity provider does not exist/);
  }));
});

describe("ECS service", () => {
  // ECS refuses a target group no listener uses yet ("does not have an associated load balancer"): aws/aws-cdk#1160.
  it("deleted by hand with the listener: up makes the listener again first, then the service", () => withHarness(async (h) => {
    await h.up();
    await h.deploy("v1");
    for (const [arn, l] of h.fake.elb.listeners) if (l.port === 80) h.fake.elb.listeners.delete(arn);
    [...h.fake.ecs.services.values()].find((x) => x.status === "ACTIVE")!.status = "INACTIVE";
    h.resetCalls();
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op).filter((op) => op === "CreateListener" || op === "CreateService"), ["CreateListener", "CreateService"]);
  }));

  // The role ECS validates the target group with, made a moment ago (TeliaSoneraNorge/divx-terraform-modules#28).
  it("create and update: ECS's 'Unable to assume role' while a role is new is waited out", () => withHarness(async (h) => {
    const notYet = () => awsError("InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.");
    answers(h, "CreateService", notYet(), 2);
    assert.equal((await h.up()).code, 0);
    assert.equal(count(h, "CreateService"), 3);
    await h.deploy("v1");
    h.resetCalls();
    answers(h, "UpdateService", notYet(), 1);
    assert.equal((await h.cli(["up", "--yes", "--config", h.writeSpec({ app: { desiredCount: 2 } })])).code, 0);
    assert.equal(count(h, "UpdateService"), 2);
  }));

  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html (Errors)
  it("down: a delete answered ServiceNotActiveException (draining already) is waited out; any other refusal stops it, named", () => withHarness(async (h) => {
    await h.up();
    await h.deploy("v1");
    h.resetCalls();
    // Someone else's delete lands first: the service drains, and ours is answered ServiceNotActiveException.
    h.fake.onCall = (op) => {
      if (op !== "DeleteService") return;
      h.fake.onCall = undefined;
      Object.assign([...h.fake.ecs.services.values()].find((x) => x.status === "ACTIVE")!, { status: "DRAINING", desiredCount: 0, inactiveAt: h.clock.now() + 20_000 });
    };
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
    // The design's order for a service with tasks: scaled to zero, then deleted.
    assert.deepEqual(h.fake.calls.filter((c) => c.op === "UpdateService" || c.op === "DeleteService").map((c) => [c.op, c.input]), [
      ["UpdateService", { cluster: APP, service: APP, desiredCount: 0 }],
      ["DeleteService", { cluster: APP, service: APP, force: true }],
    ]);

    assert.equal((await h.cli(["up", "--yes", "--restore", "none"])).code, 0);
    answers(h, "DeleteService", awsError("AccessDeniedException", "User is not authorized to perform: ecs:DeleteService"));
    const refused = await h.cli(["down", "--yes", "--skip-final-snapshot"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECS service spontime-poc.*not authorized to perform: ecs:DeleteService/);
  }));
});

describe("internet gateway", () => {
  it("down: a detach refused for a reason other than 'not attached' stops its deletion, named", () => withHarness(async (h) => {
    await h.up();
    answers(h, "DetachInternetGateway", awsError("UnauthorizedOperation", "You are not authorized to perform this operation."));
    const r = await h.cli(["down", "--yes"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /delete internet gateway: You are not authorized/);
    assert.equal(count(h, "DeleteInternetGateway"), 0);
  }));

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DetachInternetGateway.html (its errors: errors-overview.html)
  for (const code of ["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"]) {
    it(`down: a detach answered ${code} (detached or deleted meanwhile) has reached its goal`, () => withHarness(async (h) => {
      await h.up();
      answers(h, "DetachInternetGateway", awsError(code, "not attached"), 1);
      const r = await h.cli(["down", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(h.fake.ec2.igws.size, 0);
    }));
  }

  it("down: a gateway detached by hand is deleted without a detach", () => withHarness(async (h) => {
    await h.up();
    h.fake.ec2.igws.forEach((igw) => { igw.vpcId = undefined; });
    const r = await h.cli(["down", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(count(h, "DetachInternetGateway"), 0);
    assert.equal(h.fake.ec2.igws.size, 0);
  }));
});

describe("log group", () => {
  // DescribeLogGroups finds by prefix: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
  it("a neighbour's group whose name starts with ours is not ours: ours is made beside it, and the neighbour's left alone", () => withHarness(async (h) => {
    const neighbour = `/ecs/${APP}-old`;
    h.fake.logs.groups.set(neighbour, { name: neighbour, arn: `arn:aws:logs:us-east-1:${h.fake.account}:log-group:${neighbour}`, retention: 1, tags: {}, events: [] });
    assert.equal((await h.up()).code, 0);
    assert.equal(count(h, "CreateLogGroup"), 1);
    assert.deepEqual(h.fake.logs.groups.get(neighbour)!.retention, 1);
  }));
});

/** Each kind's "still in use" answer to its delete, as AWS gives it while what used it is still going away. */
const IN_USE: [kind: string, op: string, code: string][] = [
  ["vpc", "DeleteVpc", "DependencyViolation"],
  ["subnet", "DeleteSubnet", "DependencyViolation"],
  ["security group", "DeleteSecurityGroup", "DependencyViolation"],
  ["internet gateway", "DetachInternetGateway", "DependencyViolation"],
  ["route table", "DeleteRouteTable", "DependencyViolation"],
  ["DB subnet group", "DeleteDBSubnetGroup", "InvalidDBSubnetGroupState"],
  ["database", "DeleteDBInstance", "InvalidDBInstanceState"],
  ["ECS cluster (services)", "DeleteCluster", "ClusterContainsServicesException"],
  ["ECS cluster (tasks)", "DeleteCluster", "ClusterContainsTasksException"],
  ["IAM role", "DeleteRole", "DeleteConflict"],
  ["target group", "DeleteTargetGroup", "ResourceInUse"],
];

describe("down: a delete answered 'in use' is tried again until it is not", () => {
  let built: HarnessSnapshot;
  for (const [kind, op, code] of IN_USE) {
    it(`${kind}: ${op} answered ${code} twice`, async () => {
      built ??= await builtStack();
      await withHarness(async (h) => {
        answers(h, op, awsError(code, `${op}: still in use`), 2);
        const r = await h.cli(["down", "--yes"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /still in use, retrying/);
        assert.ok(count(h, op) >= 3, `${op} sent ${count(h, op)} times`);
        assert.deepEqual(h.fake.taggedResources(APP), []);
      }, {}, built);
    });
  }
});

describe("load balancer", () => {
  // An internet-facing ALB in a VPC without an attached gateway is refused (InvalidSubnet: "VPC ... has no internet
  // gateway"); the attach may be slow (throttled and retried by the SDK).
  it("is made after the internet gateway is attached, however long that takes, and used once it is active", () => withHarness(async (h) => {
    answers(h, "AttachInternetGateway", awsError("RequestLimitExceeded", "Request limit exceeded."), 2);
    assert.equal((await h.up()).code, 0);
    const ops = h.fake.calls.map((c) => c.op);
    assert.ok(ops.lastIndexOf("AttachInternetGateway") < ops.indexOf("CreateLoadBalancer"));
    const lb = [...h.fake.elb.lbs.values()][0]!;
    assert.ok(h.fake.calls.find((c) => c.op === "CreateListener")!.at >= lb.activeAt, "its listeners wait until it is active");
  }));

  it("subnets AWS lists in another order are the ones the spec asks for", () => withHarness(async (h) => {
    await h.up();
    [...h.fake.elb.lbs.values()][0]!.subnets.reverse();
    assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 0);
  }));
});

describe("target group", () => {
  // Right after CreateVpc, ELB may not see the VPC yet: "The VPC ID 'vpc-…' is not found" (terraform-provider-aws#8466).
  it("a VPC that ELB does not see yet is waited out; any other validation error stops the run", () => withHarness(async (h) => {
    answers(h, "CreateTargetGroup", awsError("ValidationError", "The VPC ID 'vpc-00000001' is not found"), 2);
    assert.equal((await h.up()).code, 0);
    assert.equal(count(h, "CreateTargetGroup"), 3);
    await h.cli(["down", "--yes"]);
    answers(h, "CreateTargetGroup", awsError("ValidationError", "Health check interval must be greater than the timeout."));
    const r = await h.cli(["up", "--yes", "--restore", "none"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Health check interval must be greater than the timeout/);
    assert.equal(count(h, "CreateTargetGroup"), 4, "not retried");
  }));
});

describe("database", () => {
  it("down: one deleted by someone else between the look and the delete (DBInstanceNotFound) is done", () => withHarness(async (h) => {
    await h.up();
    // Its deletion completes as the call arrives (the fake's clock moves it on before answering).
    h.fake.onCall = (op) => { if (op === "DeleteDBInstance") Object.assign(h.fake.rds.instances.get(`${APP}-db`)!, { status: "deleting", nextStatus: "deleted", readyAt: h.clock.now() }); };
    const r = await h.cli(["down", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
  }));
});

/** A copy of the stack's certificate under another ARN, as a neighbour or a duplicate: returns that ARN. */
const stageCertificate = (h: Harness, from: Certificate, name: string, fields: Partial<Certificate>) => {
  const arn = `arn:aws:acm:us-east-1:123456789012:certificate/${name}`;
  h.fake.acm.certs.set(arn, { ...structuredClone(from), arn, ...fields });
  return arn;
};

describe("ACM certificate", () => {
  it("of the same domain: another stack's and one tagged for another of our resources are neighbours; an older duplicate of ours goes, the one in use stays", () => withHarness(async (h) => {
    h.fake.createHostedZone("example.com");
    const https = ["--config", h.writeSpec({ https: { domain: "api.example.com" } })];
    assert.equal((await h.cli(["up", "--yes", ...https])).code, 0);
    const [mine] = [...h.fake.acm.certs.values()];
    const stage = (name: string, tags: Record<string, string>, status: "ISSUED" | "PENDING_VALIDATION") =>
      stageCertificate(h, mine!, name, { status, tags: { ManagedBy: "spontime-infra", ...tags }, requestedAt: 0 });
    const neighbours = [
      stage("other-stack", { "spontime:stack": "other-app", "spontime:resource": "certificate" }, "ISSUED"),
      stage("other-resource", { "spontime:stack": APP, "spontime:resource": "something-else" }, "ISSUED"),
    ];
    // Ours, older (one issued, one not), listed before the one the listener serves: the sort, not the listing, keeps the right one.
    const ours = { "spontime:stack": APP, "spontime:resource": "certificate" };
    const duplicates = [stage("duplicate-issued", ours, "ISSUED"), stage("duplicate-pending", ours, "PENDING_VALIDATION")];
    h.fake.acm.certs.delete(mine!.arn);
    h.fake.acm.certs.set(mine!.arn, mine!);
    rmSync(h.statePath); // no state file to name the one to keep: the listener's use of it decides
    h.resetCalls();
    assert.equal((await h.cli(["up", "--yes", ...https])).code, 0);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => [c.op, c.input]).sort(), duplicates.map((arn) => ["DeleteCertificate", { CertificateArn: arn }]));
    const down = await h.cli(["down", "--yes", "--skip-final-snapshot", ...https]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual([...h.fake.acm.certs.keys()].sort(), neighbours.sort(), "down deletes ours only");
  }));
});

describe("ACM certificates of ours that nothing uses", () => {
  // The HTTPS listener emptied by hand: no certificate is in use, the summary's other keys choose the one kept.
  const duplicatesDeleted = (keepState: boolean) => withHarness(async (h) => {
    h.fake.createHostedZone("example.com");
    const https = ["--config", h.writeSpec({ https: { domain: "api.example.com" } })];
    assert.equal((await h.cli(["up", "--yes", ...https])).code, 0);
    const [mine] = [...h.fake.acm.certs.values()];
    mine!.requestedAt = 1_000;
    // The pending one asks for another validation record, that nobody writes: it stays pending.
    const pending = stageCertificate(h, mine!, "older-pending", { status: "PENDING_VALIDATION", requestedAt: 0, issueAt: undefined, recordValue: "_unanswered.acm-validations.aws." });
    const issued = stageCertificate(h, mine!, "older-issued", { status: "ISSUED", requestedAt: 0 });
    for (const l of h.fake.elb.listeners.values()) l.certificates = [];
    if (!keepState) rmSync(h.statePath);
    h.resetCalls();
    assert.equal((await h.cli(["up", "--yes", ...https])).code, 0);
    const deleted = h.fake.mutatingCalls().filter((c) => c.op === "DeleteCertificate").map((c) => (c.input as { CertificateArn: string }).CertificateArn);
    return { deleted: deleted.sort(), mine: mine!.arn, pending, issued };
  });
  it("the one the state file names is kept over an older issued one", async () => {
    const { deleted, pending, issued } = await duplicatesDeleted(true);
    assert.deepEqual(deleted, [issued, pending].sort());
  });
  it("with no state file: an issued one over a pending one of the same age, the oldest over a newer one", async () => {
    const { deleted, mine, pending } = await duplicatesDeleted(false);
    assert.deepEqual(deleted, [mine, pending].sort());
  });
});

describe("lists AWS gives in pages", () => {
  // Every list call may page (NextToken, nextToken, Marker): with a page of one, each loop that reads one must follow it.
  it("a page of one: our certificate behind another, each old revision deregistered, the newest snapshot restored", () => withHarness(async (h) => {
    h.fake.pageSize = 1;
    h.fake.createHostedZone("example.com");
    const https = h.writeSpec({ https: { domain: "api.example.com" } });
    const other = "arn:aws:acm:us-east-1:123456789012:certificate/other";
    h.fake.acm.certs.set(other, { arn: other, domain: "www.example.com", status: "ISSUED", tags: {}, keyType: "RSA_2048", requestedAt: 0, recordName: "_x.www.example.com.", recordValue: "_y.acm-validations.aws." });
    assert.equal((await h.cli(["up", "--yes", "--config", https])).code, 0);
    h.resetCalls();
    assert.equal((await h.cli(["up", "--yes", "--config", https])).code, 0);
    assert.deepEqual(h.fake.mutatingCalls(), [], "the certificate on the second page is found: no second request");
    assert.ok(count(h, "ListCertificates") >= 2);

    const plain = h.writeSpec({});
    assert.equal((await h.cli(["up", "--yes", "--config", plain])).code, 0, "https off again");
    for (const tag of ["v1", "v2"]) await h.deploy(tag);
    const snapshots: string[] = [];
    for (let round = 0; round < 2; round++) {
      const down = await h.cli(["down", "--yes", "--config", plain]);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual([...h.fake.ecs.taskDefs.values()].filter((t) => t.status === "ACTIVE").map((t) => t.arn), [], "down deregisters every revision, on every page");
      snapshots.push(...[...h.fake.rds.snapshots.keys()].filter((id) => !snapshots.includes(id)));
      const again = await h.cli(["up", "--yes", "--restore", "latest", "--config", plain]);
      assert.equal(again.code, 0, again.stderr);
    }
    assert.equal(snapshots.length, 2);
    assert.ok(h.fake.acm.certs.has(other), "the other certificate, on the first page, is left alone by https off and two downs");
    assert.equal(h.fake.rds.instances.get(`${APP}-db`)!.restoredFrom, snapshots[1], "the newest snapshot, on the second page");
  }));
});
