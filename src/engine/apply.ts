import { ToolError, UserError } from "../errors.js";
import { reverseEdges, topoOrder, walk, type Node, type WalkResult } from "./graph.js";
import { changedFields, decide, digest, extraCopies, graphOf, movedSince, outputsKnown, refFrom, type Action, type Change, type Plan } from "./plan.js";
import { backoff, poll } from "./poll.js";
import type { AnyResource, Attrs, EngineCtx, Live, Outputs, Stored } from "./types.js";

export const DEFAULT_READY_TIMEOUT_MS = 15 * 60_000;
export const DELETE_DEADLINE_MS = 30 * 60_000;
/** How many resources the walk works on at once (AWS rate limits, not the CPU, set it). */
export const DEFAULT_CONCURRENCY = 8;
/** Updates that make AWS settle in between (start a DB, then modify it) converge within this many rounds. */
const MAX_UPDATE_ROUNDS = 3;

type R<C extends EngineCtx> = AnyResource<C, unknown>;

export interface ApplyResult {
  results: WalkResult;
  /** Root causes only: a resource skipped because a dependency failed is not listed here. */
  failures: { key: string; title: string; error: unknown }[];
  outputs: Map<string, Outputs>;
  /** What the walk did to each resource it changed: the plan's promise, kept or not, for a test to compare. */
  applied: Map<string, Exclude<Action, "noop">>;
  interrupted: boolean;
}

/**
 * The next sleep of a wait whose usual length is known (RDS takes minutes): while far from it, half the time
 * left, so a 10-minute wait costs a handful of calls; near it and past it, the backoff from 2 s to 10 s counted
 * over all the wait's looks: a long wait, already at its sixth look or so, looks every 10 s and ends within 10 s
 * of AWS being done (a short one sooner).
 */
export const waitDelay = (expectedMs: number) => {
  const near = backoff(2_000, 10_000);
  return (elapsedMs: number, state: string, looks: number): number => {
    const left = expectedMs - elapsedMs;
    return left > 4_000 ? Math.min(30_000, left / 2) : near(elapsedMs, state, looks);
  };
};

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export class Interrupted extends Error {
  // Stryker disable next-line StringLiteral: no caller reads an error's name (messages are printed, classes checked with instanceof)
  override readonly name = "Interrupted";
  constructor() { super("interrupted"); }
}

/**
 * Apply found a resource other than the plan saw it, or would set it to other values than the plan showed:
 * that branch stops, as Terraform's "inconsistent final plan" does. Nobody confirmed that work.
 */
export class ChangedSincePlan extends ToolError {
  constructor(what: string) { super(`changed since the plan: ${what}; run plan again`); }
}

const inFlux = (live: Live | undefined): string | undefined => (live && (live.state === "pending" || live.state === "deleting") ? live.why : undefined);

/** What a wait that did not end in "done" means: an interrupt, or a timeout that names what to check. */
function unfinished(what: string, result: { outcome: "timeout" | "interrupted"; state: string; elapsedMs: number }): Error {
  if (result.outcome === "interrupted") return new Interrupted();
  return new ToolError(`${what} is still ${result.state} after ${minutes(result.elapsedMs)}; check it in the AWS console, then run the command again`);
}

/** A resource in a state that no wait will change (`failed`), as the user reads it. */
const failedAt = (title: string, id: string, why: string) => new ToolError(`${title} (${id}) failed: ${why}`);

/** Polls `observe` until the resource is ready (or gone, for deletes), with a progress row at least every 10 s. */
async function waitFor<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, prior: Stored, until: "ready" | "gone", timeoutMs: number): Promise<Live | undefined> {
  const title = r.title(spec);
  const result = await poll<Live | undefined>(async () => {
    const live = await r.observe(ctx, prior);
    if (live?.state === "failed" && until === "ready") throw failedAt(title, prior.id, live.why);
    if (until === "gone" ? !live : live && !inFlux(live)) return { done: true, value: live };
    return { done: false, state: inFlux(live) ?? (until === "gone" ? "being deleted" : "not visible yet") };
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs,
    delay: waitDelay((until === "ready" ? r.typicalReadyMs : r.typicalGoneMs) ?? 0),
    progress: (state, elapsedMs) => ctx.emit({ key: r.key, title, status: "waiting", message: state, elapsedMs }),
  });
  if (result.outcome !== "done") throw unfinished(`${title} (${prior.id})`, result);
  return result.value;
}

