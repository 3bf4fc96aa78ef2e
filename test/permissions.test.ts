/**
 * The permission lists against every call (issue 24 item 2): the fake is driven through up, deploy, run, logs,
 * sleep, wake, status and down, for every spec feature (tags changed, drift repaired, a schedule, https with
 * its zone, Spot, app.secrets, the state in S3). Each call of a stack command must be in the list `doctor`
 * checks for that spec (the README's), each call of a CI command in the CI policy; and every listed action
 * must be called somewhere, or be one IAM checks without a call of its own.
 */
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { after, before, describe, it } from "node:test";
import { ciPolicy, DOCKER_PUSH_ACTIONS } from "../src/app/ci-policy.js";
import { SpecSchema } from "../src/config/schema.js";
import { VERBS, type Verb } from "../src/resources/kind.js";
import { actionsOf, stackActions, type PermissionSpec } from "../src/stack/permissions.js";
import { ALL_RESOURCES, type StackResourceOfAnyKind } from "../src/stack/resources.js";
import { S3_STATE_RUN_ACTIONS } from "../src/state/s3-permissions.js";
import { APP, withHarness, type Harness } from "./helpers.js";

/** The IAM prefix of each client the fake records calls of. */
const PREFIX: Record<string, string> = { elbv2: "elasticloadbalancing" };
/** Calls whose IAM action has another name (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html). */
const ACTION_OF: Record<string, string> = { "s3:HeadBucket": "s3:ListBucket" };
/** GetCallerIdentity needs no permission (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html). */
const FREE = new Set(["sts:GetCallerIdentity"]);

/**
 * Listed, yet no call of that name is ever made: IAM checks them as part of another call. PassRole when a task
 * definition or a schedule names a role (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html);
 * rds:CreateDBSnapshot is what a DeleteDBInstance with a final snapshot needs (API_DeleteDBInstance.html);
 * the ECR push actions are docker's, in the CI workflow (`docker login`/`docker push`), not this tool's.
 */
const CHECKED_WITHOUT_A_CALL = new Set(["iam:PassRole", "rds:CreateDBSnapshot", ...DOCKER_PUSH_ACTIONS]);

/** Called only on a path these runs do not take, and where that path's own test calls it. */
const CALLED_ELSEWHERE = new Set(["ec2:DescribeNetworkInterfaces" /* two live copies of the network: test/two-runs.test.ts */]);

const CI_COMMANDS = new Set(["deploy", "run", "logs"]);
const ciActions = (spec: object) => new Set(ciPolicy(SpecSchema.parse(spec)).Statement.flatMap((s) => s.Action));

const called = new Set<string>();
const outside: string[] = [];

/**
 * The kind and step each call is made in: every step of every kind runs inside `inStep` (the steps are wrapped
 * for this file's runs). A call made in a step must be among that kind's actions for it, or for its observe
 * (the preflight checks both for each resource of the plan, `planActions`), so each kind's list is right on its
 * own and not only as part of the stack's.
 */
const inStep = new AsyncLocalStorage<{ r: StackResourceOfAnyKind; verb: Verb }>();
const unwrap: (() => void)[] = [];
before(() => {
  for (const r of ALL_RESOURCES) {
    for (const verb of VERBS) {
      const step = r[verb] as ((...args: unknown[]) => Promise<unknown>) | undefined;
      if (!step) continue;
      const target = r as unknown as Record<Verb, unknown>;
      target[verb] = (...args: unknown[]) => inStep.run({ r, verb }, () => step.apply(r, args));
      unwrap.push(() => { target[verb] = step; });
    }
  }
});
after(() => { for (const u of unwrap) u(); });
const outsideTheirKind: string[] = [];
const kindsCalling = new Set<string>();

/** Runs one command on the fake; its calls must be in the list for the spec it ran with. */
async function run(h: Harness, argv: string[], spec: object, expectCode: number | undefined = 0): Promise<void> {
  h.resetCalls();
  const steps = new Map<number, { r: StackResourceOfAnyKind; verb: Verb }>();
  // The claim is renewed before whichever call comes when it is due: the run's call, not the step's.
  h.fake.onCall = () => { const s = inStep.getStore(); if (s && !h.fake.claimCalls().includes(h.fake.calls.at(-1)!)) steps.set(h.fake.calls.length - 1, s); };
  const r = await h.cli([...argv, "--config", h.writeSpec(spec)]);
  h.fake.onCall = undefined;
  if (expectCode !== undefined) assert.equal(r.code, expectCode, `${argv.join(" ")}: ${r.stderr}`);
  const listed = CI_COMMANDS.has(argv[0]!) ? ciActions(spec) : new Set(stackActions(spec as PermissionSpec));
  h.fake.calls.forEach((c, i) => {
    const call = `${PREFIX[c.service] ?? c.service}:${c.op}`;
    const action = ACTION_OF[call] ?? call;
    if (FREE.has(action)) return;
    called.add(action);
    if (!listed.has(action)) outside.push(`${argv[0]}: ${action}`);
    const step = steps.get(i);
    if (step) kindsCalling.add(step.r.key);
    if (step && ![...actionsOf(step.r, step.verb, spec), ...actionsOf(step.r, "observe", spec)].includes(action)) outsideTheirKind.push(`${argv[0]}: ${step.r.key} ${step.verb}: ${action}`);
  });
}

