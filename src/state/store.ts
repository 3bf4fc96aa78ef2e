import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import * as z from "zod";
import { ToolError, UserError } from "../errors.js";
import { describeHolder, type LockInfo, type Snapshot, type StateBackend } from "./backend.js";
import { heldLocks } from "./held.js";
import { LocalStateBackend } from "./local.js";
import { processStart, sameProcessRunning } from "./process.js";

export type { LockInfo } from "./backend.js";

export const STATE_VERSION = 1;

const Stored = z.object({ id: z.string(), outputs: z.record(z.string(), z.string()).default({}), memo: z.record(z.string(), z.string()).optional() });
const StateSchema = z.object({
  version: z.number().int(),
  app: z.string(),
  region: z.string(),
  serial: z.number().int().default(0),
  resources: z.record(z.string(), Stored).default({}),
  sleeping: z.boolean().optional(),
  /** The spec file the stack was last applied from (absolute), so a run that finds none can refuse instead of planning the defaults. */
  config: z.string().optional(),
});

/**
 * What `state migrate --to s3` leaves in place of the local state file: where the state went. Without a
 * `version` on purpose: an older spontime-infra refuses it as corrupt instead of starting from an empty state.
 */
export const movedMarker = (to: string, at: Date) => JSON.stringify({ movedTo: to, movedAt: at.toISOString(), note: "this state was moved; this file only says where" }, null, 2) + "\n";

export type StoredResource = z.output<typeof Stored>;
export type StateData = z.output<typeof StateSchema>;

/** Asks the user a yes/no question (the CLI's prompt, or a refusal without a terminal). */
export type Confirm = (question: string) => Promise<boolean>;

/** Parses and checks a stored state: this app, this region, a format this code knows. */
export function parseState(text: string, where: string, app: string, region: string): StateData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`state file ${where} is corrupt (not JSON)`, "restore it from a backup, or move it aside and run `up`: resources are found again by their tags");
  }
  const moved = (raw as { movedTo?: unknown } | null)?.movedTo;
  if (typeof moved === "string") {
    throw new UserError(`the state at ${where} was moved to ${moved}: this file only marks where it went`,
      `name that bucket in the spec's "state" (\`state migrate --to s3\` wrote it into the spec it ran with) or pass --state-bucket; \`state migrate --to local\` brings it back`);
  }
  const parsed = StateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`state file ${where} is corrupt (${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message})`, "move it aside and run `up`: resources are found again by their tags");
  }
  const data = parsed.data;
  if (data.version > STATE_VERSION) throw new UserError(`state file ${where} is format ${data.version}, newer than this spontime-infra understands (${STATE_VERSION})`, "upgrade spontime-infra");
  if (data.version !== STATE_VERSION) throw new UserError(`state file ${where} is format ${data.version}, which no spontime-infra ever wrote (this one writes ${STATE_VERSION})`, "restore it from a backup, or move it aside and run `up`: resources are found again by their tags");
  if (data.app !== app) throw new UserError(`state file ${where} belongs to app ${data.app}, not ${app}`, "check appName in the spec or --state-dir");
  if (data.region !== region) throw new UserError(`state file ${where} is for region ${data.region}, not ${region}`, `it is the ${data.region} stack's: check the spec's region, or give the ${region} stack its own state (another --state-dir, or state.key in the bucket)`);
  return data;
}

/** The login name; a container without a passwd entry for its uid has none, and USER may still say. */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** This process's start time, read once where there is one (see processStart). */
let ownStart: string | undefined;
export const thisProcessStart = (): string | undefined => (ownStart ??= processStart(process.pid));

/** Whether the holder's pid now runs a process that started at another time than the holder did. */
const pidReused = (holder: LockInfo) => {
  const now = processStart(holder.pid);
  return now !== undefined && holder.started !== undefined && now !== holder.started;
};

/** This run, as a lock or the stack's claim names it; `run` is random per run. */
export function lockHolder(command: string, run: string = randomUUID()): LockInfo & { run: string } {
  const started = thisProcessStart();
  return { pid: process.pid, ...(started ? { started } : {}), host: hostname(), user: userName(), since: new Date().toISOString(), command, run };
}

/**
 * Whether the holder of a lock on this machine still runs: its pid alive and, when the lock recorded it, started
 * at the same time (a pid the system has since given to another process is someone else). A lock with this
 * process's pid is "running" only while a store here holds that path: then the file is that store's own lock.
 */
function holderRunning(holder: LockInfo, where: string): boolean {
  if (holder.pid === process.pid) return heldLocks.has(where);
  return sameProcessRunning(holder.pid, holder.started);
}

/**
 * One stack's state: read once, then every change written whole through the backend. `setResource` and
 * `save` return at once; writes are queued in order and each names the version it replaces, so a writer
 * whose lock was broken stops instead of overwriting newer state. `flush` waits for the queue.
 */
export class StateStore {
  readonly backend: StateBackend;
  readonly path: string;
  data: StateData;
  readonly warnings: string[];
  /** The stored text as last read or written (what `state pull` prints and `state migrate` moves). */
  text: string | undefined;
  /** Where the store tells the user what it did on its own (a lock taken over, a .gitignore written). */
  notice: (line: string) => void = () => {};
  private tag: string | undefined;
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private lockTag: string | undefined;

