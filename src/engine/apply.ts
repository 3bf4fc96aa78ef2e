import { describeAwsError, errorCode } from "../aws/errors.js";
import { ToolError, UserError } from "../errors.js";
import { reverseEdges, walk, type WalkResult } from "./graph.js";
import { decide, depsFrom, type Action } from "./plan.js";
import type { StoredResource } from "../state/store.js";
import type { Attrs, Ctx, Live, Outputs, Resource } from "./types.js";

export const DEFAULT_READY_TIMEOUT_MS = 15 * 60_000;
export const DELETE_DEADLINE_MS = 30 * 60_000;
/** Codes that mean "something still uses this": ENIs and ALBs linger for minutes after their owner is gone. */
const STILL_IN_USE = ["DependencyViolation", "ResourceInUse", "ResourceInUseException", "InvalidDBSubnetGroupStateFault", "InvalidDBInstanceState", "InvalidDBInstanceStateFault", "ClusterContainsServicesException", "ClusterContainsTasksException"];

export interface ApplyResult {
  results: WalkResult;
  /** Root causes only: a resource skipped because a dependency failed is not listed here. */
  failures: { key: string; title: string; error: unknown }[];
  outputs: Map<string, Outputs>;
  interrupted: boolean;
}

/** Poll schedule for retries: quick at first, backing off to a steady interval; never a tight loop. */
export function* pollDelays(firstMs = 2_000, maxMs = 10_000, factor = 1.5): Generator<number> {
  for (let d = firstMs; ; d = Math.min(maxMs, d * factor)) yield d;
}

/**
 * The next sleep of a wait whose usual length is known (RDS takes minutes): while far from it, half the time
 * left, so a 10-minute wait costs a handful of calls; near it and past it, the `backoff` schedule (2 s up to
 * 10 s), so the wait ends within seconds of AWS being done.
 */
export function waitDelay(expectedMs: number, elapsedMs: number, backoff: Generator<number>): number {
  const left = expectedMs - elapsedMs;
  return left > 4_000 ? Math.min(30_000, Math.max(2_000, left / 2)) : backoff.next().value!;
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/** Polls `observe` until the resource is ready (or gone, for deletes), emitting progress; the timeout names what to check. */
async function waitFor(ctx: Ctx, r: Resource, prior: StoredResource, until: "ready" | "gone", timeoutMs: number): Promise<Live | undefined> {
  const id = prior.id;
  const title = r.title(ctx.spec);
  const start = ctx.clock.now();
  const typical = (until === "ready" ? r.typicalReadyMs : r.typicalGoneMs) ?? 0;
  const backoff = pollDelays();
  for (;;) {
    const live = await r.observe(ctx, prior);
    if (live?.failed && until === "ready") throw new ToolError(`${title} (${id}) failed: ${live.failed}`);
    if (until === "gone" ? !live : live && !live.pending) return live;
    const elapsed = ctx.clock.now() - start;
    if (elapsed > timeoutMs) {
      throw new ToolError(`${title} (${id}) is still ${live?.pending ?? (until === "gone" ? "being deleted" : "not visible")} after ${minutes(elapsed)}; check it in the AWS console, then run the command again`);
    }
    if (ctx.signal.aborted) throw new Interrupted();
    ctx.emit({ key: r.key, title, status: "waiting", message: live?.pending ?? (until === "gone" ? "deleting" : "not visible yet"), elapsedMs: elapsed });
    await ctx.clock.sleep(waitDelay(typical, elapsed, backoff), ctx.signal);
  }
}

export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor() { super("interrupted"); }
}

/** Deletes, retrying while something still uses the resource, then waits until it is gone if the kind needs it. */
export async function deleteResource(ctx: Ctx, r: Resource, live: Live): Promise<void> {
  const title = r.title(ctx.spec);
  const start = ctx.clock.now();
  const delays = pollDelays(3_000, 15_000);
  for (;;) {
    try {
      await r.delete(ctx, live);
      break;
    } catch (e) {
      if (!STILL_IN_USE.includes(errorCode(e)) || ctx.clock.now() - start > DELETE_DEADLINE_MS || ctx.signal.aborted) throw e;
      ctx.emit({ key: r.key, title, status: "retrying", message: `still in use (${errorCode(e)}), retrying`, elapsedMs: ctx.clock.now() - start });
      await ctx.clock.sleep(delays.next().value!, ctx.signal);
    }
  }
  if (r.waitUntilGone) await waitFor(ctx, r, { id: live.id, outputs: live.outputs }, "gone", DELETE_DEADLINE_MS);
}

async function createResource(ctx: Ctx, r: Resource, want: Attrs): Promise<Live> {
  const created = await r.create(ctx, want);
  ctx.state.setResource(r.key, created); // recorded before any wait: a crash now still knows the id
  return (await waitFor(ctx, r, created, "ready", r.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS))!;
}

