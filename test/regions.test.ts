import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness, TEST_ENV } from "./helpers.js";

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
