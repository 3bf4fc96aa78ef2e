import type { Aws } from "../aws/clients.js";
import type { Spec } from "../config/schema.js";
import type { names } from "../config/names.js";
import type { StateStore, StoredResource } from "../state/store.js";
import type { Clock } from "./clock.js";
import type { ReadCache } from "./reads.js";

export type Attrs = Record<string, unknown>;
export type Outputs = Record<string, string>;

/** Shown in a plan for values that exist only once a dependency has been created. */
export const UNKNOWN = "(known after apply)";

/** What `observe` saw. `pending` means "exists but not ready yet" (the engine waits); it is never a sleep inside a handler. */
export interface Live {
  id: string;
  attrs: Attrs;
  outputs: Outputs;
  pending?: string;
  /** A terminal failure seen while waiting (e.g. RDS `failed`): the engine stops waiting and reports it. */
  failed?: string;
  /** Taken from the state file without asking AWS (no credentials): attributes unknown, assumed in sync. */
  assumedInSync?: boolean;
}

/** Outputs of the resources this one depends on, by key; a dependency not yet created yields UNKNOWN for every field. */
export type Deps = (key: string) => Outputs;

export interface EngineEvent {
  key: string;
  title: string;
  status: "observing" | "creating" | "updating" | "replacing" | "deleting" | "waiting" | "done" | "failed" | "skipped" | "retrying";
  message?: string;
  /** ms since this resource's action started, on the engine's clock. */
  elapsedMs?: number;
}

/** The spec as resources see it: AZs resolved, and whether the stack is asleep (`sleep`). */
export interface Target extends Spec {
  availabilityZones: [string, string];
  sleeping: boolean;
}

export interface Ctx {
  spec: Target;
  names: ReturnType<typeof names>;
  state: StateStore;
  aws: Aws;
  clock: Clock;
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  options: { skipFinalSnapshot?: boolean };
  /** Reads shared while the whole stack is observed. */
  reads: ReadCache;
}

/**
 * The contract every resource kind implements (after crossplane's ExternalClient).
 * - `observe` MUST only read. It finds the resource by the id in state, else by its tags or deterministic
 *   name, and returns undefined when absent. A same-named resource not tagged for this stack MUST be refused,
 *   not adopted.
 * - `create` MUST tag at create time (never in a second call) and SHOULD be idempotent: when the resource
 *   already exists by name, return it rather than fail.
 * - `update` changes only what `diff` found; fields in `replaceOn` never reach it.
 * - `delete` of something already gone MUST succeed. Dependencies still in use surface as errors the engine
 *   retries (`DependencyViolation`, `ResourceInUse`); waits until gone are the engine's (`waitUntilGone`).
 */
export interface Resource<W extends Attrs = Attrs> {
  readonly key: string;
  readonly kind: string;
  readonly dependsOn: readonly string[];
  /** Fields whose change needs a new resource, as Pulumi's `replaces`. */
  readonly replaceOn?: readonly string[];
  /**
   * Fields some endpoints leave out of their describe answer (moto does for ECS service settings): absent
   * there means "not reported", not drift. Real AWS always reports them, so no drift is hidden there.
   */
  readonly unreportedIsInSync?: readonly string[];
  /** Fields whose in-place change briefly interrupts service, noted in the plan. */
  readonly downtimeOn?: readonly string[];
  /** How long create/update may stay `pending` before the engine gives up, and what to check then. */
  readonly readyTimeoutMs?: number;
  /** How long AWS usually takes to make it ready / to make it disappear, on the short side: waits poll around it. */
  readonly typicalReadyMs?: number;
  readonly typicalGoneMs?: number;
  readonly waitUntilGone?: boolean;
  title(spec: Spec): string;
  desired(spec: Target, deps: Deps): W;
  /** `prior.outputs` carries write-only values (e.g. which password was applied) that AWS cannot show back. */
  observe(ctx: Ctx, prior: StoredResource | undefined): Promise<Live | undefined>;
  create(ctx: Ctx, want: W): Promise<StoredResource>;
  /** May return outputs to remember that AWS cannot show back. */
  update?(ctx: Ctx, want: W, live: Live, changed: string[]): Promise<Outputs | void>;
  delete(ctx: Ctx, live: Live): Promise<void>;
}