const TAGS = { tags: { team: "web" } };
const RETAGGED = { tags: { owner: "ops" } };
const SCHEDULE = { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" };
const SECRET = "arn:aws:ssm:us-east-1:123456789012:parameter/spontime/sentry-dsn";

/** Changes made behind the tool's back, one per field `up` repairs with a call of its own. */
function drift(h: Harness): void {
  const ec2 = h.fake.ec2;
  ec2.sgs.forEach((sg) => { sg.rules.push({ protocol: "tcp", from: 22, to: 22, kind: "IpRanges", source: "0.0.0.0/0" }); sg.egress = [{ protocol: "tcp", from: 25, to: 25, kind: "IpRanges", source: "0.0.0.0/0" }]; });
  ec2.igws.forEach((igw) => { igw.vpcId = undefined; });
  ec2.routeTables.forEach((t) => t.routes.forEach((r) => { if (r.dest === "0.0.0.0/0") r.gatewayId = "igw-elsewhere"; }));
  h.fake.elb.lbs.forEach((lb) => { lb.securityGroups = []; lb.subnets = lb.subnets.slice(0, 1); lb.attributes["idle_timeout.timeout_seconds"] = "4000"; });
  h.fake.elb.listeners.forEach((l, arn) => { l.rules.push({ arn: `${arn}/rule/by-hand`, priority: "10", conditions: [{ Field: "path-pattern", Values: ["/admin/*"] }], actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503" } }] }); });
  h.fake.elb.tgs.forEach((tg) => { tg.interval = 120; });
  h.fake.iam.roles.forEach((role) => { role.trust = "{}"; role.policies.add("arn:aws:iam::aws:policy/ReadOnlyAccess"); });
  h.fake.ecr.repos.forEach((repo) => { repo.scanOnPush = !repo.scanOnPush; repo.policy = undefined; repo.tagMutability = "IMMUTABLE"; });
  h.fake.rds.subnetGroups.forEach((g) => { g.subnets = g.subnets.slice(0, 1); });
  h.fake.logs.groups.forEach((g) => { g.retention = 30; });
  [...h.fake.ecs.services.values()].forEach((s) => { s.desiredCount = 3; });
}

describe("the permission lists", () => {
  it("hold every call of every command, for every spec feature, and every action they list is called", async () => {
    await withHarness(async (h) => {
      await run(h, ["up", "--yes"], TAGS);
      h.fake.pushImage(APP, "v1");
      h.fake.pushImage(APP, "v2");
      await run(h, ["deploy", "--tag", "v1"], TAGS);
      await run(h, ["deploy", "--tag", "v2", "--migrate", "python manage.py migrate --noinput"], TAGS);
      // A migration still starting when its time is up is stopped (StopTask), and the deploy fails.
      await run(h, ["deploy", "--tag", "v1", "--migrate", "python manage.py migrate", "--timeout", "20s"], TAGS, 1);
      await run(h, ["run", "--", "python", "manage.py", "check"], TAGS);
      await run(h, ["logs", "--since", "1h"], TAGS);
      drift(h);
      await run(h, ["up", "--yes"], { ...RETAGGED, logs: { retentionDays: 14 }, app: { deregistrationDelaySeconds: 10 }, database: { backupRetentionDays: 2 } });
      await run(h, ["sleep"], RETAGGED);
      await run(h, ["wake", "--health-timeout", "1s"], RETAGGED, undefined);
      await run(h, ["status"], RETAGGED);
      await run(h, ["down", "--yes"], RETAGGED);
      // The final snapshot down kept: restored by the next up, then listed and deleted.
      await run(h, ["up", "--yes", "--restore", "latest"], RETAGGED);
      await run(h, ["snapshots", "--json"], RETAGGED);
      const [snapshot] = (JSON.parse((await h.cli(["snapshots", "--json"])).stdout) as { snapshots: { id: string }[] }).snapshots;
      await run(h, ["snapshots", "delete", snapshot!.id, "--yes"], RETAGGED);
      await run(h, ["down", "--yes", "--skip-final-snapshot"], RETAGGED);
    }, { newAccount: true });

    await withHarness(async (h) => {
      h.fake.createHostedZone("example.com");
      const everything = { https: { domain: "api.example.com" }, schedule: SCHEDULE, app: { secrets: { SENTRY_DSN: SECRET } }, ...TAGS };
      await run(h, ["up", "--yes"], everything);
      drift(h);
      await run(h, ["up", "--yes"], {
        ...everything, ...RETAGGED, schedule: { ...SCHEDULE, awake: "Mon-Fri 09:00-20:00" },
        app: { capacity: "FARGATE_SPOT", secrets: { SENTRY_DSN: SECRET, OTHER: `${SECRET}-2` } },
      });
      await run(h, ["up", "--yes"], {});
      await run(h, ["down", "--yes"], {});
    });

    await withHarness(async (h) => {
      const bucket = { state: { backend: "s3" as const, bucket: "acme-spontime-state" } };
      assert.equal((await h.cli(["state", "bootstrap", "--bucket", bucket.state.bucket])).code, 0);
      await run(h, ["up", "--yes"], bucket);
      await run(h, ["down", "--yes"], bucket);
    });

    assert.deepEqual(outside, [], "every call is in the list for its command and spec");
    assert.deepEqual([...new Set(outsideTheirKind)], [], "every call of a kind's step is in that kind's list for the step");
    assert.deepEqual(ALL_RESOURCES.filter((r) => !kindsCalling.has(r.key)).map((r) => r.key), [], "every kind was seen calling AWS in its steps");
    const everySpec = { schedule: SCHEDULE, https: { domain: "api.example.com" }, hostedZone: true, app: { capacity: "FARGATE_SPOT", secrets: { A: SECRET } }, state: { backend: "s3" } };
    const listed = new Set([...stackActions(everySpec), ...ciActions({})]);
    assert.deepEqual([...listed].filter((a) => !called.has(a) && !CHECKED_WITHOUT_A_CALL.has(a) && !CALLED_ELSEWHERE.has(a)).sort(), [], "every listed action is called somewhere");
    assert.ok(S3_STATE_RUN_ACTIONS.every((a) => listed.has(a)));
  });
});
