/**
 * The state store and its local file, called directly (no CLI, no fake AWS): the format and its checks, the
 * atomic 0600 write, the version check on every write, the lock and its takeover rules, the lock's housekeeping.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ToolError, UserError } from "../src/errors.js";
import { StateConflict, describeHolder, type LockAttempt, type LockInfo, type Snapshot, type StateBackend } from "../src/state/backend.js";
import { heldLocks, releaseHeldLocks } from "../src/state/held.js";
import { pathError } from "../src/state/local.js";
import { processStart, psStart, sameProcessRunning } from "../src/state/process.js";
import { lockHolder, movedMarker, parseState, StateStore, STATE_VERSION, thisProcessStart } from "../src/state/store.js";

const SCRATCH = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const APP = "app";
const REGION = "eu-west-1";
const scratch = () => mkdtempSync(join(SCRATCH, "spontime-store-"));
const stateText = (over: object = {}) => JSON.stringify({ version: 1, app: APP, region: REGION, serial: 3, resources: {}, ...over });
/** A pid no process has: above Linux's pid_max limit (2^22). */
const DEAD_PID = 4_194_400;

const userError = (message: RegExp, hint?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof UserError, `a UserError, not ${String(e)}`);
  assert.match(e.message, message);
  if (hint) assert.match(e.hint ?? "", hint);
  return true;
};

/** A store on a fresh directory, whose notices are kept. */
function localStore(dir = scratch()): { store: StateStore; dir: string; notices: string[] } {
  const store = new StateStore(dir, APP, REGION);
  const notices: string[] = [];
  store.notice = (line) => notices.push(line);
  return { store, dir, notices };
}

