/**
 * End-to-end on moto: the real CLI binary and the real SDK against a local AWS emulator. moto accepts some
 * things real AWS refuses (one-AZ ALBs, bad Fargate sizes) and runs no containers; the offline fake models
 * those. This proves the SDK wiring: endpoints, request shapes, pagination, idempotency over real HTTP.
 */
import { DescribeVpcsCommand, DescribeSubnetsCommand, DescribeSecurityGroupsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

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

interface Run { code: number | null; stdout: string; stderr: string }
function cli(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<Run> {
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
  // moto answers DescribeDBEngineVersions with a family filter by a 500: pin the minor, as a user may.
  const config = join(dir, "spontime.config.json");
  writeFileSync(config, JSON.stringify({ database: { engineVersion: "15.8" } }));
  const env = {
    PATH: process.env.PATH, HOME: dir, AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "us-east-1", NO_COLOR: "1", CI: "true",
  };
  const state = ["--state-dir", join(dir, "state"), "--config", config];
  const sdk = { region: "us-east-1", endpoint: url, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
  const ec2 = new EC2Client(sdk);
  const stackVpcs = async () => (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:spontime:stack", Values: ["spontime-poc"] }] }))).Vpcs ?? [];
  const counts = async () => ({
    vpcs: (await stackVpcs()).length,
    subnets: ((await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "tag:spontime:stack", Values: ["spontime-poc"] }] }))).Subnets ?? []).length,
    sgs: ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:spontime:stack", Values: ["spontime-poc"] }] }))).SecurityGroups ?? []).length,
    dbs: ((await new RDSClient(sdk).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []).length,
    albs: ((await new ElasticLoadBalancingV2Client(sdk).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).length,
  });
  const FULL = { vpcs: 1, subnets: 4, sgs: 3, dbs: 1, albs: 1 };
  try {
    await waitForMoto(url);
    await step("plan lists the whole stack", async () => {
      const r = await cli(["plan", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Plan: 22 to create/);
    });
    await step("up creates the full stack", async () => {
      const r = await cli(["up", "--yes", "--json", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).outcome, "ok");
      assert.deepEqual(await counts(), FULL);
    });
    await step("status shows every resource in sync", async () => {
      const r = await cli(["status", "--json", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      const drifted = JSON.parse(r.stdout).resources.filter((x: { sync: string }) => x.sync !== "in sync");
      assert.deepEqual(drifted, []);
    });
    await step("a second up makes no mutating call", async () => {
      const r = await cli(["up", "--yes", "--json", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.calls.mutating, 0, `mutating calls: ${out.calls.mutating}`);
      assert.deepEqual(out.summary, { create: 0, update: 0, replace: 0, delete: 0 });
    });
    await step("outputs --json gives the URL and repository", async () => {
      const r = await cli(["outputs", "--json", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      const o = JSON.parse(r.stdout);
      assert.match(o.url, /^http:\/\/.+/);
      assert.match(o.ecrRepositoryUri, /spontime-poc$/);
      assert.equal(o.dbPassword, undefined, "secrets only with --show-secrets");
    });
    await step("down --yes --skip-final-snapshot leaves nothing tagged for the stack", async () => {
      const r = await cli(["down", "--yes", "--skip-final-snapshot", ...state], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await counts(), { vpcs: 0, subnets: 0, sgs: 0, dbs: 0, albs: 0 });
    });
    await step("up killed with SIGKILL at a random moment, then re-run, converges without duplicates", async () => {
      const killAt = 300 + Math.floor(Math.random() * 2500);
      await cli(["up", "--yes", ...state], env, killAt);
      const r = await cli(["up", "--yes", "--json", "--force-unlock", ...state], env);
      assert.equal(r.code, 0, `killed at ${killAt} ms; re-run: ${r.stderr}`);
      assert.deepEqual(await counts(), FULL, `killed at ${killAt} ms`);
      const again = await cli(["up", "--yes", "--json", ...state], env);
      assert.equal(JSON.parse(again.stdout).calls.mutating, 0);
      assert.equal((await cli(["down", "--yes", "--skip-final-snapshot", ...state], env)).code, 0);
    });
  } finally {
    moto.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

await main();
