import type { Clock } from "../shared/clock.js";

export type Attrs = Record<string, unknown>;
/** What a resource hands its dependents, and what the state file keeps of it: string values only, `""` for one AWS has not given yet. */
export type Outputs = Record<string, string>;

/** Shown in a plan for values that exist only once a dependency has been created. */
export const UNKNOWN = "(known after apply)";

/**
 * A resource's private notes: what it remembers between runs for its own next `observe` (what it last read,
 * to read only what moved). Kept in the state file; never shown, never in the outputs dependents `ref`.
 */
export type Memo = Record<string, string>;

/** One resource as the state file records it. */
export interface Stored { id: string; outputs: Outputs; memo?: Memo }

/**
 * Where the resource stands at AWS, as `observe` saw it (a tagged union the engine switches on, never a display
 * string): `pending` exists but is not ready (the engine waits), `deleting` is already on its way out (the engine
 * waits for it to go instead of deleting again), `failed` is terminal.
 */
export type LiveState = { state: "ready" } | { state: "pending"; why: string } | { state: "deleting"; why: string } | { state: "failed"; why: string };

/** What `observe` saw. `undefined` from observe means absent. */
export type Live<A extends Attrs = Attrs, O extends Outputs = Outputs> = LiveState & {
  id: string;
  attrs: A;
  outputs: O;
  /** What the resource notes for its next `observe` (see `Memo`), recorded with it. */
  memo?: Memo;
  /** Extra copies of this resource that this very run made (a create retried after its answer was lost): deleted by the run. */
  duplicates?: Live<A, O>[];
  /** Which run made it and when, where that was recorded: for a person choosing between copies. */
  createdBy?: { since: string; run: string };
  /**
   * Copies of this resource another run made (two runs at once from two state directories): never deleted by
   * `up`, which stops and says how to resolve it; `down` deletes them with the rest of the stack.
   */
  otherCopies?: Live<A, O>[];
  /** Taken from the state file without asking AWS (no credentials): attributes unknown, assumed in sync. */
  assumedInSync?: boolean;
};

export interface EngineEvent {
  key: string;
  title: string;
  status: "observing" | "creating" | "updating" | "replacing" | "deleting" | "waiting" | "done" | "failed" | "skipped" | "retrying";
  message?: string;
  /** ms since this resource's action started, on the engine's clock. */
  elapsedMs?: number;
}

/** Where the engine records what it made, after every step (a crash then still knows the id). */
export interface StateSink {
  get(key: string): Stored | undefined;
  set(key: string, value: Stored | undefined): void;
}

/** What the engine itself needs from a run; resources get a richer context that extends it. */
export interface EngineCtx {
  clock: Clock;
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  records: StateSink;
  /** `<what>: <cause>` for a failure the engine reports (the stack knows the services' error shapes). */
  describeError(what: string, e: unknown): string;
}

/** A resource seen only for what it outputs: what `ref` takes. */
export type Referable<O extends Outputs> = Resource<any, any, any, any, O>;

/** Anything a resource reads from another resource: declares the edge, carries the type. */
export type RefFn = <O extends Outputs>(resource: Referable<O>) => O;

/**
 * The contract every resource kind implements (after crossplane's ExternalClient).
 * - `desired` MUST be pure: the spec and what it reads through `ref` (which also declares the dependency).
 * - `observe` MUST only read. It finds the resource by the id in state, else by its tags or deterministic name,
 *   and returns undefined when absent. A resource not tagged for this stack MUST be refused, never adopted.
 * - `create` MUST tag at create time (never in a second call). An "already exists" answer (a retried call whose
 *   first answer was lost) is for the engine: it re-observes and adopts what is ours (`alreadyExists`).
 * - `update` changes only the fields it is given; fields in `replaceOn` never reach it.
 * - `delete` of something already gone MUST succeed. "Still used by something" errors (`inUse`) are retried by
 *   the engine; waits until gone are the engine's (`waitUntilGone`).
 */
