/**
 * End-to-end on moto: the real CLI binary and the real SDK against a local AWS emulator, running the contract
 * suite (test/contract.ts) that `npm test` runs on the fake, plus a SIGKILL at a random moment. moto accepts
 * some things real AWS refuses and runs no containers (see emulator-gaps.ts); the offline fake models those.
 * This proves the SDK wiring: endpoints, request shapes, pagination, idempotency over real HTTP.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { EC2Client } from "@aws-sdk/client-ec2";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { APP, FULL_STACK, SCENARIOS, unreportedDrift, type CliRun, type ContractTarget } from "../contract.js";
import { MOTO_CONFIG, MOTO_UNREPORTED } from "./emulator-gaps.js";
import { inventory, type Sdk } from "./inventory.js";

const ROOT = new URL("../../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "spontime-infra");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForMoto(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/moto-api/`)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("moto did not start within 20 s");
}

function cli(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = killAfterMs !== undefined ? setTimeout(() => child.kill("SIGKILL"), killAfterMs) : undefined;
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

let passed = 0;
let failed = 0;
async function step(name: string, fn: () => Promise<void>) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${(e as Error).message.split("\n").join("\n  ")}`);
  }
}

async function main() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // this script's own SDK clients, as bin/ does
  if (spawnSync("python3", ["-c", "import moto.server"]).status !== 0) {
    console.log("e2e skipped: python3 with moto[server] is not installed (pip install 'moto[server]')");
    console.log("0 passed, 0 failed, 1 skipped");
    return;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Managed policies (AmazonECSTaskExecutionRolePolicy) exist in moto only when asked for.
  const moto: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore", env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: "true" } });
  const dir = mkdtempSync(join(tmpdir(), "spontime-e2e-"));
  const config = join(dir, "spontime.config.json");
  writeFileSync(config, JSON.stringify(MOTO_CONFIG));
  const env = {
    PATH: process.env.PATH, HOME: dir, AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1", NO_COLOR: "1", CI: "true",
  };
  const stateDir = join(dir, "state");
  const flags = ["--state-dir", stateDir, "--config", config];
  const sdk: Sdk = { region: "us-east-1", endpoint: url, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  const clients = { ec2: new EC2Client(sdk), logs: new CloudWatchLogsClient(sdk) };
  // moto keeps no call log: the count of mutating calls is the CLI's own report (`calls.mutating` of --json).
  const target: ContractTarget = {
    cli: (argv) => cli([...argv, ...flags], env),
    mutatingCalls: (run) => (JSON.parse(run.stdout) as { calls: { mutating: number } }).calls.mutating,
    tagged: () => inventory(sdk, APP),
    aws: (fn) => fn(clients),
    deleteStateFile: () => rmSync(join(stateDir, `${APP}.json`)),
    unreported: MOTO_UNREPORTED,
  };
  try {
    await waitForMoto(url);
    await step("plan lists the whole stack", async () => {
      const r = await target.cli(["plan"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Plan: 22 to create/);
    });
    for (const s of SCENARIOS) await step(`contract: ${s.name}`, () => s.run(target));
    await step("up killed with SIGKILL at a random moment, then re-run, converges without duplicates", async () => {
      const killAt = 300 + Math.floor(Math.random() * 2500);
      await cli(["up", "--yes", ...flags], env, killAt);
      const r = await target.cli(["up", "--yes", "--json", "--force-unlock"]);
      assert.equal(r.code, 0, `killed at ${killAt} ms; re-run: ${r.stderr}`);
      assert.deepEqual(await target.tagged(), FULL_STACK, `killed at ${killAt} ms`);
      const status = JSON.parse((await target.cli(["status", "--json"])).stdout) as { resources: { key: string; sync: string; fields: string[] }[] };
      const again = await target.cli(["up", "--yes", "--json"]);
      assert.equal(target.mutatingCalls(again), unreportedDrift(target, status.resources).length);
      assert.equal((await target.cli(["down", "--yes", "--skip-final-snapshot"])).code, 0);
      assert.deepEqual(await target.tagged(), []);
    });
  } finally {
    moto.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

await main();
