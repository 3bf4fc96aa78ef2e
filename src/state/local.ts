import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";
import { StateConflict, type LockAttempt, type LockInfo, type Snapshot, type StateBackend } from "./backend.js";

const contentTag = (text: string) => createHash("sha256").update(text).digest("hex");

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * A file-system refusal on the state directory said as bad input (exit 2, before any AWS call: reading the
 * state and taking the lock come first), instead of a raw errno; anything else is rethrown.
 */
export function pathError(e: unknown, path: string, dir: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const other = "or pass another --state-dir";
  switch (code) {
    case "EISDIR": return new UserError(`${path} is a directory, where the state file should be`, `move it aside, ${other}`);
    case "ENOTDIR": return new UserError(`--state-dir ${dir} is not a directory (a file has that name, or is on its path)`, `move the file aside, ${other}`);
    case "EACCES": case "EPERM": return new UserError(`${path}: permission denied`, `the state directory needs read and write access for this user (chmod u+rwx ${dir}), ${other}`);
    case "EROFS": return new UserError(`${path} is on a read-only file system`, "the state is written after every change: pass another --state-dir on a writable disk");
    default: return e;
  }
}

/**
 * The state file in a local directory (`--state-dir`), with a lock file beside it. Writes are synchronous on
 * purpose: each is a few kilobytes, and temp-write + fsync + rename means a crash leaves the old or the new
 * file, never half. The lock covers this one directory only: two machines need the S3 backend.
 */
export class LocalStateBackend implements StateBackend {
  readonly where: string;
  readonly lockPath: string;
  readonly warnings: string[] = [];
  notice: (line: string) => void = () => {};

  /** The outermost directory this run created for the lock: removed with the lock while no state was written in it. */
  private created: string | undefined;

  constructor(readonly dir: string, readonly app: string) {
    this.where = resolve(dir, `${app}.json`);
    this.lockPath = resolve(dir, `${app}.lock`);
  }

  /** Runs a file-system step, its refusals said as bad input. */
  private fs<T>(path: string, step: () => T): T {
    try {
      return step();
    } catch (e) {
      throw pathError(e, path, this.dir);
    }
  }

  readSync(): Snapshot | undefined {
    const text = this.fs(this.where, () => readIfExists(this.where));
    if (text === undefined) return undefined;
    const mode = statSync(this.where).mode & 0o777;
    if (mode & 0o077) this.warnings.push(`${this.where} is readable by others (mode ${mode.toString(8)}): it holds secrets; run chmod 600 ${this.where}`);
    return { text, tag: contentTag(text) };
  }

  async read(): Promise<Snapshot | undefined> { return this.readSync(); }

  async write(text: string, expected: string | undefined): Promise<string> {
    const current = this.fs(this.where, () => readIfExists(this.where));
    if ((current === undefined ? undefined : contentTag(current)) !== expected) throw new StateConflict(this.where);
    this.fs(this.dir, () => mkdirSync(this.dir, { recursive: true }));
    this.created = undefined; // it holds the state now
    if (current === undefined) this.keepOutOfGit();
    const tmp = `${this.where}.${process.pid}.tmp`;
    this.fs(tmp, () => {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.where);
    });
    return contentTag(text);
  }

  async remove(expected: string): Promise<void> {
    const current = readIfExists(this.where);
    if (current === undefined || contentTag(current) !== expected) throw new StateConflict(this.where);
    unlinkSync(this.where);
  }

  async createLock(me: LockInfo): Promise<LockAttempt> {
    this.created ??= this.fs(this.dir, () => mkdirSync(this.dir, { recursive: true }));
    const text = JSON.stringify(me);
    // A lock released between our create and our read is tried again, once. One that exists and cannot be read (a
    // dangling symbolic link: the create finds the name taken, the read no file) would otherwise loop forever.
    // Stryker disable next-line EqualityOperator: a third try shows only if a lock is released twice between two synchronous calls
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, "wx", 0o600);
        writeSync(fd, text);
        closeSync(fd);
        return { mine: true, tag: text };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw pathError(e, this.lockPath, this.dir);
      }
      const current = readIfExists(this.lockPath);
      if (current === undefined) continue;
      let holder: LockInfo | undefined;
      try { holder = JSON.parse(current) as LockInfo; } catch { /* unreadable: no holder to name */ }
      return { mine: false, holder, tag: current };
    }
    throw new UserError(`${this.lockPath} exists but cannot be read (a symbolic link to nothing?)`, "remove it, or pass another --state-dir");
  }

  /** Releases the lock; a state directory this run created and never wrote a state into goes with it (`up` without credentials leaves nothing). */
  async deleteLock(tag: string): Promise<void> {
    if (readIfExists(this.lockPath) === tag) unlinkSync(this.lockPath);
    if (this.created === undefined) return;
    for (let d = resolve(this.dir); ; d = dirname(d)) {
      try {
        rmdirSync(d); // only an empty directory
      } catch {
        break;
      }
      if (d === resolve(this.created)) break;
    }
    this.created = undefined;
  }

  /** A run killed between write and rename leaves `<app>.json.<pid>.tmp`, a full copy of the state with its secrets. */
  afterLock(): string[] {
    const prefix = `${this.app}.json.`;
    const stale = readdirSync(this.dir).filter((f) => f.startsWith(prefix) && /^\d+\.tmp$/.test(f.slice(prefix.length)) && f !== `${prefix}${process.pid}.tmp`);
    for (const f of stale) unlinkSync(join(this.dir, f));
    return stale.length ? [`removed ${stale.join(", ")} in ${this.dir}: left by a killed run, a full copy of the state (secrets included)`] : [];
  }

  /** The state holds the DB password and SECRET_KEY: inside a git work tree, make sure it is never committed. */
  private keepOutOfGit(): void {
    if (!mayBeInGitWorkTree(this.dir)) return;
    // `git check-ignore` exits 0 when ignored, 1 when not, 128 outside a work tree; no git at all sets `error`.
    const check = spawnSync("git", ["check-ignore", this.where], { cwd: this.dir, stdio: "ignore" });
    if (check.error || check.status !== 1) return;
    const gitignore = join(this.dir, ".gitignore");
    appendFileSync(gitignore, "*\n");
    this.notice(`${this.dir} is inside a git work tree and was not ignored: wrote ${gitignore} ("*") so the state, which holds the database password and SECRET_KEY, is never committed`);
  }
}

/**
 * Git finds a work tree through a `.git` (a directory, or a file in a linked worktree or submodule) in the
 * directory or one above it, or through GIT_DIR (GIT_DIR in https://git-scm.com/book/en/v2/Git-Internals-Environment-Variables).
 * Without either, `git check-ignore` would only answer "not a work tree": looking first spares most state
 * directories a process start.
 */
function mayBeInGitWorkTree(dir: string): boolean {
  if (process.env.GIT_DIR) return true;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return true;
    if (dirname(d) === d) return false;
  }
}
