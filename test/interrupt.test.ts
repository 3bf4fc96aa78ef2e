import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";

const BIN = new URL("../../bin/spontime-infra", import.meta.url).pathname;

it("Ctrl-C once asks the run to stop; a second Ctrl-C exits at once with 130", async () => {
  // An "AWS endpoint" on loopback that takes requests and never answers: the run is stuck in flight.
  let requests = 0;
  const server = createServer(() => { requests++; });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "spontime-int-"));
  try {
    const child = spawn(process.execPath, [BIN, "up", "--yes", "--state-dir", join(dir, "state")], {
      env: { PATH: process.env.PATH, HOME: dir, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "us-east-1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    // A bound for a loaded machine (test files start node side by side), not a timing assertion.
    for (let i = 0; i < 2400 && requests === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(requests > 0, "the CLI reached the endpoint");
    child.kill("SIGINT");
    for (let i = 0; i < 1200 && !stderr.includes("Interrupted"); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(stderr, /Interrupted: finishing calls in flight and saving state \(Ctrl-C again to quit now\)/);
    child.kill("SIGINT");
    // The call in flight never gets an answer: waiting for it would never exit.
    const waited = new Promise<"still running">((r) => setTimeout(() => r("still running"), 30_000).unref());
    assert.equal(await Promise.race([exited, waited]), 130, "the second Ctrl-C does not wait for the call in flight");
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("a reader that closes the pipe early (`| head`) ends the CLI quietly, not with an EPIPE crash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spontime-pipe-"));
  try {
    const child = spawn(process.execPath, [BIN, "plan", "--state-dir", join(dir, "state")], { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
    assert.equal(code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