function wrap(verb: string, title: string, e: unknown): unknown {
  if (e instanceof UserError || e instanceof ToolError || e instanceof Interrupted) return e;
  return new ToolError(describeAwsError(`${verb} ${title}`, e), { cause: e });
}

/** Applies an `up` plan: walks the DAG, re-deriving each desired state from its dependencies' real outputs. */
export async function applyUp(ctx: Ctx, resources: readonly Resource[], observed: ReadonlyMap<string, Live | undefined>, concurrency = 8): Promise<ApplyResult> {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const outputs = new Map<string, Outputs>();
  const run = async (key: string) => {
    const r = byKey.get(key)!;
    const title = r.title(ctx.spec);
    const start = ctx.clock.now();
    const deps = depsFrom(outputs);
    let live = observed.get(key);
    const timeout = r.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let action: Action = "noop";
    try {
      // Found mid-change (e.g. RDS still `creating` after a crash): dependents need its outputs, and AWS
      // refuses most modifications until it settles, so wait before deciding anything.
      if (live?.pending) {
        ctx.emit({ key, title, status: "waiting", message: live.pending });
        live = await waitFor(ctx, r, { id: live.id, outputs: live.outputs }, "ready", timeout);
      }
      // Re-decide with real dependency outputs: the plan may have held UNKNOWNs.
      const want = r.desired(ctx.spec, deps);
      const decision = decide(r, want, live);
      action = decision.action;
      const fields = decision.diffs.map((d) => d.field);
      if (action === "noop") {
        live = live!;
      } else if (action === "create") {
        ctx.emit({ key, title, status: "creating" });
        live = await createResource(ctx, r, want);
      } else if (action === "update") {
        ctx.emit({ key, title, status: "updating", message: fields.join(", ") });
        const remembered = await r.update!(ctx, want, live!, fields);
        const prior = { id: live!.id, outputs: { ...live!.outputs, ...remembered } };
        if (remembered) ctx.state.setResource(key, prior);
        live = (await waitFor(ctx, r, prior, "ready", timeout))!;
      } else {
        ctx.emit({ key, title, status: "replacing", message: decision.diffs.filter((d) => d.forcesReplace).map((d) => d.field).join(", ") });
        await deleteResource(ctx, r, live!);
        ctx.state.setResource(key, undefined);
        live = await createResource(ctx, r, want);
      }
    } catch (e) {
      const err = wrap(action === "noop" ? "check" : action, title, e);
      ctx.emit({ key, title, status: "failed", message: (err as Error).message, elapsedMs: ctx.clock.now() - start });
      throw err;
    }
    const stored = ctx.state.data.resources[key];
    if (stored?.id !== live.id || JSON.stringify(stored.outputs) !== JSON.stringify(live.outputs)) ctx.state.setResource(key, { id: live.id, outputs: live.outputs });
    outputs.set(key, live.outputs);
    ctx.emit({ key, title, status: "done", message: action === "noop" ? "in sync" : `${action}d`, elapsedMs: ctx.clock.now() - start });
  };
  const results = await walk(resources, run, { concurrency, signal: ctx.signal });
  return result(ctx, byKey, results, outputs);
}

/** Applies a `down`: each resource deleted after everything that depends on it. */
export async function applyDown(ctx: Ctx, resources: readonly Resource[], observed: ReadonlyMap<string, Live | undefined>, concurrency = 8): Promise<ApplyResult> {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const dependents = reverseEdges(resources);
  const reversed = resources.map((r) => ({ key: r.key, dependsOn: dependents.get(r.key)! }));
  const run = async (key: string) => {
    const r = byKey.get(key)!;
    const live = observed.get(key);
    if (live) {
      const title = r.title(ctx.spec);
      const start = ctx.clock.now();
      ctx.emit({ key, title, status: "deleting" });
      try {
        await deleteResource(ctx, r, live);
      } catch (e) {
        const err = wrap("delete", title, e);
        ctx.emit({ key, title, status: "failed", message: (err as Error).message });
        throw err;
      }
      ctx.emit({ key, title, status: "done", message: "deleted", elapsedMs: ctx.clock.now() - start });
    }
    if (ctx.state.data.resources[key]) ctx.state.setResource(key, undefined);
  };
  const results = await walk(reversed, run, { concurrency, signal: ctx.signal });
  return result(ctx, byKey, results, new Map());
}

function result(ctx: Ctx, byKey: Map<string, Resource>, results: WalkResult, outputs: Map<string, Outputs>): ApplyResult {
  const failures = [...results].filter(([, v]) => v.status === "failed").map(([key, v]) => ({ key, title: byKey.get(key)!.title(ctx.spec), error: v.error }));
  return { results, failures, outputs, interrupted: ctx.signal.aborted };
}