const writeLock = (dir: string, holder: Partial<LockInfo> | string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${APP}.lock`), typeof holder === "string" ? holder : JSON.stringify({ pid: DEAD_PID, host: hostname(), user: "bob", since: "2026-11-27T10:00:00.000Z", command: "up", ...holder }));
};
const lockFile = (dir: string) => join(dir, `${APP}.lock`);

describe("the state format (parseState)", () => {
  const parse = (text: string) => parseState(text, "/s/app.json", APP, REGION);

  it("reads a state of this format, app and region, with the defaults of what older files left out", () => {
    assert.deepEqual(parse(JSON.stringify({ version: 1, app: APP, region: REGION, resources: { vpc: { id: "vpc-1" } } })),
      { version: 1, app: APP, region: REGION, serial: 0, resources: { vpc: { id: "vpc-1", outputs: {} } } });
    assert.deepEqual(parse(JSON.stringify({ version: 1, app: APP, region: REGION })).resources, {});
    assert.equal(STATE_VERSION, 1);
  });

  it("refuses text that is not JSON, or JSON that is no state, naming the file and the first bad field", () => {
    assert.throws(() => parse("{ half"), userError(/^state file \/s\/app\.json is corrupt \(not JSON\)$/, /restore it from a backup, or move it aside and run `up`/));
    assert.throws(() => parse(JSON.stringify({ version: 1, app: APP, region: REGION, resources: { vpc: { outputs: {} } } })),
      userError(/^state file \/s\/app\.json is corrupt \(resources\.vpc\.id: .+\)$/, /move it aside and run `up`: resources are found again by their tags/));
    assert.throws(() => parse("null"), userError(/is corrupt \(: /));
    assert.throws(() => parse(JSON.stringify({ movedTo: 5 })), userError(/is corrupt/), "only a marker with a place is a marker");
  });

  it("refuses a newer format (upgrade) and one no version ever wrote", () => {
    assert.throws(() => parse(stateText({ version: 2 })), userError(/is format 2, newer than this spontime-infra understands \(1\)$/, /^upgrade spontime-infra$/));
    assert.throws(() => parse(stateText({ version: 0 })), userError(/is format 0, which no spontime-infra ever wrote \(this one writes 1\)$/, /restore it from a backup/));
  });

  it("refuses another app's state and another region's, saying what to check", () => {
    assert.throws(() => parse(stateText({ app: "other" })), userError(/^state file \/s\/app\.json belongs to app other, not app$/, /check appName in the spec or --state-dir/));
    assert.throws(() => parse(stateText({ region: "us-east-1" })),
      userError(/^state file \/s\/app\.json is for region us-east-1, not eu-west-1$/, /^it is the us-east-1 stack's: check the spec's region, or give the eu-west-1 stack its own state/));
  });

  it("a moved marker says where the state went and how to follow it", () => {
    const marker = movedMarker("s3://b/k.json", new Date("2026-12-01T10:00:00Z"));
    assert.ok(marker.endsWith("}\n"));
    assert.deepEqual(JSON.parse(marker), { movedTo: "s3://b/k.json", movedAt: "2026-12-01T10:00:00.000Z", note: "this state was moved; this file only says where" });
    assert.throws(() => parse(marker), userError(/^the state at \/s\/app\.json was moved to s3:\/\/b\/k\.json: this file only marks where it went$/, /--state-bucket; `state migrate --to local` brings it back/));
  });
});

describe("the local state file", () => {
  it("a directory without a state reads as an empty state; the first save writes it whole, 0600, through a temporary file", async () => {
    const { store, dir } = localStore(join(scratch(), "new", "state"));
    assert.equal(store.exists, false);
    assert.equal(store.text, undefined);
    assert.deepEqual(store.data, { version: 1, app: APP, region: REGION, serial: 0, resources: {} });
    store.setResource("vpc", { id: "vpc-1", outputs: { cidr: "10.0.0.0/16" } });
    await store.flush();
    assert.equal(store.path, join(dir, "app.json"));
    const text = readFileSync(store.path, "utf8");
    assert.equal(text, `${JSON.stringify({ version: 1, app: APP, region: REGION, serial: 1, resources: { vpc: { id: "vpc-1", outputs: { cidr: "10.0.0.0/16" } } } }, null, 2)}\n`);
    assert.equal(store.text, text);
    assert.equal(store.exists, true);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ["app.json"], "no temporary file is left");
    store.setResource("vpc", undefined);
    assert.deepEqual(store.data.resources, {});
    await store.flush();
    assert.deepEqual(JSON.parse(readFileSync(store.path, "utf8")).resources, {});
    assert.equal(JSON.parse(readFileSync(store.path, "utf8")).serial, 2);
    assert.deepEqual(new StateStore(dir, APP, REGION).data.resources, {}, "a new store reads what was written");
  });

  it("a temporary file some earlier run left with another mode does not make the state readable by others", async () => {
    const dir = scratch();
    const tmp = join(dir, `app.json.${process.pid}.tmp`);
    writeFileSync(tmp, "old", { mode: 0o644 });
    chmodSync(tmp, 0o644);
    const { store } = localStore(dir);
    store.save();
    await store.flush();
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
  });

  it("a state file readable by others is read, with a warning that says how to fix it", () => {
    const dir = scratch();
    writeFileSync(join(dir, "app.json"), stateText(), { mode: 0o644 });
    chmodSync(join(dir, "app.json"), 0o644);
    const { store } = localStore(dir);
    assert.equal(store.data.serial, 3);
    assert.deepEqual(store.warnings, [`${store.path} is readable by others (mode 644): it holds secrets; run chmod 600 ${store.path}`]);
    chmodSync(join(dir, "app.json"), 0o600);
    assert.deepEqual(localStore(dir).store.warnings, []);
  });

  it("a write never overwrites a state another run wrote since this one read it; every later save stops at once", async () => {
    const dir = scratch();
    const a = localStore(dir).store;
    const b = localStore(dir).store;
    a.setResource("vpc", { id: "vpc-a", outputs: {} });
    await a.flush();
    b.setResource("vpc", { id: "vpc-b", outputs: {} });
    b.setResource("subnet", { id: "subnet-b", outputs: {} });
    await assert.rejects(b.flush(), (e) => e instanceof StateConflict && /the state at .*app\.json was changed by another run since this one read it/.test(e.message));
    assert.throws(() => b.save(), StateConflict);
    assert.equal(JSON.parse(readFileSync(a.path, "utf8")).resources.vpc.id, "vpc-a");
    // A state deleted since it was read is a change too.
    const c = localStore(dir).store;
    const d = localStore(dir).store;
    await c.remove();
    d.save();
    await assert.rejects(d.flush(), StateConflict);
    assert.equal(existsSync(c.path), false);
  });

  it("a corrupt file is refused, unless it is about to be replaced whole (state push)", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "app.json"), "{ half");
    assert.throws(() => new StateStore(dir, APP, REGION), userError(/is corrupt \(not JSON\)/));
    const store = new StateStore(dir, APP, REGION, undefined, true);
    assert.deepEqual(store.data, { version: 1, app: APP, region: REGION, serial: 0, resources: {} });
    assert.equal(store.text, "{ half");
    await store.replace(stateText({ serial: 7 }));
    assert.equal(readFileSync(store.path, "utf8"), stateText({ serial: 7 }));
    assert.equal(store.data.serial, 7);
    assert.equal(store.text, stateText({ serial: 7 }));
    assert.equal(new StateStore(dir, APP, REGION).data.serial, 7);
  });

  it("replace refuses a text that is not this stack's state, writing nothing", async () => {
    const { store } = localStore();
    await assert.rejects(store.replace(stateText({ app: "other" })), userError(/belongs to app other/));
    assert.equal(existsSync(store.path), false);
  });

  it("remove deletes the state this store read, and nothing when there was none; markMoved leaves the marker", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "app.json"), stateText());
    const { store } = localStore(dir);
    await store.remove();
    assert.equal(existsSync(store.path), false);
    assert.equal(store.exists, false);
    await store.remove();
    writeFileSync(join(dir, "app.json"), stateText());
    const moved = localStore(dir).store;
    await moved.markMoved("s3://b/k.json");
    assert.equal(JSON.parse(readFileSync(moved.path, "utf8")).movedTo, "s3://b/k.json");
    assert.throws(() => new StateStore(dir, APP, REGION), userError(/was moved to s3:\/\/b\/k\.json/));
  });

  it("a write in a git work tree that does not ignore the state adds a .gitignore, once, and says so; outside one, none", async () => {
    const repo = scratch();
    mkdirSync(join(repo, ".git"));
    const inRepo = localStore(join(repo, "state"));
    inRepo.store.save();
    await inRepo.store.flush();
    // `git check-ignore` needs a real repository: without one (as here) git answers 128 and nothing is written.
    assert.equal(existsSync(join(repo, "state", ".gitignore")), false);

    const real = scratch();
    const init = spawnSync("git", ["init", "-q", real]);
    assert.equal(init.status, 0);
    const { store, notices } = localStore(join(real, "state"));
    store.save();
    await store.flush();
    assert.equal(readFileSync(join(real, "state", ".gitignore"), "utf8"), "*\n");
    assert.deepEqual(notices, [`${join(real, "state")} is inside a git work tree and was not ignored: wrote ${join(real, "state", ".gitignore")} ("*") so the state, which holds the database password and SECRET_KEY, is never committed`]);
    store.save();
    await store.flush();
    assert.equal(readFileSync(join(real, "state", ".gitignore"), "utf8"), "*\n", "written once");

    // Checked when the state file is first made, not on every write: a .gitignore the user removed stays removed.
    unlinkSync(join(real, "state", ".gitignore"));
    store.save();
    await store.flush();
    assert.equal(existsSync(join(real, "state", ".gitignore")), false);

    // A work tree that ignores the state directory already: nothing written, nothing said.
    const ignored = scratch();
    spawnSync("git", ["init", "-q", ignored]);
    writeFileSync(join(ignored, ".gitignore"), "state/\n");
    const quiet = localStore(join(ignored, "state"));
    quiet.store.save();
    await quiet.store.flush();
    assert.deepEqual([readdirSync(join(ignored, "state")), quiet.notices], [["app.json"], []]);

    const outside = localStore();
    outside.store.save();
    await outside.store.flush();
    assert.deepEqual(readdirSync(outside.dir), ["app.json"]);
  });

  it("a state directory outside any git work tree costs no git process; one inside, or with GIT_DIR set, is asked about", async () => {
    // A `git` first on PATH that records each call and answers "not ignored" (exit 1).
    const bin = scratch();
    const log = join(bin, "calls");
    writeFileSync(join(bin, "git"), `#!/bin/sh\necho "$@" >> ${log}\nexit 1\n`, { mode: 0o755 });
    const env = { PATH: process.env.PATH, GIT_DIR: process.env.GIT_DIR };
    process.env.PATH = `${bin}:${process.env.PATH}`;
    delete process.env.GIT_DIR;
    const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
    try {
      const outside = localStore();
      outside.store.save();
      await outside.store.flush();
      assert.deepEqual(calls(), []);
      const repo = scratch();
      mkdirSync(join(repo, ".git"));
      const inside = localStore(join(repo, "deep", "state"));
      inside.store.save();
      await inside.store.flush();
      assert.deepEqual(calls(), [`check-ignore ${inside.store.path}`]);
      process.env.GIT_DIR = repo;
      const pointed = localStore();
      pointed.store.save();
      await pointed.store.flush();
      assert.equal(calls().length, 2);
    } finally {
      process.env.PATH = env.PATH;
      if (env.GIT_DIR === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = env.GIT_DIR;
    }
  });

  it("file-system refusals on the state directory are said as bad input, with what to do", () => {
    const fail = (code: string) => Object.assign(new Error(code), { code });
    const cases: [string, RegExp, RegExp][] = [
      ["EISDIR", /^\/s\/app\.json is a directory, where the state file should be$/, /^move it aside, or pass another --state-dir$/],
      ["ENOTDIR", /^--state-dir \/s is not a directory \(a file has that name, or is on its path\)$/, /^move the file aside, or pass another --state-dir$/],
      ["EACCES", /^\/s\/app\.json: permission denied$/, /^the state directory needs read and write access for this user \(chmod u\+rwx \/s\), or pass another --state-dir$/],
      ["EPERM", /^\/s\/app\.json: permission denied$/, /chmod u\+rwx/],
      ["EROFS", /^\/s\/app\.json is on a read-only file system$/, /^the state is written after every change: pass another --state-dir on a writable disk$/],
    ];
    for (const [code, message, hint] of cases) userError(message, hint)(pathError(fail(code), "/s/app.json", "/s"));
    const other = fail("EIO");
    assert.equal(pathError(other, "/s/app.json", "/s"), other);
  });

  it("a state path that is a directory, and a --state-dir that is a file, are refused as bad input", () => {
    const dir = scratch();
    mkdirSync(join(dir, "app.json"));
    assert.throws(() => new StateStore(dir, APP, REGION), userError(/app\.json is a directory/));
    const file = join(scratch(), "file");
    writeFileSync(file, "x");
    assert.throws(() => new StateStore(join(file, "state"), APP, REGION), userError(/is not a directory/));
  });
});