/**
 * Deletes, retrying while something still uses the resource (ENIs and ALBs linger for minutes after their owner
 * is gone), then waits until it is gone if the kind needs it. One already being deleted is only waited for;
 * after an "in use" answer it is observed again, since that answer may be a retried delete's (already deleting).
 */
export async function deleteResource<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, live: Live): Promise<void> {
  const title = r.title(spec);
  const prior = { id: live.id, outputs: live.outputs };
  let current: Live | undefined = live;
  let refusal: unknown;
  const result = await poll<void>(async () => {
    if (!current || current.state === "deleting") return { done: true, value: undefined };
    try {
      await r.delete(ctx, current);
      return { done: true, value: undefined };
    } catch (e) {
      if (!r.inUse?.(e)) throw e;
      refusal = e;
      current = await r.observe(ctx, prior);
      return { done: false, state: "still in use" };
    }
  }, {
    clock: ctx.clock, signal: ctx.signal, timeoutMs: DELETE_DEADLINE_MS, delay: backoff(3_000, 15_000),
    progress: (state, elapsedMs) => ctx.emit({ key: r.key, title, status: "retrying", message: `${state}, retrying`, elapsedMs }),
  });
  if (result.outcome === "interrupted") throw new Interrupted();
  if (result.outcome === "timeout") throw refusal;
  if (current && r.waitUntilGone) await waitFor(ctx, spec, r, prior, "gone", DELETE_DEADLINE_MS);
}

/**
 * Deletes an extra copy this run made (a retried create), only if nothing uses it: AWS's own refusal ("in use",
 * e.g. EC2's DependencyViolation) is that check, made in the same call as the delete, so there is no moment
 * between a look and the delete for something to start using it. Tried once, never waited out: a copy in use
 * is someone's, and stays.
 */
async function deleteDuplicate<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, live: Live): Promise<void> {
  try {
    await r.delete(ctx, live);
  } catch (e) {
    if (!r.inUse?.(e)) throw e;
    throw new ToolError(`${r.title(spec)}: the extra copy ${live.id} this run made is in use (${ctx.describeError("delete it", e)}): left in place; delete it by hand once nothing uses it`);
  }
  if (r.waitUntilGone) await waitFor(ctx, spec, r, { id: live.id, outputs: live.outputs }, "gone", DELETE_DEADLINE_MS);
}

/**
 * Creates, and waits until ready. An "already exists" answer means a call of ours took effect while its answer
 * was lost (the SDK retried it): the resource is observed again and adopted if it is ours (observe refuses
 * what is not), then brought to the desired state like any other.
 */
async function createResource<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, want: Attrs, timeoutMs: number): Promise<Live> {
  let created: Stored;
  try {
    created = await r.create(ctx, want);
  } catch (e) {
    if (!r.alreadyExists?.(e)) throw e;
    const found = await r.observe(ctx, ctx.records.get(r.key));
    if (!found) throw e;
    ctx.emit({ key: r.key, title: r.title(spec), status: "creating", message: "already there (a retried call): adopting it" });
    const prior = { id: found.id, outputs: found.outputs };
    ctx.records.set(r.key, prior);
    return converge(ctx, spec, r, want, (await waitFor(ctx, spec, r, prior, "ready", timeoutMs))!, timeoutMs);
  }
  ctx.records.set(r.key, created); // recorded before any wait: a crash now still knows the id
  // What a create cannot set in its own call (a restored database's password) is set once it is ready.
  return converge(ctx, spec, r, want, (await waitFor(ctx, spec, r, created, "ready", timeoutMs))!, timeoutMs);
}

/**
 * Updates until nothing differs: a change AWS takes only in steps (start a stopped DB, then modify it) ends in
 * one run. Only the fields the plan changes (`planned`; any, for a resource the plan creates) are touched.
 */