  /** `source` is a backend with what was read from it, or (for the local file) a state directory read now. */
  /** `replacing`: the stored text is about to be replaced whole (`state push`): a corrupt one is no obstacle. */
  constructor(source: string | StateBackend, readonly app: string, readonly region: string, snapshot?: Snapshot, replacing = false) {
    const local = typeof source === "string" ? new LocalStateBackend(source, app) : undefined;
    this.backend = local ?? (source as StateBackend);
    const loaded = local ? local.readSync() : snapshot;
    this.backend.notice = (line) => this.notice(line);
    this.path = this.backend.where;
    this.warnings = this.backend.warnings;
    this.text = loaded?.text;
    this.tag = loaded?.tag;
    const empty = (): StateData => ({ version: STATE_VERSION, app, region, serial: 0, resources: {} });
    if (!loaded) this.data = empty();
    else if (!replacing) this.data = parseState(loaded.text, this.path, app, region);
    else try { this.data = parseState(loaded.text, this.path, app, region); } catch { this.data = empty(); }
  }

  get exists(): boolean { return this.tag !== undefined; }

  /** Queues a write of the whole state; throws at once if an earlier write found the state changed by someone else. */
  save(): void {
    if (this.failure) throw this.failure;
    this.data.serial += 1;
    const text = JSON.stringify(this.data, null, 2) + "\n";
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      try {
        this.tag = await this.backend.write(text, this.tag);
        this.text = text;
      } catch (e) {
        this.failure = e instanceof Error ? e : new Error(String(e));
      }
    });
  }

  setResource(key: string, value: StoredResource | undefined): void {
    if (value) this.data.resources[key] = value;
    else delete this.data.resources[key];
    this.save();
  }

  /** Replaces the stored state with `text` as it is (push, migrate), under the same version check as every write. */
  async replace(text: string): Promise<void> {
    await this.flush();
    this.data = parseState(text, this.path, this.app, this.region);
    this.tag = await this.backend.write(text, this.tag);
    this.text = text;
  }

  /** Removes the stored state (the old copy after a migration), only if it is still the version this store read. */
  async remove(): Promise<void> {
    await this.flush();
    if (this.tag !== undefined) await this.backend.remove(this.tag);
    this.tag = undefined;
  }

  /** Replaces the stored state by a marker of where it went (`state migrate --to s3`), only if it is still the version this store read. */
  async markMoved(to: string): Promise<void> {
    await this.flush();
    this.tag = await this.backend.write(movedMarker(to, new Date()), this.tag);
  }

  /** Waits for every queued write; throws the first that failed. */
  async flush(): Promise<void> {
    await this.writes;
    if (this.failure) throw this.failure;
  }

  /**
   * Takes the lock, or explains who holds it. A holder on this machine whose process is gone is stale and taken
   * over (said so); a running one is never broken; another machine's lock needs `force` and a confirmation.
   */
  async lock(command: string, force = false, confirm?: Confirm): Promise<void> {
    const me = lockHolder(command);
    for (let attempt = 0; attempt < 3; attempt++) {
      const got = await this.backend.createLock(me);
      if (got.mine) {
        this.lockTag = got.tag;
        break;
      }
      const who = describeHolder(got.holder);
      if (got.holder?.host === me.host) {
        if (holderRunning(got.holder, this.path)) {
          throw new UserError(`state is locked by ${who}`, force ? "--force-unlock never breaks the lock of a run still going on this machine: wait for it, or stop it with Ctrl-C" : "wait for it to finish");
        }
        this.notice(`Taking over the lock of ${who}: that process is no longer running${pidReused(got.holder) ? ` (pid ${got.holder.pid} is now another process)` : ""}.`);
      } else {
        if (!force) throw new UserError(`state is locked by ${who}`, "wait for it to finish; if that run is gone for good (a killed CI job, a crashed laptop), run again with --force-unlock");
        if (!(await confirm?.(`Break the lock of ${who}? Do it only if that run is gone for good.`))) throw new ToolError("Cancelled: the lock was left in place.");
        this.notice(`Breaking the lock of ${who}.`);
      }
      await this.backend.deleteLock(got.tag);
    }
    if (this.lockTag === undefined) throw new ToolError(`could not take the lock on ${this.path}: other runs kept taking it first`);
    heldLocks.add(this.path, () => this.unlock());
    for (const line of await this.backend.afterLock()) this.notice(line);
    // Read before locking (plan and status never lock): make sure nobody wrote in between.
    if ((await this.backend.read())?.tag !== this.tag) {
      await this.unlock();
      throw new UserError(`the state at ${this.path} changed while this command started (another run just finished)`, "run the command again");
    }
  }

  /** Waits for queued writes, then releases the lock if this store holds it (and it is still ours). */
  async unlock(): Promise<void> {
    if (this.lockTag === undefined) return;
    await this.writes;
    const tag = this.lockTag;
    this.lockTag = undefined;
    heldLocks.delete(this.path);
    try {
      await this.backend.deleteLock(tag);
    } catch (e) {
      this.notice(`Could not release the lock on ${this.path} (${(e as Error).message}): the next run will see it and name this one.`);
    }
  }
}
