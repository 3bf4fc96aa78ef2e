import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness, TEST_ENV } from "./helpers.js";

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const { AWS_REGION: _region, ...NO_REGION_ENV } = TEST_ENV;

describe("the stack's region is its spec's (issue 23)", () => {
  for (const [what, env, flags] of [
    ["AWS_REGION", { ...NO_REGION_ENV, AWS_REGION: "us-east-1" }, []],
    ["AWS_DEFAULT_REGION", { ...NO_REGION_ENV, AWS_DEFAULT_REGION: "us-east-1" }, []],
    ["--region", NO_REGION_ENV, ["--region", "us-east-1"]],
  ] as const) {
    it(`a different region from ${what} is refused before any AWS call, both named, with how to choose`, async () => {
      const config = h.writeSpec({ region: "eu-west-1" });
      for (const command of [["up", "--yes"], ["down", "--yes"], ["plan"], ["validate"]]) {
        const r = await h.cli([...command, "--config", config, ...flags], { env });
        assert.equal(r.code, 2, `${command[0]}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${what} says us-east-1 but .*spec\\.json says region eu-west-1`));
        assert.match(r.stderr, /put the one you mean there/);
      }
      assert.equal(h.fake.calls.length, 0);
    });
  }

  it("the same region everywhere is fine; --region or AWS_REGION choose only for a spec that names none", async () => {
    const named = h.writeSpec({ region: "eu-west-1" });
    const same = await h.cli(["validate", "--config", named, "--region", "eu-west-1"], { env: { ...NO_REGION_ENV, AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-1" } });
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /in eu-west-1/);
    const unnamed = h.writeSpec({ appName: "other" });
    assert.match((await h.cli(["validate", "--config", unnamed, "--region", "eu-west-2"])).stdout, /in eu-west-2/);
    assert.match((await h.cli(["validate", "--config", unnamed], { env: { ...NO_REGION_ENV, AWS_DEFAULT_REGION: "eu-west-3" } })).stdout, /in eu-west-3/);
    assert.match((await h.cli(["validate", "--config", unnamed], { env: NO_REGION_ENV })).stdout, /in us-east-1/);
    const torn = await h.cli(["validate", "--config", unnamed], { env: { ...NO_REGION_ENV, AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-2" } });
    assert.equal(torn.code, 2);
    assert.match(torn.stderr, /AWS_REGION says eu-west-1 but AWS_DEFAULT_REGION says eu-west-2/);
  });

  it("a profile whose region differs from the spec's is refused before any AWS call", async () => {
    const configFile = join(h.dir, "aws-config");
    writeFileSync(configFile, "[profile other]\nregion = us-west-2\naws_access_key_id = AKIATEST\naws_secret_access_key = test\n");
    // The SDK reads its config file from the process's environment.
    const before = process.env.AWS_CONFIG_FILE;
    process.env.AWS_CONFIG_FILE = configFile;
    try {
      const env = { ...NO_REGION_ENV, AWS_CONFIG_FILE: configFile };
      const r = await h.cli(["up", "--yes", "--config", h.writeSpec({ region: "eu-west-1" }), "--profile", "other"], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /profile other says region us-west-2 but the stack's region is eu-west-1/);
      assert.equal(h.fake.calls.length, 0);
    } finally {
      if (before === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = before;
    }
  });
});

/**
 * Two stacks of one appName in one account, in two regions: each region's resources are its own (one fake per
 * region), while IAM is account-wide, so both fakes share one IAM. Only one fake answers the SDK at a time.
 */
class TwoRegions {
  readonly east = new Harness();
  readonly west: Harness;
  constructor() {
    this.east.fake.restore();
    this.west = new Harness({ region: "eu-west-1" });
    this.west.fake.state.iam = this.east.fake.state.iam;
    this.west.fake.restore();
  }
  async cli(h: Harness, region: string, argv: string[]) {
    h.fake.install();
    try {
      return await h.cli([...argv, "--config", h.writeSpec({ region, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } })], { env: { ...NO_REGION_ENV, AWS_REGION: region } });
    } finally {
      h.fake.restore();
    }
  }
  up(h: Harness, region: string) { return this.cli(h, region, ["up", "--yes"]); }
  roles(region: string) { return [...this.east.fake.iam.roles.values()].filter((r) => r.name.includes(region)); }
  close() { this.east.close(); this.west.close(); }
}

describe("two stacks of one appName in two regions share no IAM role (issue 23)", () => {
  it("down of one leaves the other's roles and policies unchanged, and the other's next up makes 0 mutating calls", async () => {
    const two = new TwoRegions();
    try {
      assert.equal((await two.up(two.east, "us-east-1")).code, 0);
      assert.equal((await two.up(two.west, "eu-west-1")).code, 0);
      const west = structuredClone(two.roles("eu-west-1"));
      assert.deepEqual(west.map((r) => r.name).sort(), ["spontime-poc-eu-west-1-ecs-execution", "spontime-poc-eu-west-1-scheduler"]);
      assert.equal(two.roles("us-east-1").length, 2);

      const down = await two.cli(two.east, "us-east-1", ["down", "--yes"]);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(two.roles("us-east-1"), []);
      assert.deepEqual(two.roles("eu-west-1"), west);

      two.west.resetCalls();
      assert.equal((await two.up(two.west, "eu-west-1")).code, 0);
      assert.deepEqual(two.west.fake.mutatingCalls().map((c) => c.op), []);
    } finally {
      two.close();
    }
  });
});

/**
 * Makes `h`'s stack in `region` what an earlier spontime-infra left: roles named without the region, untagged
 * with it. `shared`: the legacy roles are another region's stack's (the collision before the upgrade): this
 * stack's state and resources name them, its own roles are gone.
 */
function makeLegacy(h: Harness, region: string, shared = false): void {
  let state = readFileSync(h.statePath, "utf8");
  for (const suffix of ["ecs-execution", "scheduler"]) {
    const role = h.fake.iam.roles.get(`${APP}-${region}-${suffix}`)!;
    const legacy = { ...role, name: `${APP}-${suffix}`, arn: role.arn.replace(`${region}-${suffix}`, suffix), tags: { ...role.tags } };
    delete legacy.tags["spontime:region"];
    h.fake.iam.roles.delete(role.name);
    if (!shared) h.fake.iam.roles.set(legacy.name, legacy);
    for (const td of h.fake.ecs.taskDefs.values()) if (td.def.executionRoleArn === role.arn) td.def.executionRoleArn = legacy.arn;
    for (const s of h.fake.scheduler.schedules.values()) if (s.target.RoleArn === role.arn) s.target.RoleArn = legacy.arn;
    state = state.replaceAll(role.name, legacy.name); // the role's record, and the schedules' definitions that name it
  }
  writeFileSync(h.statePath, state, { mode: 0o600 });
}

describe("a stack made before role names carried the region keeps its roles (issue 23)", () => {
  it("its legacy roles are adopted with a plan line (the region tag), never renamed; a neighbour in another region leaves them alone", async () => {
    const two = new TwoRegions();
    try {
      assert.equal((await two.up(two.east, "us-east-1")).code, 0);
      makeLegacy(two.east, "us-east-1");
      const plan = await two.cli(two.east, "us-east-1", ["plan"]);
      // The same tag on the two roles, said once (issue 25's collapsed tag line); the JSON plan names each role.
      assert.match(plan.stdout, /~ tags on 2 resources: \+ spontime:region = "us-east-1"/);
      const changed = JSON.parse((await two.cli(two.east, "us-east-1", ["plan", "--json"])).stdout).changes.filter((c: { action: string }) => c.action === "update");
      assert.deepEqual(changed.map((c: { key: string }) => c.key).sort(), ["iam-execution-role", "iam-scheduler-role"]);
      assert.match(plan.stdout, /Plan: 0 to create, 2 to update, 0 to replace, 0 to delete/);
      two.east.resetCalls();
      assert.equal((await two.up(two.east, "us-east-1")).code, 0);
      assert.deepEqual(two.east.fake.mutatingCalls().map((c) => [c.op, (c.input as { RoleName: string }).RoleName]),
        [["TagRole", `${APP}-ecs-execution`], ["TagRole", `${APP}-scheduler`]].sort());
      const legacy = structuredClone([...two.east.fake.iam.roles.values()]);

      // The neighbour's state names the same legacy roles (two regions shared them before the upgrade): it leaves them and makes its own.
      assert.equal((await two.up(two.west, "eu-west-1")).code, 0);
      makeLegacy(two.west, "eu-west-1", true);
      const west = await two.up(two.west, "eu-west-1");
      assert.match(west.stdout + west.stderr, /Left IAM role spontime-poc-ecs-execution: the spontime-poc stack in us-east-1 uses it/);
      assert.equal((await two.cli(two.west, "eu-west-1", ["down", "--yes"])).code, 0);
      assert.deepEqual([...two.east.fake.iam.roles.values()], legacy);
      two.east.resetCalls();
      assert.equal((await two.up(two.east, "us-east-1")).code, 0);
      assert.deepEqual(two.east.fake.mutatingCalls(), []);
    } finally {
      two.close();
    }
  });
});