async function converge<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, want: Attrs, live: Live, timeoutMs: number, planned?: readonly string[]): Promise<Live> {
  for (let round = 0; round < MAX_UPDATE_ROUNDS; round++) {
    const decision = decide(r, want, live);
    if (decision.action === "noop") return live;
    if (decision.action !== "update") throw new ToolError(`${r.title(spec)} (${live.id}) differs in ${changedFields(decision.diffs).join(", ")}, which needs a replacement`);
    const fields = changedFields(decision.diffs);
    const unplanned = fields.filter((f) => planned && !planned.includes(f));
    if (unplanned.length) throw new ChangedSincePlan(`${r.title(spec)}: ${unplanned.join(", ")} changed at AWS during the update`);
    ctx.emit({ key: r.key, title: r.title(spec), status: "updating", message: fields.join(", ") });
    let remembered: Outputs | void;
    try {
      remembered = await r.update!(ctx, want, live, fields);
    } catch (e) {
      // A repair call that took effect while its answer was lost: the SDK's retry finds it done. Look again, go on.
      if (!r.alreadyDone?.(e)) throw e;
      ctx.emit({ key: r.key, title: r.title(spec), status: "updating", message: "already done (a retried call): looking again" });
      // Waited for as any update is: the change that landed may still be in progress (an RDS instance `modifying`).
      live = (await waitFor(ctx, spec, r, { id: live.id, outputs: live.outputs }, "ready", timeoutMs))!;
      continue;
    }
    const prior = { id: live.id, outputs: { ...live.outputs, ...remembered } };
    if (remembered) ctx.records.set(r.key, prior);
    live = (await waitFor(ctx, spec, r, prior, "ready", timeoutMs))!;
  }
  return live;
}

function wrap(ctx: EngineCtx, verb: string, title: string, e: unknown): unknown {
  if (e instanceof UserError || e instanceof ToolError || e instanceof Interrupted) return e;
  return new ToolError(ctx.describeError(`${verb} ${title}`, e), { cause: e });
}


/** The plan's change for one resource: apply does nothing the plan did not show. */
function changeOf(plan: Plan, key: string): Change {
  const ch = plan.changes.find((c) => c.key === key);
  if (!ch) throw new ToolError(`${key} is not in the plan: run plan again`);
  return ch;
}

/**
 * Looks at a resource again right before changing it, and stops its branch if it is not what the plan saw
 * (someone changed it since). One found mid-change (RDS still `modifying`) is waited for first, unless it is
 * to be deleted (a delete refused meanwhile is retried); one found being deleted, that the plan makes again,
 * is waited for until it is gone.
 */
async function lookAgain<C extends EngineCtx>(ctx: C, spec: unknown, r: R<C>, ch: Change, timeoutMs: number): Promise<Live | undefined> {
  let live = await r.observe(ctx, ctx.records.get(r.key));
  const until = live?.state === "pending" && ch.action !== "delete" ? "ready" : live?.state === "deleting" && ch.action === "create" ? "gone" : undefined;
  if (until) {
    ctx.emit({ key: r.key, title: r.title(spec), status: "waiting", message: inFlux(live) });
    live = await waitFor(ctx, spec, r, { id: live!.id, outputs: live!.outputs }, until, until === "gone" ? DELETE_DEADLINE_MS : timeoutMs);
  }
  const moved = ch.action === "delete" && !live ? "" : movedSince(ch, live);
  if (moved) throw new ChangedSincePlan(moved);
  return live;
}

/**
 * The walk's graph: the dependency graph, except that a change that must wait for its dependents (stopping a
 * database the service still uses) goes after all of them, and they no longer wait for it (the plan knows
 * its outputs: it is updated, not made).
 */
function walkGraph(graph: readonly Node[], last: ReadonlySet<string>): Node[] {
  const dependents = reverseEdges(graph);
  const below = (key: string, seen = new Set<string>()): Set<string> => {
    // Stryker disable next-line ConditionalExpression: visiting a dependent again adds nothing to the set; the check only saves work
    for (const d of dependents.get(key)!) if (!seen.has(d)) below(d, seen.add(d));
    return seen;
  };
  return graph.map((n) => ({ key: n.key, dependsOn: [...n.dependsOn.filter((d) => !last.has(d)), ...(last.has(n.key) ? below(n.key) : [])] }));
}

/**
 * Applies the plan of an `up` (and of `sleep` and `wake`): walks the DAG and does to each resource what the
 * plan shows, no more. Each desired state is derived again from its dependencies' real outputs (the plan held
 * UNKNOWNs where they were still to be made) and must match what the plan showed; each resource to change is
 * looked at again first and must be as the plan saw it. Otherwise that branch stops (`ChangedSincePlan`) while
 * unrelated ones finish. Replacements that live dependents use are made first and their old copies deleted
 * once the whole walk is done.
 */
