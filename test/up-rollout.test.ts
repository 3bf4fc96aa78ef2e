/**
 * Issue 28 item 4: every path that starts an ECS deployment (or new tasks) follows it to the end, as `deploy`
 * does: `up` changing the task size, `wake` and `up --wake` bringing the tasks back. A status line at least
 * every 10 s while it waits; a failure exits 1 and says what happened.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Service } from "@aws-sdk/client-ecs";
import { rolloutState } from "../src/resources/ecs-service.js";
import { APP, Harness } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const service = () => [...h.fake.ecs.services.values()].find((s) => s.name === APP && s.status === "ACTIVE")!;
const bigger = () => ["--config", h.writeSpec({ app: { cpu: 512, memory: 1024 } })];

/** The seconds printed on the ECS service's waiting lines ("[1m08s]"), in order. */
function waitingSeconds(stderr: string): number[] {
  return stderr.split("\n").filter((l) => l.startsWith("ECS service") && l.includes(": waiting")).map((l) => {
    const m = /\[(?:(\d+)m)?(\d+)s\]$/.exec(l)!;
    return Number(m[1] ?? 0) * 60 + Number(m[2]);
  });
}

describe("up follows the rollout it starts (issue 28 item 4)", () => {
  it("a task-size change: up ends when ECS says the new revision's deployment COMPLETED, with a status line at least every 10 s", async () => {
    await h.up();
    await h.deploy("v1");
    const r = await h.cli(["up", "--yes", ...bigger()]);
    assert.equal(r.code, 0, r.stderr);
    h.fake.tick(); // the fake as it is at the moment up returned
    const s = service();
    assert.equal(s.deployments.length, 1, "the old deployment is gone");
    assert.equal(s.deployments[0]!.rolloutState, "COMPLETED");
    assert.equal(h.fake.ecs.taskDefs.get(s.taskDefinition)!.def.cpu, "512");
    const seconds = waitingSeconds(r.stderr);
    assert.ok(seconds.at(-1)! >= 60, `followed for ${seconds.at(-1)} s: the rollout takes minutes`);
    // Printed to the second; the look before a line takes a call's latency.
    const gaps = seconds.slice(1).map((x, i) => x - seconds[i]!);
    assert.ok(gaps.every((g) => g <= 11), `gaps between status lines: ${gaps.join(", ")}`);
    // What each line says: the rollout's counts, and nothing of a failure while none happened.
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("ECS service") && l.includes(": waiting"));
    assert.ok(lines.every((l) => /: waiting \(deployment in progress: \d\/\d running, \d pending\) \[/.test(l)), lines.join("\n"));
    assert.match(r.stderr, /ECS service .*: done \(updated\)[^\n]*\n(.*\n)*Done\./);
  });

  it("new tasks that never start: exit 1, naming the circuit breaker's rollback, the revision ECS is back on and how the last task stopped; never Done.", async () => {
    await h.up();
    await h.deploy("v1");
    const before = service().taskDefinition.split("/").pop();
    h.fake.pushImage(APP, "v1", "crash");
    const r = await h.cli(["up", "--yes", "--json", ...bigger()]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.outcome, "failed");
    const error = doc.failures.find((f: { error: string }) => /ECS service/.test(f.error))?.error ?? "";
    assert.match(error, new RegExp(`the circuit breaker rolled back the deployment: ECS is back on ${before} \\(the new tasks never became healthy\\); the last task [0-9a-f]+ stopped: Essential container in task exited \\(exit code 1\\); \`spontime-infra logs\` shows why`));
    assert.doesNotMatch(r.stderr, /Done\./);
    assert.match(r.stderr, /1 resource\(s\) could not be created or updated/);
  });
});

