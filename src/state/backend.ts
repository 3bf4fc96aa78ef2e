import { ToolError } from "../errors.js";

/**
 * Who holds a lock: enough for a teammate to find the run (user, machine, process, command, start time), and
 * for this machine to tell the process from a later one given the same pid (`started`, see state/process.ts).
 * `run` is random per run, so a run knows its own lock (two runs can share a pid and a second).
 */
export interface LockInfo { pid: number; started?: string; host: string; user: string; since: string; command: string; run?: string }

/** The stored state's exact text and its version tag (S3's ETag; a content hash for the local file). */
export interface Snapshot { text: string; tag: string }

/** The outcome of trying to create the lock: ours, or the current holder's (undefined when unreadable). */
export type LockAttempt = { mine: true; tag: string } | { mine: false; holder: LockInfo | undefined; tag: string };

/**
 * Where a state file lives (a local directory, an S3 bucket; a later backend implements the same).
 * Every write names the version it replaces, so a writer that lost its lock can never overwrite a newer state,
 * and the lock is an object that only one writer can create.
 */
export interface StateBackend {
  /** The state's address for messages: a path or s3://bucket/key. */
  readonly where: string;
  /** Lines worth telling the user that came up while reading (e.g. a file readable by others). */
  readonly warnings: string[];
  /** Tells the user about something the backend did on its own (the store wires it to the CLI's stderr). */
  notice: (line: string) => void;
  read(): Promise<Snapshot | undefined>;
  /** Stores `text` only if the stored version is still `expected` (undefined: only if there is none); returns the new tag. */
  write(text: string, expected: string | undefined): Promise<string>;
  /** Removes the state, only if it is still version `expected`. */
  remove(expected: string): Promise<void>;
  /** Creates the lock unless one exists. */
  createLock(me: LockInfo): Promise<LockAttempt>;
  /** Deletes the lock, only if it is still version `tag` (someone else's newer lock stays). */
  deleteLock(tag: string): Promise<void>;
  /** Housekeeping that is safe only under the lock, and what the user should know then; lines for the user. */
  afterLock(): string[] | Promise<string[]>;
}

/** The stored state is not the version this run read: another run wrote it (its lock was broken). */
export class StateConflict extends ToolError {
  constructor(where: string) {
    super(`the state at ${where} was changed by another run since this one read it (was this run's lock broken with --force-unlock?): stopped without overwriting it; run \`spontime-infra plan\` to see where the stack stands`);
  }
}

export function describeHolder(holder: LockInfo | undefined): string {
  if (!holder) return "an unreadable lock";
  return `pid ${holder.pid} on ${holder.host} (\`${holder.command}\` since ${holder.since}), started by ${holder.user}`;
}