export async function applyUp<C extends EngineCtx, S>(ctx: C, spec: S, resources: readonly AnyResource<C, S>[], plan: Plan, observed: ReadonlyMap<string, Live | undefined>, concurrency = DEFAULT_CONCURRENCY): Promise<ApplyResult> {
  const byKey = new Map(resources.map((r) => [r.key, r as R<C>]));
  // Outputs of what the plan keeps or updates in place, as the plan read them: a change that goes after its
  // dependents (see walkGraph) is read by them before it runs.
  const outputs = new Map<string, Outputs>();
  for (const r of resources) {
    const live = observed.get(r.key);
    if (live && outputsKnown(live) && ["noop", "update"].includes(changeOf(plan, r.key).action)) outputs.set(r.key, live.outputs);
  }
  const applied = new Map<string, Exclude<Action, "noop">>();
  // Old copies of replaced resources, and extra copies this run's retried creates left: deleted once the whole
  // walk is done, dependents' first, when everything that used them has moved.
  const replaced: { r: R<C>; live: Live }[] = [];
  const duplicates: { r: R<C>; live: Live }[] = [];
  const run = async (key: string) => {
    const r = byKey.get(key)!;
    const ch = changeOf(plan, key);
    const title = r.title(spec);
    const start = ctx.clock.now();
    let live = observed.get(key);
    const timeout = r.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let action: Action = ch.action;
    try {
      for (const d of live?.duplicates ?? []) if (ch.duplicates?.includes(d.id)) duplicates.push({ r, live: d });
      if (ch.action === "noop") {
        // Nothing to change, and nothing a wait would mend (ACM gave up on the certificate): its dependents would
        // fail on it, so its branch stops here, saying what is wrong.
        if (live?.state === "failed") throw failedAt(title, live.id, live.why);
        // Found mid-change (e.g. RDS still `creating` after a crash): dependents need it ready.
        if (live?.state === "pending") {
          ctx.emit({ key, title, status: "waiting", message: live.why });
          live = await waitFor(ctx, spec, r, { id: live.id, outputs: live.outputs }, "ready", timeout);
          ctx.emit({ key, title, status: "done", message: "ready", elapsedMs: ctx.clock.now() - start });
        }
      } else {
        live = await lookAgain(ctx, spec, r, ch, timeout);
        const want = r.desired(spec, refFrom(outputs));
        const off = Object.keys(want).filter((f) => ch.planned[f] !== null && ch.planned[f] !== digest(want[f]));
        if (off.length) throw new ChangedSincePlan(`${title}: ${off.join(", ")} would not be what the plan showed`);
        // Values the plan knew only after apply may turn out unchanged: then less is done, never more.
        action = decide(r, want, live).action;
        if (action !== "noop") applied.set(key, action);
        if (action === "create") {
          ctx.emit({ key, title, status: "creating" });
          live = await createResource(ctx, spec, r, want, timeout);
          for (const d of live.duplicates ?? []) duplicates.push({ r, live: d }); // this run's own retried create
        } else if (action === "update") {
          live = await converge(ctx, spec, r, want, live!, timeout, changedFields(ch.diffs));
        } else if (action === "replace") {
          ctx.emit({ key, title, status: "replacing" });
          ctx.records.set(key, { id: live!.id, outputs: live!.outputs }); // what the new one may carry over (an image)
          if (r.createBeforeDelete) {
            replaced.push({ r, live: live! });
          } else {
            await deleteResource(ctx, spec, r, live!);
            ctx.records.set(key, undefined);
          }
          live = await createResource(ctx, spec, r, want, timeout);
        }
      }
    } catch (e) {
      const err = wrap(ctx, action === "noop" ? "check" : action, title, e);
      ctx.emit({ key, title, status: "failed", message: (err as Error).message, elapsedMs: ctx.clock.now() - start });
      throw err;
    }
    const stored = ctx.records.get(key);
    const record = { id: live!.id, outputs: live!.outputs, ...(live!.memo ? { memo: live!.memo } : {}) };
    if (JSON.stringify(stored) !== JSON.stringify(record)) ctx.records.set(key, record);
    outputs.set(key, live!.outputs);
    // A change the plan showed always ends its row: with nothing left to do once looked at again (a certificate's
    // validation, waited for until ACM issued it), it is "ready".
    if (ch.action !== "noop") ctx.emit({ key, title, status: "done", message: action === "noop" ? "ready" : `${action}d`, elapsedMs: ctx.clock.now() - start });
  };
  const graph = graphOf(resources, spec);
  const last = new Set(resources.filter((r) => {
    const ch = changeOf(plan, r.key);
    return ch.action === "update" && r.afterDependents?.(ch.diffs);
  }).map((r) => r.key));
  const results = await walk(walkGraph(graph, last), run, { concurrency, signal: ctx.signal });
  // Replaced copies only when the whole run succeeded: a failed rollout may still run on the old revision.
  const clean = [...results.values()].every((v) => v.status === "done");
  const leftovers = [...(clean ? replaced : []), ...duplicates];
  const order = topoOrder(graph);
  leftovers.sort((a, b) => order.indexOf(b.r.key) - order.indexOf(a.r.key));
  for (const { r, live } of leftovers) {
    const isReplaced = replaced.some((x) => x.live === live);
    const what = isReplaced ? "the replaced" : "the duplicate";
    try {
      ctx.emit({ key: r.key, title: r.title(spec), status: "deleting", message: `${what} ${live.id}` });
      if (isReplaced) await deleteResource(ctx, spec, r, live);
      else await deleteDuplicate(ctx, spec, r, live);
      ctx.emit({ key: r.key, title: r.title(spec), status: "done", message: `deleted ${what} ${live.id}` });
    } catch (e) {
      results.set(r.key, { status: "failed", error: wrap(ctx, `delete ${what} ${live.id} of`, r.title(spec), e) });
    }
  }
  return result(spec, byKey, results, outputs, applied, ctx.signal);
}