describe("the local lock", () => {
  it("a lock file names this run; unlock removes it and a directory the lock alone created, never one that was there", async () => {
    const parent = scratch();
    const { store } = localStore(join(parent, "a", "b"));
    await store.lock("up");
    const holder = JSON.parse(readFileSync(lockFile(join(parent, "a", "b")), "utf8")) as LockInfo;
    assert.equal(holder.pid, process.pid);
    assert.equal(holder.host, hostname());
    assert.equal(holder.user, userInfo().username);
    assert.equal(holder.command, "up");
    assert.equal(holder.started, thisProcessStart());
    assert.match(holder.run!, /^[0-9a-f-]{36}$/);
    assert.equal(statSync(lockFile(join(parent, "a", "b"))).mode & 0o777, 0o600);
    assert.equal(heldLocks.has(store.path), true);
    await store.unlock();
    assert.equal(heldLocks.has(store.path), false);
    assert.deepEqual(readdirSync(parent), [], "`up` that wrote no state leaves no directory");
    await store.unlock(); // a second release is nothing

    const kept = localStore(join(parent, "c"));
    await kept.store.lock("up");
    kept.store.save();
    await kept.store.unlock();
    assert.deepEqual(readdirSync(join(parent, "c")), ["app.json"], "unlock waits for the writes; the state's directory stays");

    // Something else was put in the directory meanwhile: it stays, and so do the directories above it.
    const used = localStore(join(parent, "d", "e"));
    await used.store.lock("up");
    writeFileSync(join(parent, "d", "e", "notes"), "x");
    await used.store.unlock();
    assert.deepEqual(readdirSync(join(parent, "d", "e")), ["notes"]);
  });

  it("a lock held by a store of this process, or by a live process here, is never broken, even with force", async () => {
    const dir = scratch();
    const first = localStore(dir).store;
    await first.lock("up");
    const second = localStore(dir).store;
    const who = `pid ${process.pid} on ${hostname()} \\(\`up\` since \\S+\\), started by ${userInfo().username}`;
    await assert.rejects(second.lock("deploy"), userError(new RegExp(`^state is locked by ${who}$`), /^wait for it to finish$/));
    await assert.rejects(second.lock("deploy", true, async () => true), userError(/^state is locked by/, /^--force-unlock never breaks the lock of a run still going on this machine: wait for it, or stop it with Ctrl-C$/));
    await first.unlock();

    // The parent process runs; a lock from before start times were recorded names its pid only.
    writeLock(dir, { pid: process.ppid });
    await assert.rejects(localStore(dir).store.lock("up", true, async () => true), userError(/^state is locked by pid \d+ on/));
  });

  it("a lock whose process is gone here, or whose pid is now another process, is taken over and said so", async () => {
    const dir = scratch();
    writeLock(dir, { pid: DEAD_PID });
    const gone = localStore(dir);
    await gone.store.lock("up");
    assert.deepEqual(gone.notices, [`Taking over the lock of pid ${DEAD_PID} on ${hostname()} (\`up\` since 2026-11-27T10:00:00.000Z), started by bob: that process is no longer running.`]);
    assert.equal((JSON.parse(readFileSync(lockFile(dir), "utf8")) as LockInfo).pid, process.pid);
    await gone.store.unlock();
    // Gone, with the start time it recorded: gone is all there is to say (no other process has its pid).
    writeLock(dir, { pid: DEAD_PID, started: "linux another-boot 12" });
    const goneStarted = localStore(dir);
    await goneStarted.store.lock("up");
    assert.match(goneStarted.notices[0]!, /started by bob: that process is no longer running\.$/);
    await goneStarted.store.unlock();

    writeLock(dir, { pid: process.pid, started: "linux another-boot 12" });
    const reused = localStore(dir);
    await reused.store.lock("up");
    assert.match(reused.notices[0]!, new RegExp(`: that process is no longer running \\(pid ${process.pid} is now another process\\)\\.$`));
    await reused.store.unlock();

    // This very process, holding no store's lock: a lock left by an earlier store here (with or without a start time).
    writeLock(dir, { pid: process.pid });
    const old = localStore(dir);
    await old.store.lock("up");
    assert.match(old.notices[0]!, /: that process is no longer running\.$/);
    await old.store.unlock();
    // This very process, started when it says, holding no store's lock: a lock left by an earlier store here.
    writeLock(dir, { pid: process.pid, started: thisProcessStart()! });
    const mine = localStore(dir);
    await mine.store.lock("up");
    assert.match(mine.notices[0]!, /^Taking over the lock of pid \d+ .*: that process is no longer running\.$/);
    await mine.store.unlock();
  });

  it("another machine's lock needs --force-unlock and a yes; an unreadable lock is treated like one", async () => {
    const dir = scratch();
    writeLock(dir, { host: "ci-runner-7", pid: process.pid });
    const who = "pid \\d+ on ci-runner-7 \\(`up` since 2026-11-27T10:00:00.000Z\\), started by bob";
    await assert.rejects(localStore(dir).store.lock("up"), userError(new RegExp(`^state is locked by ${who}$`), /^wait for it to finish; if that run is gone for good \(a killed CI job, a crashed laptop\), run again with --force-unlock$/));
    const questions: string[] = [];
    await assert.rejects(localStore(dir).store.lock("up", true, async (q) => { questions.push(q); return false; }), (e) => e instanceof ToolError && e.message === "Cancelled: the lock was left in place.");
    assert.match(questions[0]!, new RegExp(`^Break the lock of ${who}\\? Do it only if that run is gone for good\\.$`));
    assert.equal((JSON.parse(readFileSync(lockFile(dir), "utf8")) as LockInfo).host, "ci-runner-7", "refused: the lock stays");
    await assert.rejects(localStore(dir).store.lock("up", true), (e) => e instanceof ToolError && /Cancelled/.test(e.message), "no answer is no");

    const broken = localStore(dir);
    await broken.store.lock("up", true, async () => true);
    assert.match(broken.notices[0]!, new RegExp(`^Breaking the lock of ${who}\\.$`));
    assert.equal((JSON.parse(readFileSync(lockFile(dir), "utf8")) as LockInfo).host, hostname());
    await broken.store.unlock();

    writeLock(dir, "not json");
    await assert.rejects(localStore(dir).store.lock("up"), userError(/^state is locked by an unreadable lock$/, /--force-unlock/));
    const taken = localStore(dir);
    await taken.store.lock("up", true, async () => true);
    assert.deepEqual(taken.notices, ["Breaking the lock of an unreadable lock."]);
    await taken.store.unlock();
  });

  it("a state written between this command's read and its lock stops it, the lock released", async () => {
    const dir = scratch();
    const { store } = localStore(dir);
    const other = localStore(dir).store;
    other.save();
    await other.flush();
    await assert.rejects(store.lock("up"), userError(new RegExp(`^the state at ${store.path.replace(/[.]/g, "\\.")} changed while this command started \\(another run just finished\\)$`), /^run the command again$/));
    assert.equal(existsSync(lockFile(dir)), false);
    assert.equal(heldLocks.has(store.path), false);
  });

  it("after the lock, a temporary state copy a killed run left is removed and said; this run's own and other files stay", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "app.json"), stateText());
    const others = [`app.json.${process.pid}.tmp`, "app.json.bak", "app.json.12x.tmp", "app.json.x12.tmp", "app.json.12.tmpx", "other.json.123.tmp"];
    for (const f of ["app.json.123.tmp", "app.json.4567.tmp", ...others]) writeFileSync(join(dir, f), "x");
    const { store, notices } = localStore(dir);
    await store.lock("up");
    assert.deepEqual(notices, [`removed app.json.123.tmp, app.json.4567.tmp in ${dir}: left by a killed run, a full copy of the state (secrets included)`]);
    assert.deepEqual(readdirSync(dir).sort(), ["app.json", "app.lock", ...others].sort());
    await store.unlock();
    const again = localStore(dir);
    await again.store.lock("up");
    assert.deepEqual(again.notices, []);
    await again.store.unlock();
  });

  it("a lock file that cannot be read (a symbolic link to nothing) is refused, never waited on forever", async () => {
    const dir = scratch();
    symlinkSync(join(dir, "nowhere"), lockFile(dir));
    await assert.rejects(localStore(dir).store.lock("up"), userError(new RegExp(`^${lockFile(dir)} exists but cannot be read \\(a symbolic link to nothing\\?\\)$`), /^remove it, or pass another --state-dir$/));
  });

  it("a lock file the system refuses to create is said as bad input", { skip: process.platform !== "linux" }, async () => {
    // sysfs refuses every new file (EACCES), even to root.
    await assert.rejects(new StateStore("/sys", APP, REGION).lock("up"), userError(/^\/sys\/app\.lock: permission denied$/));
  });

  it("unlock leaves a lock that is no longer this run's", async () => {
    const dir = scratch();
    const { store } = localStore(dir);
    await store.lock("up");
    writeLock(dir, { host: "ci-runner-7" });
    await store.unlock();
    assert.equal((JSON.parse(readFileSync(lockFile(dir), "utf8")) as LockInfo).host, "ci-runner-7");
  });

  it("releaseHeldLocks (Ctrl-C) releases the locks this process holds, and gives up on one that does not answer", async () => {
    const { store, dir } = localStore();
    await store.lock("up");
    await releaseHeldLocks(1_000);
    assert.equal(existsSync(lockFile(dir)), false);
    heldLocks.add("stuck", () => new Promise(() => {}));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const started = Date.now();
    await releaseHeldLocks(50);
    assert.ok(Date.now() - started < 1_000);
    heldLocks.delete("stuck");
    await releaseHeldLocks(60_000);
    assert.equal(timers(), before, "no timer is left to keep the process alive");
  });
});