export interface Resource<C extends EngineCtx, S, W extends Attrs = Attrs, A extends Attrs = Attrs, O extends Outputs = Outputs> {
  readonly key: string;
  readonly kind: string;
  /** Ordering that no value carries (an internet-facing ALB needs the gateway attached). */
  readonly after?: readonly { key: string }[];
  /** Fields whose change needs a new resource, as Pulumi's `replaces`. */
  readonly replaceOn?: readonly (keyof W & string)[];
  /**
   * A replacement makes the new one first, lets dependents move to it, and deletes the old one at the end of
   * the run: for resources that live dependents still use (a task definition revision, a target group).
   */
  readonly createBeforeDelete?: boolean;
  /** Fields whose in-place change briefly interrupts service: the plan says so and `up` asks first. */
  readonly downtimeOn?: readonly (keyof W & string)[];
  /** Fields whose in-place change makes AWS do more than change the value: the plan says what, beside the field. */
  readonly fieldNotes?: Readonly<Partial<Record<keyof W & string, string>>>;
  /**
   * Fields whose drift is reported but never repaired, each with the reason (deletion protection turned on by
   * hand): `plan` shows the difference, `up` leaves it as it is and says why.
   */
  readonly leftAlone?: Readonly<Partial<Record<keyof W & string, string>>>;
  /** Drift `up` can undo only one way (AWS never shrinks storage), and what `refuse` says otherwise: for the drift table. */
  readonly repairLimits?: Readonly<Partial<Record<keyof W & string, string>>>;
  /** What observe does not compare, and why: the README's drift table lists it (src/stack/drift-table.ts). */
  readonly ignored?: Readonly<Record<string, string>>;
  /** Outputs that must never be shown: plans and output print "(sensitive)" for them. */
  readonly sensitive?: readonly (keyof O & string)[];
  /**
   * Whether this update must wait until its dependents' changes are done, e.g. stopping a database the service
   * still uses (`sleep`): the walk then runs it after all of them instead of before.
   */
  afterDependents?(diffs: readonly { field: string; after: unknown }[]): boolean;
  /** Holds data that a delete or replace loses: the plan asks before touching it. */
  readonly stateful?: boolean;
  /** What a delete takes with it, said on the delete's line of the plan (an ECR repository's images). */
  readonly deleteTakes?: string;
  /** How long create/update may stay `pending` before the engine gives up. */
  readonly readyTimeoutMs?: number;
  /** How long AWS usually takes to make it ready / to make it disappear, on the short side: waits poll around it. */
  readonly typicalReadyMs?: number;
  readonly typicalGoneMs?: number;
  readonly waitUntilGone?: boolean;
  /** "Something still uses it": the engine retries the delete. */
  inUse?(e: unknown): boolean;
  /** "It is already there": the engine re-observes and adopts it if it is ours. */
  alreadyExists?(e: unknown): boolean;
  /**
   * "This change is already made", from an update's call retried after its answer was lost ("already exists" for
   * an add, "not found" for a remove): the engine observes again and carries on with what is left.
   */
  alreadyDone?(e: unknown): boolean;
  /**
   * A change AWS would refuse (shrinking a database's storage): the plan carries the reason and `up` stops
   * before any call, instead of failing minutes into the run.
   */
  refuse?(want: W, live: Live<A, O>, changed: (keyof W & string)[]): string | undefined;
  title(spec: S): string;
  desired(spec: S, ref: RefFn): W;
  /** `prior.outputs` carries write-only values (e.g. which password was applied) that AWS cannot show back. */
  observe(ctx: C, prior: Stored | undefined): Promise<Live<A, O> | undefined>;
  create(ctx: C, want: W): Promise<Stored>;
  /** May return values to remember that AWS cannot show back (handed to `observe` as `prior.outputs`). */
  update?(ctx: C, want: W, live: Live<A, O>, changed: (keyof W & string)[]): Promise<Outputs | void>;
  delete(ctx: C, live: Live<A, O>): Promise<void>;
}

/**
 * A resource of any kind, as the engine holds them in one list: `any` erases the per-kind types that only the
 * resource's own file needs (TypeScript has no existential types).
 */
export type AnyResource<C extends EngineCtx, S> = Resource<C, S, any, any, any>;