/**
 * Applies the plan of a `down`: each resource it deletes (and the duplicates it lists) deleted after everything
 * that depends on it, once looked at again: one already gone is done, one that is not what the plan saw stops
 * its branch.
 */
export async function applyDown<C extends EngineCtx, S>(ctx: C, spec: S, resources: readonly AnyResource<C, S>[], plan: Plan, concurrency = DEFAULT_CONCURRENCY): Promise<ApplyResult> {
  const byKey = new Map(resources.map((r) => [r.key, r as R<C>]));
  const graph = graphOf(resources, spec);
  const dependents = reverseEdges(graph);
  const reversed = graph.map((n) => ({ key: n.key, dependsOn: dependents.get(n.key)! }));
  const applied = new Map<string, "delete">();
  const run = async (key: string) => {
    const r = byKey.get(key)!;
    const ch = plan.changes.find((c) => c.key === key && c.action === "delete");
    if (ch) {
      const title = r.title(spec);
      const start = ctx.clock.now();
      ctx.emit({ key, title, status: "deleting" });
      try {
        const live = await lookAgain(ctx, spec, r, ch, DELETE_DEADLINE_MS);
        for (const d of live ? extraCopies(live) : []) if (ch.duplicates?.includes(d.id)) await deleteResource(ctx, spec, r, d);
        if (live) await deleteResource(ctx, spec, r, live);
      } catch (e) {
        const err = wrap(ctx, "delete", title, e);
        ctx.emit({ key, title, status: "failed", message: (err as Error).message });
        throw err;
      }
      applied.set(key, "delete");
      ctx.emit({ key, title, status: "done", message: "deleted", elapsedMs: ctx.clock.now() - start });
    }
    if (ctx.records.get(key)) ctx.records.set(key, undefined);
  };
  const results = await walk(reversed, run, { concurrency, signal: ctx.signal });
  return result(spec, byKey, results, new Map(), applied, ctx.signal);
}

function result<C extends EngineCtx>(spec: unknown, byKey: Map<string, R<C>>, results: WalkResult, outputs: Map<string, Outputs>, applied: ApplyResult["applied"], signal: AbortSignal): ApplyResult {
  const failures = [...results].filter(([, v]) => v.status === "failed").map(([key, v]) => ({ key, title: byKey.get(key)!.title(spec), error: v.error }));
  return { results, failures, outputs, applied, interrupted: signal.aborted };
}