/** A backend whose answers a test sets, recording what the store asks of it. */
class ScriptedBackend implements StateBackend {
  readonly where = "mem://state";
  readonly warnings: string[] = [];
  notice: (line: string) => void = () => {};
  readonly calls: string[] = [];
  snapshot: Snapshot | undefined;
  writeFails: unknown;
  deleteFails: Error | undefined;
  lockAnswer: () => LockAttempt = () => ({ mine: true, tag: "lock-1" });
  async read() { this.calls.push("read"); return this.snapshot; }
  async write(text: string, expected: string | undefined) {
    this.calls.push(`write ${expected}`);
    if (this.writeFails !== undefined) throw this.writeFails;
    this.snapshot = { text, tag: `t${this.calls.length}` };
    return this.snapshot.tag;
  }
  async remove(expected: string) { this.calls.push(`remove ${expected}`); }
  async createLock() { this.calls.push("createLock"); return this.lockAnswer(); }
  async deleteLock(tag: string) { this.calls.push(`deleteLock ${tag}`); if (this.deleteFails) throw this.deleteFails; }
  afterLock() { return ["checked"]; }
}

describe("the store over any backend", () => {
  it("each write names the version it replaces, in order; the backend's notices reach the store's", async () => {
    const backend = new ScriptedBackend();
    const store = new StateStore(backend, APP, REGION, { text: stateText(), tag: "t0" });
    const notices: string[] = [];
    store.notice = (line) => notices.push(line);
    backend.notice("from the backend");
    assert.deepEqual(notices, ["from the backend"]);
    store.save();
    store.save();
    await store.flush();
    assert.deepEqual(backend.calls, ["write t0", "write t1"]);
    await store.markMoved("s3://b/k");
    assert.equal(backend.calls.at(-1), "write t2");
    await store.remove();
    assert.equal(backend.calls.at(-1), "remove t3");
  });

  it("replace, remove and markMoved wait for the queued writes, and name the version those left", async () => {
    const dir = scratch();
    const { store } = localStore(dir);
    store.save();
    await store.replace(stateText({ serial: 9 }));
    await store.flush();
    assert.equal(readFileSync(store.path, "utf8"), stateText({ serial: 9 }));
    store.save();
    await store.markMoved("s3://b/k.json");
    await store.flush();
    assert.match(readFileSync(store.path, "utf8"), /movedTo/);
    writeFileSync(store.path, stateText());
    const fresh = localStore(dir).store;
    fresh.save();
    await fresh.remove();
    await fresh.flush();
    assert.equal(existsSync(fresh.path), false);
  });

  it("remove refuses a state deleted or changed since it was read", async () => {
    const dir = scratch();
    writeFileSync(join(dir, "app.json"), stateText());
    const { store } = localStore(dir);
    writeFileSync(join(dir, "app.json"), stateText({ serial: 4 }));
    await assert.rejects(store.remove(), StateConflict);
    assert.equal(existsSync(store.path), true);
    const again = localStore(dir).store;
    unlinkSync(join(dir, "app.json"));
    await assert.rejects(again.remove(), StateConflict);
  });

  it("after a write failed, no later queued write reaches the backend; the lock is released only after the writes", async () => {
    const backend = new ScriptedBackend();
    backend.writeFails = new StateConflict("mem://state");
    const store = new StateStore(backend, APP, REGION);
    store.save();
    store.save();
    await assert.rejects(store.flush(), StateConflict);
    assert.deepEqual(backend.calls, ["write undefined"]);
    const ordered = new ScriptedBackend();
    const locked = new StateStore(ordered, APP, REGION);
    await locked.lock("up");
    locked.save();
    await locked.unlock();
    assert.deepEqual(ordered.calls, ["createLock", "read", "write undefined", "deleteLock lock-1"]);
  });

  it("writes leave no file open", { skip: !existsSync("/proc/self/fd") }, async () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const { store } = localStore();
    store.save();
    await store.flush();
    const before = open();
    for (let i = 0; i < 20; i++) store.save();
    await store.flush();
    assert.equal(open(), before);
  });

  it("a write that fails with something not an Error still stops the store with its words", async () => {
    const backend = new ScriptedBackend();
    backend.writeFails = "disk on fire";
    const store = new StateStore(backend, APP, REGION, undefined);
    store.save();
    await assert.rejects(store.flush(), (e) => e instanceof Error && e.message === "disk on fire");
  });

  it("the lock is tried three times against runs that keep taking it first, then given up, said", async () => {
    const backend = new ScriptedBackend();
    backend.lockAnswer = () => ({ mine: false, holder: { pid: DEAD_PID, host: hostname(), user: "bob", since: "x", command: "up" }, tag: "theirs" });
    const store = new StateStore(backend, APP, REGION);
    await assert.rejects(store.lock("up"), (e) => e instanceof ToolError && e.message === "could not take the lock on mem://state: other runs kept taking it first");
    assert.deepEqual(backend.calls, ["createLock", "deleteLock theirs", "createLock", "deleteLock theirs", "createLock", "deleteLock theirs"]);
    assert.equal(heldLocks.has("mem://state"), false);
  });

  it("the lock's afterLock lines are told; a release that fails is told, not thrown, and releases once", async () => {
    const backend = new ScriptedBackend();
    const store = new StateStore(backend, APP, REGION);
    const notices: string[] = [];
    store.notice = (line) => notices.push(line);
    await store.lock("up");
    assert.deepEqual(notices, ["checked"]);
    assert.deepEqual(backend.calls, ["createLock", "read"]);
    backend.deleteFails = new Error("network down");
    await store.unlock();
    await store.unlock();
    assert.deepEqual(notices.slice(1), ["Could not release the lock on mem://state (network down): the next run will see it and name this one."]);
    assert.equal(backend.calls.filter((c) => c.startsWith("deleteLock")).length, 1);
  });
});

