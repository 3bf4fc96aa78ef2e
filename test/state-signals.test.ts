/** Locks on every exit path of the real binary (issue 14 §5): SIGTERM, a second Ctrl-C or SIGTERM, SIGKILL. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const BIN = new URL("../../bin/spontime-infra", import.meta.url).pathname;
const DENIED = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied for the test</Message></Error></Errors><RequestID>req-1</RequestID></Response>`;

/** An "AWS endpoint" on loopback: holds every request until `answer()`, then denies them all (and every later one). */
async function endpoint() {
  const held: ServerResponse[] = [];
  let answering = false;
  const deny = (res: ServerResponse) => res.writeHead(403, { "content-type": "text/xml" }).end(DENIED);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (answering) deny(res);
    else held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    requests: () => held.length,
    answer: () => { answering = true; for (const res of held.splice(0)) deny(res); },
    close: () => { server.closeAllConnections(); server.close(); },
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  // A bound for a loaded machine (several test files start node at once), not a timing assertion.
  for (let i = 0; i < 2400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), what);
}

/** Runs `up` on the real binary against `port`, in its own state directory. */
function up(dir: string, port: number) {
  const child = spawn(process.execPath, [BIN, "up", "--yes", "--state-dir", join(dir, "state")], {
    env: { PATH: process.env.PATH, HOME: dir, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "us-east-1", NO_COLOR: "1", AWS_MAX_ATTEMPTS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run = { child, stderr: "", exited: new Promise<number | null>((r) => child.on("exit", (code) => r(code))) };
  child.stderr.on("data", (d) => (run.stderr += d));
  return run;
}

async function scenario(fn: (dir: string, server: Awaited<ReturnType<typeof endpoint>>, lock: string) => Promise<void>): Promise<void> {
  const server = await endpoint();
  const dir = mkdtempSync(join(tmpdir(), "spontime-sig-"));
  try {
    await fn(dir, server, join(dir, "state", "spontime-poc.lock"));
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("locks on every exit path of the real binary", () => {
  it("SIGTERM is handled like Ctrl-C: the call in flight finishes, a message, the lock released, exit 143", async () => {
    await scenario(async (dir, server, lock) => {
      const run = up(dir, server.port);
      await until("the CLI reached the endpoint", () => server.requests() > 0);
      assert.ok(existsSync(lock), "the run holds the lock");
      run.child.kill("SIGTERM");
      await until("the CLI says it is stopping", () => run.stderr.includes("Terminated (SIGTERM)"));
      assert.ok(existsSync(lock), "the call in flight is not abandoned: the lock is still held while it runs");
      server.answer();
      assert.equal(await run.exited, 143);
      assert.match(run.stderr, /Terminated \(SIGTERM\): finishing calls in flight, saving state and releasing the lock/);
      assert.ok(!existsSync(lock), "the lock is released");
    });
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`a second ${signal} exits at once (${signal === "SIGINT" ? 130 : 143}) and still releases the lock`, async () => {
      await scenario(async (dir, server, lock) => {
        const run = up(dir, server.port);
        await until("the CLI reached the endpoint", () => server.requests() > 0);
        run.child.kill(signal);
        await until("the first signal is acknowledged", () => /Interrupted|Terminated/.test(run.stderr));
        run.child.kill(signal);
        assert.equal(await run.exited, signal === "SIGINT" ? 130 : 143);
        assert.ok(!existsSync(lock), "no lock left behind");
      });
    });
  }

  it("SIGKILL leaves a lock naming the dead run; the next run on this machine takes it over as stale without a flag, and says so", async () => {
    await scenario(async (dir, server, lock) => {
      const killed = up(dir, server.port);
      await until("the CLI reached the endpoint", () => server.requests() > 0);
      killed.child.kill("SIGKILL");
      await killed.exited;
      const holder = JSON.parse(readFileSync(lock, "utf8"));
      assert.deepEqual([holder.pid, holder.host, holder.command], [killed.child.pid, hostname(), "up"]);
      assert.ok(holder.user && holder.since);

      server.answer();
      const next = up(dir, server.port);
      assert.equal(await next.exited, 1, "it ran (and met the endpoint's refusal)");
      assert.match(next.stderr, new RegExp(`Taking over the lock of pid ${killed.child.pid} on ${hostname()} \\(\`up\` since \\S+\\), started by \\S+: that process is no longer running`));
      assert.ok(!existsSync(lock));
    });
  });
});
