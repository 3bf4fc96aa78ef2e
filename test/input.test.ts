import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Harness } from "./helpers.js";

const BIN = new URL("../../bin/spontime-infra", import.meta.url).pathname;
let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

/** No credential source at all: a HOME without ~/.aws, no AWS_* keys. */
const noCredentials = () => ({ AWS_REGION: "us-east-1", NO_COLOR: "1", HOME: h.dir });

/** Exit 2, one line of error and one of hint, and not a single AWS call. */
function badInput(r: { code: number; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split("\n").length, 2, `one line of error, one of hint:\n${r.stderr}`);
  assert.deepEqual(h.fake.calls, [], "no AWS call");
}

describe("bad paths: a one-line message and exit 2, before any AWS call", () => {
  it("a config path that is a directory", async () => {
    badInput(await h.cli(["plan", "--config", h.dir]), /^error: .* is a directory, not a spec file\n\s+pass the spec's JSON file with --config/);
    const json = await h.cli(["up", "--yes", "--json", "--config", h.dir]);
    assert.equal(JSON.parse(json.stdout).error.code, "BadInput");
  });

  it("a state file path that is a directory", async () => {
    mkdirSync(h.statePath, { recursive: true });
    for (const argv of [["plan"], ["up", "--yes"], ["status"], ["validate"]]) {
      badInput(await h.cli(argv), /spontime-poc\.json is a directory, where the state file should be\n\s+move it aside, or pass another --state-dir/);
    }
  });

  it("a --state-dir that is a file", async () => {
    writeFileSync(h.stateDir, "not a directory");
    for (const argv of [["plan"], ["up", "--yes"], ["down", "--yes"]]) badInput(await h.cli(argv), /--state-dir .*state is not a directory/);
  });

  /**
   * Permissions as a user meets them: root (the test machine) reads and writes whatever the mode says, so the
   * CLI runs as `nobody` there; the directory tree above is world-traversable for it.
   */
  function asUser(argv: string[], dir: string): { code: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [BIN, ...argv, "--state-dir", dir], {
      encoding: "utf8", cwd: tmpdir(), env: { PATH: process.env.PATH, HOME: tmpdir(), AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "us-east-1", NO_COLOR: "1" },
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });
    return { code: r.status, stderr: r.stderr };
  }

  it("a state directory without permission, and a read-only one", () => {
    const parent = mkdtempSync(join(tmpdir(), "spontime-perm-"));
    try {
      chmodSync(parent, 0o755);
      const closed = join(parent, "closed");
      mkdirSync(closed, { mode: 0o700 });
      chmodSync(closed, 0o000);
      for (const argv of [["plan"], ["up", "--yes"]]) {
        const r = asUser(argv, closed);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^error: .*closed\/spontime-poc\.json: permission denied\n\s+the state directory needs read and write access for this user \(chmod u\+rwx .*closed\)/);
      }
      const readOnly = join(parent, "read-only");
      mkdirSync(readOnly, { mode: 0o755 });
      const r = asUser(["up", "--yes"], readOnly);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: .*read-only\/spontime-poc\.lock: permission denied\n/, "refused at the lock, before credentials or any AWS call");
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe("up without credentials creates nothing", () => {
  it("no state directory is left behind (nothing to write yet)", async () => {
    const r = await h.cli(["up", "--yes"], { env: noCredentials() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no AWS credentials found/);
    assert.equal(existsSync(h.stateDir), false, `${h.stateDir} must not exist`);
  });
});

describe("credentials: each way of having none gets its own message, naming the profile and the fix", () => {
  /** The real binary with its own HOME holding ~/.aws/config (the SDK reads profiles from the process's HOME). */
  function bin(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [BIN, ...argv, "--state-dir", h.stateDir], {
      cwd: h.dir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: h.dir, AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "us-east-1", NO_COLOR: "1", ...env },
    });
    return { code: r.status, stderr: r.stderr };
  }
  const awsConfig = (text: string) => { mkdirSync(join(h.dir, ".aws"), { recursive: true }); writeFileSync(join(h.dir, ".aws", "config"), text); };
  const CONFIG = `[default]
region = us-east-1

[profile dev]
region = eu-west-1

[profile sso-dev]
sso_session = acme
sso_account_id = 123456789012
sso_role_name = Admin
region = us-east-1

[sso-session acme]
sso_start_url = https://acme.awsapps.com/start
sso_region = us-east-1
`;

  it("--profile typo and AWS_PROFILE=typo: the profile does not exist, and the ones that do are listed", () => {
    awsConfig(CONFIG);
    for (const r of [bin(["status", "--profile", "typo"]), bin(["status"], { AWS_PROFILE: "typo" })]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: AWS profile "typo" does not exist \(--profile or AWS_PROFILE\)\n\s+the profiles in ~\/\.aws\/config and ~\/\.aws\/credentials are: default, dev, sso-dev\n$/);
    }
  });

  it("a profile with no config files at all says how to create it", () => {
    const r = bin(["status", "--profile", "work"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /AWS profile "work" does not exist.*\n.*`aws configure --profile work`/);
  });

  it("an SSO profile not logged in: `aws sso login --profile X`", () => {
    awsConfig(CONFIG);
    const r = bin(["status", "--profile", "sso-dev"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: AWS profile "sso-dev" uses IAM Identity Center \(SSO\) and is not logged in, or its login expired\n\s+run `aws sso login --profile sso-dev`, then run again\n$/);
  });

  it("a profile that exists but holds no credentials", () => {
    awsConfig(CONFIG);
    const r = bin(["status", "--profile", "dev"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: AWS profile "dev" gives no credentials\n\s+check its keys or role settings .*`aws configure list --profile dev`/);
  });

  it("plan without credentials on a stack with S3 state says what plan can and cannot do", async () => {
    const spec = h.writeSpec({ state: { backend: "s3", bucket: "acme-spontime-state" } });
    const r = await h.cli(["plan", "--config", spec], { env: noCredentials() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error: no AWS credentials found: this stack's state is in S3 \(s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json\), and reading it needs them, for `plan` too\n/);
    assert.match(r.stderr, /without credentials, `plan` and `validate` work only for a stack whose state is local/);
    assert.doesNotMatch(r.stderr, /`plan` works without them/);
  });
});