describe("who holds a lock", () => {
  it("a holder is named with its pid, machine, command, time and user", () => {
    assert.equal(describeHolder({ pid: 7, host: "h", user: "u", since: "s", command: "up" }), "pid 7 on h (`up` since s), started by u");
    assert.equal(describeHolder(undefined), "an unreadable lock");
    const me = lockHolder("deploy", "run-1");
    assert.equal(me.run, "run-1");
    assert.ok(Math.abs(Date.parse(me.since) - Date.now()) < 60_000);
  });

  it("a process's start time tells it from a later one with its pid; a gone pid has none", async () => {
    const mine = processStart(process.pid);
    assert.match(mine!, /^linux [0-9a-f-]{36} [1-9]\d*$/);
    assert.equal(processStart(process.pid), mine);
    assert.equal(thisProcessStart(), mine);
    assert.equal(processStart(DEAD_PID), undefined);
    const ticks = (start: string | undefined) => Number(start!.split(" ")[2]);
    assert.ok(ticks(processStart(process.ppid)) <= ticks(mine), "the parent started first");
    // A later process whose name holds spaces and a ")" (/proc prints it in field 2): the fields are counted from
    // its last ")", or the start time read would be another field (its thread count, say).
    const dir = scratch();
    const sleeper = join(dir, "a ) b");
    copyFileSync("/bin/sleep", sleeper);
    chmodSync(sleeper, 0o755);
    const child = spawn(sleeper, ["10"]);
    try {
      await new Promise((r) => setTimeout(r, 200));
      // Ticks of 1/100 s (USER_HZ, `getconf CLK_TCK`) after boot: it started a moment ago, by /proc/uptime.
      const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
      assert.ok(Math.abs(ticks(processStart(child.pid!)) / 100 - uptime) < 5, "the child's start time is its own");
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(sameProcessRunning(process.pid, mine), true);
    assert.equal(sameProcessRunning(process.pid, undefined), true);
    assert.equal(sameProcessRunning(process.pid, "linux other 1"), false);
    assert.equal(sameProcessRunning(DEAD_PID, undefined), false);
  });

  it("where there is no /proc, ps says when a process started", () => {
    const ps = psStart(process.pid);
    assert.match(ps!, /^ps \w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/);
    assert.equal(psStart(process.pid), ps);
    assert.equal(psStart(DEAD_PID), undefined);
  });
});
