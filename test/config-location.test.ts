import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness } from "./helpers.js";

const BIN = new URL("../../bin/spontime-infra", import.meta.url).pathname;
let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

/** The real binary run in `cwd` with no --config and no --state-dir, as a user in a shell would; no credentials, no AWS call. */
function validateIn(cwd: string) {
  const r = spawnSync(process.execPath, [BIN, "validate"], { cwd, encoding: "utf8", env: { PATH: process.env.PATH, HOME: h.dir, AWS_REGION: "us-east-1", NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("which stack is this: the spec is found like git and tsc find theirs", () => {
  it("from a subdirectory, the spec above is used and said, with the state directory beside it", () => {
    const repo = join(h.dir, "infra");
    const deeper = join(repo, "docs", "notes");
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(deeper, { recursive: true });
    writeFileSync(join(repo, "spontime.config.json"), JSON.stringify({ appName: "upward" }));
    const r = validateIn(deeper);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Using \.\.\/\.\.\/spontime\.config\.json \(state in \.\.\/\.\.\/state\)$/m);
    assert.match(r.stdout, /spec ok: app upward in us-east-1; state not created yet/);
    const here = validateIn(repo);
    assert.match(here.stderr, /^Using spontime\.config\.json$/m, "in the spec's own directory: said too");
  });

  it("never above the repository root: another project's spec there is not this stack's", () => {
    writeFileSync(join(h.dir, "spontime.config.json"), JSON.stringify({ appName: "someone-else" }));
    const repo = join(h.dir, "app");
    mkdirSync(join(repo, ".git"), { recursive: true });
    mkdirSync(join(repo, "src"));
    const r = validateIn(join(repo, "src"));
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Using/);
    assert.match(r.stdout, /spec ok: app spontime-poc/, "the defaults, not the spec above the root");
  });
});

describe("the state remembers the spec it was applied from", () => {
  it("a run that finds no spec for a stack applied from one refuses (exit 2, the path named) unless --config is given", async () => {
    const spec = h.writeSpec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" }, app: { capacity: "FARGATE_SPOT" } });
    const first = await h.cli(["up", "--yes", "--config", spec]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(readFileSync(h.statePath, "utf8")).config, spec);
    h.resetCalls();
    for (const argv of [["plan"], ["up", "--yes"], ["down", "--yes"], ["status", "--json"]]) {
      const r = await h.cli(argv);
      assert.equal(r.code, 2, `${argv[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`was last applied from ${spec.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}, but no spontime\\.config\\.json was found here or above .*\\n.*--config ${spec.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    }
    assert.equal(JSON.parse((await h.cli(["status", "--json"])).stdout).error.code, "BadInput", "one JSON document");
    assert.deepEqual(h.fake.calls, [], "refused before any AWS call");
    const withSpec = await h.cli(["plan", "--detailed-exitcode", "--config", spec]);
    assert.equal(withSpec.code, 0, withSpec.stderr);
    assert.equal((await h.cli(["outputs", "--json"])).code, 0, "outputs reads the state whatever the spec (the Django repository has none)");
  });
});
