import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const service = () => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
const imageOf = (tdArn: string) => h.fake.ecs.taskDefs.get(tdArn)!.def.containerDefinitions![0]!.image!;
const revisionOf = (arn: string) => Number(arn.split(":").pop());

async function releases() {
  const r = await h.cli(["releases", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).releases as { revision: number; tag: string; digest: string; outcome: string; deployedBy: string; deployedAt: string; rollbackFrom: number | null; current: boolean }[];
}

describe("releases (issue 27 §1)", () => {
  it("lists each deploy newest first from the revisions' tags in AWS: revision, tag, digest, when, by whom, outcome", async () => {
    await h.up();
    await h.deploy("v1");
    await h.clock.run(() => h.clock.sleep(60_000));
    await h.deploy("v2");
    h.fake.pushImage(APP, "v3", "crash");
    assert.equal((await h.cli(["deploy", "--tag", "v3"])).code, 1);
    h.fake.httpDown = true;
    h.fake.pushImage(APP, "v4");
    assert.equal((await h.cli(["deploy", "--tag", "v4", "--health-timeout", "20s"])).code, 1);
    h.fake.httpDown = false;
    // Another machine, no state file: the history is AWS's.
    const list = await releases();
    assert.deepEqual(list.map((r) => [r.tag, r.outcome]), [["v4", "failed-health"], ["v3", "rolled-back"], ["v2", "healthy"], ["v1", "healthy"]]);
    assert.deepEqual(list.map((r) => r.revision), [5, 4, 3, 2]);
    assert.ok(list.every((r) => /^sha256:[0-9a-f]{64}$/.test(r.digest)), "the digest each tag named at deploy time");
    assert.ok(list.every((r) => r.deployedBy === "arn:aws:iam::123456789012:user/operator"));
    assert.ok(list[2]!.deployedAt > list[3]!.deployedAt);
    assert.deepEqual(list.map((r) => r.current), [false, false, true, false], "the failed ones were put back on v2");
    assert.equal((await h.cli(["releases", "--limit", "2", "--json"])).stdout.includes("\"v2\""), false);
    const text = await h.cli(["releases"]);
    assert.match(text.stdout, /^\*\s+3\s+\S+ \S+\s+healthy\s+v2\s+sha256:/m);
    assert.match(text.stdout, /^\* the revision the service runs now/m);
    // The two newest are not what runs: no star, and the footer does not promise one.
    const newest = (await h.cli(["releases", "--limit", "2"])).stdout;
    assert.doesNotMatch(newest, /^\*/m);
    assert.match(newest, /^None of these is the revision the service runs now/m);
  });

  it("in GitHub Actions, by whom is the workflow run", async () => {
    await h.up();
    h.fake.pushImage(APP, "v1");
    const env = { ...(await import("./helpers.js")).TEST_ENV, GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "acme/api", GITHUB_RUN_ID: "42", GITHUB_ACTOR: "dev" };
    assert.equal((await h.cli(["deploy", "--tag", "v1"], { env })).code, 0);
    assert.equal((await releases())[0]!.deployedBy, "github acme/api/actions/runs/42 @dev");
  });
});

describe("rollback (issue 27 §2)", () => {
  it("goes back to the last healthy release before the current one, by its revision: no new revision, no image look-up by tag; recorded as a release", async () => {
    await h.up();
    await h.deploy("v1");
    const v1 = service().taskDefinition;
    await h.deploy("v2");
    h.resetCalls();
    const r = await h.cli(["rollback", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.outcome, "succeeded");
    assert.deepEqual([result.rolledBackFrom, result.rolledBackTo], [3, 2]);
    assert.equal(service().taskDefinition, v1, "the service points at the earlier revision itself");
    assert.deepEqual(h.fake.calls.filter((c) => c.op === "RegisterTaskDefinition"), []);
    assert.ok(h.fake.calls.some((c) => c.op === "DescribeTargetHealth"), "the rollout is followed as deploy does");
    const list = await releases();
    assert.deepEqual(list.slice(0, 3).map((r) => [r.revision, r.tag, r.outcome, r.rollbackFrom, r.current]), [[2, "v1", "healthy", 3, true], [3, "v2", "healthy", null, false], [2, "v1", "healthy", null, true]]);
  });

  it("--to an image tag whose tag was pushed again: the digest deployed then, not what the tag names now", async () => {
    await h.up();
    await h.deploy("v1");
    const first = (await releases())[0]!.digest;
    await h.deploy("v2");
    h.fake.pushImage(APP, "v1", "crash"); // the tag moved to a broken image
    const r = await h.cli(["rollback", "--to", "v1", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const running = imageOf(service().taskDefinition);
    assert.match(running, new RegExp(`/${APP}@${first}$`));
    assert.equal((await releases())[0]!.rollbackFrom, 3);
  });

  it("--to a deregistered revision registers it again (ECS refuses a service onto an INACTIVE one)", async () => {
    await h.up();
    await h.deploy("v1");
    await h.deploy("v2");
    h.fake.ecs.taskDefs.get(`arn:aws:ecs:us-east-1:123456789012:task-definition/${APP}:2`)!.status = "INACTIVE";
    const r = await h.cli(["rollback", "--to", "2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(revisionOf(service().taskDefinition), 4);
    assert.match(imageOf(service().taskDefinition), new RegExp(`/${APP}@sha256:`));
  });

  it("refuses when there is no earlier healthy release (exit 2), changing nothing", async () => {
    await h.up();
    await h.deploy("v1");
    h.resetCalls();
    const r = await h.cli(["rollback"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no earlier healthy release to roll back to \(the service runs revision 2\)/);
    assert.deepEqual(h.fake.calls.filter((c) => c.mutating).map((c) => c.op), []);
  });

  it("a rollback that fails is restored and recorded as failed", async () => {
    await h.up();
    await h.deploy("v1");
    await h.deploy("v2");
    const v2 = service().taskDefinition;
    h.fake.httpDown = true;
    const r = await h.cli(["rollback", "--health-timeout", "20s"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Rollback failed: GET \S+ did not answer 200/);
    assert.match(r.stderr, /Restored: the service is back on spontime-poc:3/);
    assert.equal(service().taskDefinition, v2);
    assert.equal(h.fake.ecs.taskDefs.get(`arn:aws:ecs:us-east-1:123456789012:task-definition/${APP}:2`)!.status, "ACTIVE", "an earlier release is never deregistered");
    h.fake.httpDown = false;
    assert.deepEqual((await releases()).slice(0, 1).map((r) => [r.revision, r.outcome, r.rollbackFrom]), [[2, "failed-health", 3]]);
  });
});

describe("deploy, rollback and releases from CI (issue 27 §2)", () => {
  it("need no action beyond `ci-policy`'s", async () => {
    await h.up();
    const policy = JSON.parse((await h.cli(["ci-policy"])).stdout) as { Statement: { Action: string[] }[] };
    const allowed = new Set(policy.Statement.flatMap((s) => s.Action));
    h.resetCalls();
    await h.deploy("v1");
    await h.deploy("v2");
    h.fake.pushImage(APP, "v3", "crash");
    assert.equal((await h.cli(["deploy", "--tag", "v3", "--migrate", "true"])).code, 1);
    assert.equal((await h.cli(["rollback"])).code, 0);
    await releases();
    // GetCallerIdentity needs no permission (STS API reference); the IAM prefix of ELBv2 is elasticloadbalancing.
    const prefix: Record<string, string> = { elbv2: "elasticloadbalancing" };
    const needed = new Set(h.fake.calls.filter((c) => c.service !== "sts").map((c) => `${prefix[c.service] ?? c.service}:${c.op}`));
    assert.deepEqual([...needed].filter((a) => !allowed.has(a)), []);
  });
});
