import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../src/cli/main.js";
import { VirtualClock } from "./fake/clock.js";
import { FakeAws, type FakeOptions, type FakeSnapshot } from "./fake/aws.js";

export const APP = "spontime-poc";

/**
 * Where test state files go: a RAM disk where the machine has one. The store fsyncs every write (as it must
 * for a user's real state file); on a disk that is most of a test's time, and the matrices write thousands.
 */
const SCRATCH = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

/** Dummy credentials: the fake answers every call, the SDK only needs something to sign with. */
export const TEST_ENV: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: "AKIATEST", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", NO_COLOR: "1" };
process.env.AWS_ACCESS_KEY_ID = TEST_ENV.AWS_ACCESS_KEY_ID;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true"; // as bin/spontime-infra does
process.env.AWS_SECRET_ACCESS_KEY = TEST_ENV.AWS_SECRET_ACCESS_KEY;

// Ctrl-C is simulated in these tests (process.emit): a listener a test-running tool installed first (StrykerJS's
// tap hook, `npm run mutate`, exits on SIGINT) would end the process in the middle of the test that sends it.
// SIGTERM's stays: that runner ends a file with it at the file's first failure, and its listener then saves
// the results; without it the mutant that failed a test was counted as a crash, not as killed.
process.removeAllListeners("SIGINT");

// Tests never read the user's spontime.config.json or state/: each test process runs in an empty directory.
const cwd = mkdtempSync(join(tmpdir(), "spontime-cwd-"));
const started = process.cwd();
process.chdir(cwd);
// Back where the process started before any other exit handler runs: a tool that writes a relative file at exit
// (StrykerJS's tap hook, `npm run mutate`, writes its coverage there) must not write into the removed directory.
process.prependListener("exit", () => process.chdir(started));
// A repository root of its own: the spec search (src/config/find.ts) never looks above the test's directory.
mkdirSync(join(cwd, ".git"));
process.on("exit", () => rmSync(cwd, { recursive: true, force: true }));

/** An inventory entry as its kind (test/contract.ts). */
export { kindOf } from "./contract.js";

export interface CliResult { code: number; stdout: string; stderr: string }

/** The account and the state directory (state file, lock) at one instant; see `Harness.snapshot`. */
export interface HarnessSnapshot { fake: FakeSnapshot; files: Record<string, string> }

/** A fake AWS account, a temporary state directory, and the real CLI run in-process on a virtual clock. */
export class Harness {
  readonly clock: VirtualClock;
  readonly fake: FakeAws;
  readonly dir = mkdtempSync(join(SCRATCH, "spontime-test-"));
  readonly stateDir = join(this.dir, "state");
  readonly statePath = join(this.stateDir, `${APP}.json`);

  /** A fresh account, or (`from`) a copy of one as `snapshot` saw it, with its state directory. */
  constructor(options: FakeOptions = {}, from?: HarnessSnapshot) {
    this.clock = new VirtualClock(from?.fake.at);
    this.fake = (from ? FakeAws.fromSnapshot(this.clock, from.fake) : new FakeAws(this.clock, options)).install();
    if (from) mkdirSync(this.stateDir, { recursive: true });
    for (const [name, text] of Object.entries(from?.files ?? {})) writeFileSync(join(this.stateDir, name), text, { mode: 0o600 });
  }

  /** Copies the account and the state directory as they are now (synchronously: safe inside `fake.onMutation`). */
  snapshot(): HarnessSnapshot {
    const names = existsSync(this.stateDir) ? readdirSync(this.stateDir) : [];
    return { fake: this.fake.snapshot(), files: Object.fromEntries(names.map((n) => [n, readFileSync(join(this.stateDir, n), "utf8")])) };
  }

  /** Runs `spontime-infra <argv>` with --state-dir set; `signal` lets a test interrupt it. */
  async cli(argv: string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; tty?: boolean; input?: string } = {}): Promise<CliResult> {
    let stdout = "";
    let stderr = "";
    const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
    if (options.input !== undefined) stdin.end(options.input);
    const io = {
      stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      stdin,
      env: options.env ?? TEST_ENV,
    };
    const code = await this.clock.run(() => main([...argv, "--state-dir", this.stateDir], {
      io, clock: this.clock, signal: options.signal ?? new AbortController().signal, http: (url) => this.fake.httpGet(url),
    }));
    return { code, stdout, stderr };
  }

  async up(...extra: string[]): Promise<CliResult> {
    const r = await this.cli(["up", "--yes", ...extra]);
    if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stderr}`);
    return r;
  }

  /** Pushes an image with `tag` to the fake ECR and deploys it; fails the test if the deploy fails. */
  async deploy(tag: string): Promise<CliResult> {
    this.fake.pushImage(APP, tag);
    const r = await this.cli(["deploy", "--tag", tag]);
    if (r.code !== 0) throw new Error(`deploy failed (${r.code}):\n${r.stderr}`);
    return r;
  }

  /** Runs several CLI invocations at the same time on one clock (two `up`s racing for the lock). */
  async cliConcurrently(argvs: string[][]): Promise<CliResult[]> {
    return this.runsConcurrently(argvs.map((argv) => ({ argv })));
  }

  /** The same, each run with its own state directory (two laptops) and start time on the virtual clock. */
  async runsConcurrently(runs: { argv: string[]; stateDir?: string; startAfterMs?: number }[]): Promise<CliResult[]> {
    const out = runs.map(() => ({ stdout: "", stderr: "" }));
    const codes = await this.clock.run(() => Promise.all(runs.map(async ({ argv, stateDir, startAfterMs }, i) => {
      if (startAfterMs) await this.clock.sleep(startAfterMs);
      return main([...argv, "--state-dir", stateDir ?? this.stateDir], {
        io: {
          stdout: { write: (s: string) => (out[i]!.stdout += s) }, stderr: { write: (s: string) => (out[i]!.stderr += s) },
          stdin: Object.assign(new PassThrough(), { isTTY: false }), env: TEST_ENV,
        },
        clock: this.clock, signal: new AbortController().signal, http: (url) => this.fake.httpGet(url),
      });
    })));
    return codes.map((code, i) => ({ code, ...out[i]! }));
  }

  /** Writes a spec file for `--config` and returns its path. */
  writeSpec(value: object): string {
    const file = join(this.dir, "spec.json");
    writeFileSync(file, JSON.stringify(value));
    return file;
  }

  /** The state file as JSON. */
  state(): { resources: Record<string, { id: string; outputs: Record<string, string> }> } {
    return JSON.parse(readFileSync(this.statePath, "utf8"));
  }

  /** Clears the record of calls so a test can count only what comes next. */
  resetCalls(): void { this.fake.calls.length = 0; }

  close(): void {
    this.fake.restore();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh fake account (or a copy of a snapshot's) for one test, closed whatever happens. */
export async function withHarness<T>(fn: (h: Harness) => Promise<T>, options: FakeOptions = {}, from?: HarnessSnapshot): Promise<T> {
  const h = new Harness(options, from);
  try {
    return await fn(h);
  } finally {
    h.close();
  }
}