describe("a service up creates with tasks is followed too (issue 28 item 4)", () => {
  /** The service deleted behind the tool's back after a deploy: `up` creates it again, with its task. */
  async function serviceDeletedAfterDeploy(image: "ok" | "crash"): Promise<void> {
    await h.up();
    await h.deploy("v1");
    h.fake.pushImage(APP, "v1", image);
    service().status = "INACTIVE";
  }

  it("up ends once the created service's first deployment COMPLETED", async () => {
    await serviceDeletedAfterDeploy("ok");
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 0, r.stderr);
    h.fake.tick();
    assert.equal(h.fake.count("CreateService"), 2);
    assert.equal(service().desiredCount, 1);
    assert.equal(service().deployments[0]!.rolloutState, "COMPLETED");
  });

  it("its first deployment failing: exit 1, the failed deployment and its last task's exit said, never Done.", async () => {
    await serviceDeletedAfterDeploy("crash");
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ECS service .* failed: the deployment failed: ECS deployment circuit breaker: tasks failed to start\.; the last task [0-9a-f]+ stopped: Essential container in task exited \(exit code 1\)/);
    assert.doesNotMatch(r.stderr, /Done\./);
  });

  it("the task it names is the rollout's own that failed: not one another deployment stopped, nor one ECS scaled in, even stopped later", async () => {
    await serviceDeletedAfterDeploy("crash");
    // When up looks at the stopped tasks, two stopped after the crash: ours scaled in (ECS's words), another deployment's.
    h.fake.onCall = (op, input) => {
      if (op !== "ListTasks" || (input as { desiredStatus?: string }).desiredStatus !== "STOPPED") return;
      const crashed = [...h.fake.ecs.tasks.values()].find((t) => t.lastStatus === "STOPPED" && t.stoppedReason === "Essential container in task exited" && t.startedBy === service().deployments[0]!.id);
      if (!crashed) return;
      h.fake.onCall = undefined;
      crashed.stoppedAt = h.clock.now() - 1000;
      const later = (id: string, extra: object) => h.fake.ecs.tasks.set(`${crashed.arn}${id}`, { ...structuredClone(crashed), arn: `${crashed.arn}${id}`, id: `${crashed.id}${id}`, stoppedAt: h.clock.now(), exitCode: 0, ...extra });
      later("a", { stoppedReason: `Scaling activity initiated by (deployment ${crashed.startedBy})` });
      later("b", { stoppedReason: "Task stopped by user", startedBy: "ecs-svc/0000000000000000000" });
    };
    const r = await h.cli(["up", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(h.fake.onCall, undefined, "the stopped tasks were staged");
    assert.match(r.stderr, /the last task [0-9a-f]+ stopped: Essential container in task exited \(exit code 1\); `spontime-infra logs` shows why/);
  });
});

