import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";

export const STATE_VERSION = 1;

const Stored = z.object({ id: z.string(), outputs: z.record(z.string(), z.string()).default({}) });
const StateSchema = z.object({
  version: z.number().int(),
  app: z.string(),
  region: z.string(),
  serial: z.number().int().default(0),
  resources: z.record(z.string(), Stored).default({}),
  sleeping: z.boolean().optional(),
});

export type StoredResource = z.output<typeof Stored>;
export type StateData = z.output<typeof StateSchema>;

export interface LockInfo { pid: number; host: string; since: string; command: string }

/**
 * One stack's state file. Writes are synchronous on purpose: each is a few hundred bytes, and a
 * synchronous temp-write + fsync + rename means a crash leaves either the old or the new file, never half.
 */
export class StateStore {
  readonly path: string;
  readonly lockPath: string;
  data: StateData;
  readonly warnings: string[] = [];
  private locked = false;

  constructor(dir: string, readonly app: string, readonly region: string) {
    this.path = join(dir, `${app}.json`);
    this.lockPath = join(dir, `${app}.lock`);
    this.data = this.read();
  }

  get exists(): boolean { return existsSync(this.path); }

  private read(): StateData {
    if (!existsSync(this.path)) return { version: STATE_VERSION, app: this.app, region: this.region, serial: 0, resources: {} };
    const mode = statSync(this.path).mode & 0o777;
    if (mode & 0o077) this.warnings.push(`${this.path} is readable by others (mode ${mode.toString(8)}): it holds secrets; run chmod 600 ${this.path}`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, "utf8"));
    } catch {
      throw new UserError(`state file ${this.path} is corrupt (not JSON)`, "restore it from a backup, or move it aside and run `up`: resources are found again by their tags");
    }
    const parsed = StateSchema.safeParse(raw);
    if (!parsed.success) {
      throw new UserError(`state file ${this.path} is corrupt (${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message})`, "move it aside and run `up`: resources are found again by their tags");
    }
    const data = parsed.data;
    if (data.version > STATE_VERSION) throw new UserError(`state file ${this.path} is format ${data.version}, newer than this spontime-infra understands (${STATE_VERSION})`, "upgrade spontime-infra");
    if (data.app !== this.app) throw new UserError(`state file ${this.path} belongs to app ${data.app}, not ${this.app}`, "check appName in the spec or --state-dir");
    if (data.region !== this.region) throw new UserError(`state file ${this.path} is for region ${data.region}, not ${this.region}`, `use --region ${data.region}, or another --state-dir for a second stack`);
    return data;
  }

  /** Writes the whole file atomically with mode 0600. Called after every successful mutating call. */
  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    this.data.serial += 1;
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(this.data, null, 2) + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  setResource(key: string, value: StoredResource | undefined): void {
    if (value) this.data.resources[key] = value;
    else delete this.data.resources[key];
    this.save();
  }

  /** Takes the lock or explains who holds it. A lock left by a dead process on this host can be taken over with force. */
  lock(command: string, force = false): void {
    mkdirSync(dirname(this.lockPath), { recursive: true });
    const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, "wx", 0o600);
        writeSync(fd, JSON.stringify(me));
        closeSync(fd);
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      const holder = this.lockHolder();
      const stale = holder === undefined || (holder.host === me.host && !pidAlive(holder.pid));
      const who = holder ? `pid ${holder.pid} on ${holder.host} (\`${holder.command}\` since ${holder.since})` : "an unreadable lock file";
      if (!force) {
        throw new UserError(
          stale ? `state is locked by ${who}, which is no longer running` : `state is locked by ${who}`,
          stale ? "run again with --force-unlock to take the lock over" : "wait for it to finish; if it is gone, use --force-unlock",
        );
      }
      unlinkSync(this.lockPath);
    }
    throw new UserError(`could not take the lock ${this.lockPath}`);
  }

  lockHolder(): LockInfo | undefined {
    try {
      return JSON.parse(readFileSync(this.lockPath, "utf8")) as LockInfo;
    } catch {
      return undefined;
    }
  }

  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    try { unlinkSync(this.lockPath); } catch { /* already gone: nothing to release */ }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
