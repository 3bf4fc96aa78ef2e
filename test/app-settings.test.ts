import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { secretsAccess } from "../src/resources/iam-role.js";
import { APP, Harness } from "./helpers.js";

let h: Harness;

const SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/spontime/sentry-dsn";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:email-AbC123";
const settings = { environment: { SENTRY_ENVIRONMENT: "poc" }, secrets: { SENTRY_DSN: SSM, EMAIL_PASSWORD: `${SECRET}:password::` } };

/** The container of the family's newest revision, as ECS holds it. */
const container = () => {
  const revisions = [...h.fake.ecs.taskDefs.values()].filter((t) => t.def.family === APP);
  return revisions.at(-1)!.def.containerDefinitions![0]!;
};
const secretsPolicy = () => h.fake.iam.roles.get(`${APP}-us-east-1-ecs-execution`)?.inline["read-app-secrets"];

// Each test its own harness; the hooks are inside this describe so that, in test/mutation-suite.ts's one
// process, they run for this file's tests only.
describe("app settings", () => {
  beforeEach(() => { h = new Harness(); });
  afterEach(() => h.close());

  describe("app.environment and app.secrets", () => {
    it("reach the container, and the execution role may read exactly the secrets named", async () => {
      await h.up("--config", h.writeSpec({ app: settings }));
      const c = container();
      assert.equal(c.environment!.find((e) => e.name === "SENTRY_ENVIRONMENT")?.value, "poc");
      assert.deepEqual(c.secrets, [{ name: "SENTRY_DSN", valueFrom: SSM }, { name: "EMAIL_PASSWORD", valueFrom: `${SECRET}:password::` }]);
      const doc = JSON.parse(secretsPolicy()!);
      assert.deepEqual(doc.Statement, [
        { Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [SSM] },
        // The secret itself: the json key a valueFrom picks is not part of its ARN.
        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET] },
      ]);
      h.resetCalls();
      await h.up("--config", h.writeSpec({ app: settings }));
      assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), [], "a second up changes nothing");
    });

    it("a changed value shows as a field diff and rolls the service; emptied secrets take the role's policy away", async () => {
      await h.up("--config", h.writeSpec({ app: settings }));
      const changed = h.writeSpec({ app: { ...settings, environment: { SENTRY_ENVIRONMENT: "staging" }, secrets: {} } });
      const plan = await h.cli(["plan", "--config", changed]);
      assert.match(plan.stdout, /SENTRY_ENVIRONMENT/);
      assert.match(plan.stdout, /staging/);
      assert.match(plan.stdout, /secretsAccess/);
      h.resetCalls();
      await h.up("--config", changed);
      const ops = h.fake.mutatingCalls().map((c) => c.op);
      assert.ok(ops.includes("RegisterTaskDefinition") && ops.includes("UpdateService"), ops.join(", "));
      assert.equal(container().environment!.find((e) => e.name === "SENTRY_ENVIRONMENT")?.value, "staging");
      assert.equal(container().secrets, undefined);
      assert.equal(secretsPolicy(), undefined, "no grant left for secrets the app no longer reads");
      h.resetCalls();
      await h.up("--config", changed);
      assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
    });

    it("a stack without secrets reads no inline policy of its execution role", async () => {
      await h.up();
      h.resetCalls();
      await h.up();
      assert.equal(h.fake.calls.filter((c) => c.op === "GetRolePolicy").length, 0);
    });

    it("down removes the secrets policy first, even when the state file was lost", async () => {
      await h.up("--config", h.writeSpec({ app: settings }));
      rmSync(h.statePath);
      const r = await h.cli(["down", "--yes", "--skip-final-snapshot"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(h.fake.iam.roles.get(`${APP}-us-east-1-ecs-execution`), undefined);
    });

    for (const [what, app, message] of [
      ["a name the stack sets itself", { environment: { DEBUG: "False" } }, /DEBUG.*set by spontime-infra itself/],
      ["a secret given by name", { secrets: { SENTRY_DSN: "/spontime/sentry-dsn" } }, /ARN of an SSM parameter/],
      ["a name in both", { environment: { TOKEN: "x" }, secrets: { TOKEN: SSM } }, /TOKEN is in app.environment too/],
      ["an invalid variable name", { environment: { "1BAD": "x" } }, /1BAD must be an environment variable name/],
    ] as const) {
      it(`refuses ${what} before any AWS call (exit 2)`, async () => {
        const r = await h.cli(["plan", "--config", h.writeSpec({ app })]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.equal(h.fake.calls.length, 0);
      });
    }
  });

  describe("the execution role's grant (secretsAccess)", () => {
    it("one resource per secret whatever key, stage or version a valueFrom picks; parameters and secrets apart, sorted; none without secrets", () => {
      const other = "arn:aws:ssm:us-east-1:123456789012:parameter/spontime/a-first";
      assert.deepEqual(secretsAccess({ A: `${SECRET}:password::`, B: `${SECRET}:user:AWSCURRENT:`, C: SSM, D: other, E: SECRET }), [
        { actions: ["ssm:GetParameters"], resources: [other, SSM] },
        { actions: ["secretsmanager:GetSecretValue"], resources: [SECRET] },
      ]);
      assert.deepEqual(secretsAccess({ C: SSM }), [{ actions: ["ssm:GetParameters"], resources: [SSM] }]);
      assert.deepEqual(secretsAccess({}), []);
    });
  });

  describe("DEBUG on a public load balancer", () => {
    const WARNING = /warning: DEBUG=True on a public load balancer.*"debug": false/g;

    it("init writes the choice into the spec, and validate, plan and up each say it in one line", async () => {
      const file = join(h.dir, "spontime.config.json");
      assert.equal((await h.cli(["init", "--config", file])).code, 0);
      assert.equal(JSON.parse(readFileSync(file, "utf8")).app.debug, true);
      for (const argv of [["validate"], ["plan"], ["up", "--yes"]]) {
        const r = await h.cli([...argv, "--config", file]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr.match(WARNING)?.length, 1, `${argv[0]}: ${r.stderr}`);
      }
      const doctor = JSON.parse((await h.cli(["doctor", "--json", "--config", file])).stdout);
      assert.deepEqual(doctor.findings.filter((f: { check: string }) => f.check === "debug").map((f: { status: string }) => f.status), ["warning"]);
    });

    it("is not said once app.debug is false", async () => {
      const file = h.writeSpec({ app: { debug: false } });
      for (const argv of [["validate"], ["plan"]]) assert.doesNotMatch((await h.cli([...argv, "--config", file])).stderr, /DEBUG=True/);
    });
  });

  describe("down and the images", () => {
    it("the plan says the images go with the repository; --keep-images keeps both, and the next up uses the repository again", async () => {
      await h.up();
      await h.deploy("v1");
      const plan = await h.cli(["down", "--config", h.writeSpec({}), "--skip-final-snapshot"], { input: "n\n", tty: true });
      assert.match(plan.stdout, /- ECR repository spontime-poc.*\(and every image in it: `down --keep-images` keeps the repository\)/);
      const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--keep-images"]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /- ECR repository/);
      assert.match(r.stderr, /The stack is gone but for its ECR repository and images/);
      assert.ok(h.fake.ecr.repos.has(APP), "the repository is kept");
      assert.deepEqual(h.fake.taggedResources(APP).filter((x) => !x.includes("ecr")), [], "everything else is gone");
      h.resetCalls();
      await h.up();
      assert.equal(h.fake.count("CreateRepository"), 0, "the kept repository is used again");
    });
  });
});