describe("wake and up --wake follow the tasks they start (issue 28 item 4)", () => {
  it("wake: the tasks running, then the app healthy, before it says Awake; tasks that never start: exit 1, the failed deployment and its last task's exit said", async () => {
    await h.up();
    await h.deploy("v1");
    assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
    const woken = await h.cli(["wake", "--yes"]);
    assert.equal(woken.code, 0, woken.stderr);
    h.fake.tick();
    assert.equal(service().deployments[0]!.rolloutState, "COMPLETED");
    assert.equal(service().deployments[0]!.runningCount, 1);
    assert.match(woken.stdout, /Awake: http:\/\/.*\/health answers 200/);

    assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
    h.fake.pushImage(APP, "v1", "crash");
    const r = await h.cli(["wake", "--yes"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ECS service .* failed: the deployment failed: ECS deployment circuit breaker: tasks failed to start\.; the last task [0-9a-f]+ stopped: Essential container in task exited \(exit code 1\); `spontime-infra logs` shows why/);
    assert.doesNotMatch(r.stdout, /Awake/);
  });

  it("up --wake: ends once the tasks it started run, COMPLETED", async () => {
    await h.up();
    await h.deploy("v1");
    assert.equal((await h.cli(["sleep", "--yes"])).code, 0);
    const r = await h.cli(["up", "--yes", "--wake"]);
    assert.equal(r.code, 0, r.stderr);
    h.fake.tick();
    assert.equal(service().desiredCount, 1);
    assert.equal(service().deployments[0]!.rolloutState, "COMPLETED");
    assert.equal(service().deployments[0]!.runningCount, 1);
  });

  it("a task count change starts no deployment: one that had completed is followed until the tasks it gained run", () => {
    const prior = { id: "arn:svc", outputs: { deploymentId: "ecs-svc/1", deploymentAt: "1000" } };
    const scaled = (runningCount: number): Service => ({
      status: "ACTIVE", desiredCount: 2, runningCount, pendingCount: 2 - runningCount,
      deployments: [{ id: "ecs-svc/1", status: "PRIMARY", rolloutState: "COMPLETED", createdAt: new Date(1000), desiredCount: 2, runningCount, pendingCount: 2 - runningCount, failedTasks: 0 }],
    });
    assert.deepEqual(rolloutState(scaled(1), prior), { state: "pending", why: "starting tasks: 1/2 running, 1 pending" });
    assert.deepEqual(rolloutState(scaled(2), prior), { state: "ready" });
  });
});

describe("the service's state, read from DescribeServices (rolloutState)", () => {
  type Deployment = NonNullable<Service["deployments"]>[number];
  const ours = (d: Partial<Deployment>): Deployment => ({ id: "ecs-svc/2", status: "PRIMARY", createdAt: new Date(2000), desiredCount: 2, runningCount: 1, pendingCount: 1, failedTasks: 0, ...d });
  const old = (d: Partial<Deployment> = {}): Deployment => ({ id: "ecs-svc/1", status: "ACTIVE", createdAt: new Date(1000), desiredCount: 1, runningCount: 1, pendingCount: 0, ...d });
  const svc = (deployments: Deployment[], s: Partial<Service> = {}): Service => ({ status: "ACTIVE", desiredCount: 2, runningCount: 1, deployments, ...s });
  const prior = { id: "arn:svc", outputs: { deploymentId: "ecs-svc/2", deploymentAt: "1500" } };

  const cases: [string, Service, typeof prior | undefined, ReturnType<typeof rolloutState>][] = [
    ["draining", svc([ours({})], { status: "DRAINING" }), prior, { state: "deleting", why: "draining" }],
    ["ours rolling, with failed tasks", svc([ours({ rolloutState: "IN_PROGRESS", failedTasks: 2 }), old()]), prior, { state: "pending", why: "deployment in progress: 1/2 running, 1 pending, 2 failed" }],
    ["ours failed, with ECS's reason", svc([ours({ rolloutState: "FAILED", rolloutStateReason: "tasks failed to start" })]), prior, { state: "failed", why: "the deployment failed: tasks failed to start" }],
    ["ours failed, no reason given", svc([ours({ rolloutState: "FAILED" })]), prior, { state: "failed", why: "the deployment failed: circuit breaker" }],
    ["ours completed, every task running", svc([ours({ rolloutState: "COMPLETED", runningCount: 2, pendingCount: 0 })], { runningCount: 2 }), prior, { state: "ready" }],
    ["rolled back: a newer PRIMARY on the old revision", svc([old({ id: "ecs-svc/3", status: "PRIMARY", createdAt: new Date(3000), taskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/app:4" }), ours({ status: "INACTIVE", rolloutStateReason: "circuit breaker" })]), prior,
      { state: "failed", why: "the circuit breaker rolled back the deployment: ECS is back on app:4 (the new tasks never became healthy: circuit breaker)" }],
    ["ours not listed yet (an older PRIMARY)", svc([old({ status: "PRIMARY" })]), prior, { state: "pending", why: "deployment not visible yet" }],
    ["ours, but the service scaled to zero: nothing to follow", svc([ours({ rolloutState: "IN_PROGRESS" })], { desiredCount: 0 }), prior, { state: "ready" }],
    ["no rollout of ours: the newest deployment in progress", svc([ours({ rolloutState: "IN_PROGRESS" })]), undefined, { state: "pending", why: "deployment in progress: 1/2 running, 1 pending" }],
    ["no rollout of ours: two deployments listed", svc([ours({ rolloutState: "COMPLETED" }), old()]), undefined, { state: "pending", why: "deployment in progress: 1/2 running, 1 pending" }],
    ["no rollout of ours: one deployment, completed", svc([ours({ rolloutState: "COMPLETED" })]), undefined, { state: "ready" }],
    ["no rollout of ours, zero tasks wanted", svc([ours({ rolloutState: "IN_PROGRESS" }), old()], { desiredCount: 0 }), undefined, { state: "ready" }],
  ];
  for (const [what, s, p, expected] of cases) it(what, () => assert.deepEqual(rolloutState(s, p), expected));
});
