import { createHash } from "node:crypto";
import { topoOrder, type Node } from "./graph.js";
import { UNKNOWN, type AnyResource, type Attrs, type EngineCtx, type Live, type Outputs, type RefFn } from "./types.js";

export type Action = "noop" | "create" | "update" | "replace" | "delete";

/**
 * One changed value; `path` names the value inside an object field (`environment.DEBUG`, `tags.team`), `field`
 * the field itself. `sensitive`: a marked secret was masked in `before` or `after`. `leftAlone`: drift that is
 * reported, never repaired, and why (the resource's `leftAlone`).
 */
export interface FieldDiff { field: string; path: string; before: unknown; after: unknown; forcesReplace?: boolean; downtime?: boolean; note?: string; sensitive?: boolean; leftAlone?: string }

/**
 * What a plan took for granted about one resource, for apply to check before it acts (Terraform's
 * "inconsistent final plan"): the id it saw (none: absent), and a digest of each desired field as AWS had it.
 * Digests, not values: a saved plan must never hold a secret.
 */
export interface Assumed {
  id?: string;
  fields: Record<string, string>;
  /**
   * Which one it is depends on outputs made in this run (the validation record of a certificate being
   * replaced): found, gone or another, apply takes what it finds; only a field of the same one is checked.
   */
  afterApply?: boolean;
}

export interface Change {
  key: string;
  kind: string;
  title: string;
  action: Action;
  id?: string;
  diffs: FieldDiff[];
  /** Extra copies found by tag (a retried create): deleted by this run, whatever `action` is. */
  duplicates?: string[];
  /** Deleting or replacing it loses data. */
  stateful?: boolean;
  /** What a delete takes with it (the resource's `deleteTakes`). */
  takes?: string;
  /** Why AWS would refuse this change, and what to do instead: `up` stops before any call. */
  refused?: string;
  /** What the plan saw at AWS: apply stops this resource's branch if it finds otherwise. */
  assumed: Assumed;
  /** A digest of each desired value (null: known only after apply): apply may set nothing else. */
  planned: Record<string, string | null>;
}

/** `notes`: why the plan makes a change the spec's text does not show (the schedule's window holding now). */
export interface Plan { mode: "up" | "down" | "sleep" | "wake"; changes: Change[]; notes?: string[] }

export type Observed = ReadonlyMap<string, Live | undefined>;
type Resources<S> = readonly AnyResource<EngineCtx, S>[];

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Stable JSON (sorted keys) so that attribute order never shows up as a diff. */
export const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) => (isRecord(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val));

const hasUnknown = (v: unknown): boolean => String(canonical(v)).includes(UNKNOWN);

/** A short, stable fingerprint of a value: compares what a plan saw with what apply sees, without the value. */
export const digest = (v: unknown): string => createHash("sha256").update(String(canonical(v))).digest("hex").slice(0, 16);

/** Outputs not known yet: every field reads as `marker`. */
const unknownsReading = (marker: string): Outputs => new Proxy({}, { get: () => marker });
const unknownOutputs = unknownsReading(UNKNOWN);

/** `ref` over known outputs: a dependency not (yet) known reads as UNKNOWN in every field. */
export function refFrom(outputs: ReadonlyMap<string, Outputs>): RefFn {
  return ((r: { key: string }) => outputs.get(r.key) ?? unknownOutputs) as RefFn;
}

/**
 * The desired attributes as far as they are known, and whether any depends on an output known only after
 * apply. A field computed from an unknown output (a hash of a password still to be generated) does not carry
 * the UNKNOWN marker: it is found by computing the fields a second time with another marker, and shown as
 * UNKNOWN where the two differ.
 */
function desiredKnown<S>(r: AnyResource<EngineCtx, S>, spec: S, known: ReadonlyMap<string, Outputs>): { want: Attrs; readsUnknown: boolean } {
  let readsUnknown = false;
  const ref = (marker: Outputs) => ((d: { key: string }) => known.get(d.key) ?? ((readsUnknown = true), marker)) as RefFn;
  const want = r.desired(spec, ref(unknownOutputs));
  // Stryker disable next-line StringLiteral: any second marker unlike UNKNOWN (an empty one too) tells which fields it reaches
  const other = r.desired(spec, ref(unknownsReading("(known after apply, 2)")));
  return { want: Object.fromEntries(Object.entries(want).map(([f, v]) => [f, canonical(v) === canonical(other[f]) || hasUnknown(v) ? v : UNKNOWN])), readsUnknown };
}

/** The edges of one resource: what its `desired` reads through `ref`, plus its ordering-only `after`. */
export function dependencies<S>(r: AnyResource<EngineCtx, S>, spec: S): string[] {
  const seen = new Set<string>();
  r.desired(spec, ((d: { key: string }) => (seen.add(d.key), unknownOutputs)) as RefFn);
  for (const a of r.after ?? []) seen.add(a.key);
  return [...seen];
}

/** The dependency graph of a stack for one spec. */
export const graphOf = <S>(resources: Resources<S>, spec: S): Node[] => resources.map((r) => ({ key: r.key, dependsOn: dependencies(r, spec) }));

/** What a plan and every output show in place of a secret. */
export const SENSITIVE = "(sensitive)";

/** Replaces every marked secret inside a value, as is and URL-encoded (inside DATABASE_URL), by "(sensitive)". */
export function masked(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    return secrets.reduce((s, v) => s.split(v).join(SENSITIVE).split(encodeURIComponent(v)).join(SENSITIVE), value);
  }
  if (Array.isArray(value)) return value.map((v) => masked(v, secrets));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, secrets)]));
  return value;
}

/** The values of every output a resource marks `sensitive`, from what is known of the stack. */
export function sensitiveValues<S>(resources: Resources<S>, outputsOf: (key: string) => Outputs | undefined): string[] {
  return resources.filter((r) => r.sensitive).flatMap((r) => r.sensitive!.map((f) => outputsOf(r.key)?.[f]).filter((v): v is string => !!v));
}

/**
 * Field-level differences between what the spec wants and what AWS has; objects diff key by key down to the
 * values that differ (`container.environment.DEBUG`), lists and scalars as a whole.
 */
export function diffAttrs(resource: AnyResource<EngineCtx, unknown>, want: Attrs, have: Attrs): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const walk = (field: string, path: string, before: unknown, after: unknown) => {
    if (canonical(after) === canonical(before)) return;
    if (isRecord(after) && isRecord(before)) {
      for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) walk(field, `${path}.${k}`, before[k], after[k]);
      return;
    }
    diffs.push({
      field, path, before, after,
      ...(resource.replaceOn?.includes(field) ? { forcesReplace: true } : {}),
      ...(resource.downtimeOn?.includes(field) ? { downtime: true } : {}),
      ...(resource.fieldNotes?.[field] ? { note: resource.fieldNotes[field] } : {}),
      ...(resource.leftAlone?.[field] ? { leftAlone: resource.leftAlone[field] } : {}),
    });
  };
  for (const [field, after] of Object.entries(want)) walk(field, field, have[field], after);
  return diffs;
}

/** Decides what one resource needs, given its desired attributes and what was observed. */
export function decide(resource: AnyResource<EngineCtx, unknown>, want: Attrs, live: Live | undefined): Pick<Change, "action" | "diffs"> {
  if (!live) return { action: "create", diffs: Object.entries(want).map(([field, after]) => ({ field, path: field, before: undefined, after })) };
  if (live.assumedInSync) return { action: "noop", diffs: [] };
  const diffs = diffAttrs(resource, want, live.attrs);
  // Drift left alone is still shown (in `diffs`), but changes nothing.
  const acted = diffs.filter((d) => !d.leftAlone);
  if (acted.length === 0) return { action: "noop", diffs };
  const replace = acted.some((d) => d.forcesReplace) || !resource.update;
  return { action: replace ? "replace" : "update", diffs };
}

/** The fields a decision changes, each once, as `update` receives them. */
export const changedFields = (diffs: readonly FieldDiff[]): string[] => [...new Set(diffs.filter((d) => !d.leftAlone).map((d) => d.field))];

/**
 * The plan for `up`: a pure function of the spec and the observations, in dependency order. Desired values
 * that depend on resources still to be (re)created are UNKNOWN, so a replaced VPC forces its subnets'
 * replacement and a new task definition revision shows as the service's update. Secrets show as "(sensitive)".
 */
// Stryker disable next-line ArrayDeclaration: a default secret that is no value of the stack masks nothing
export function planUp<S>(resources: Resources<S>, spec: S, observed: Observed, secrets: readonly string[] = []): Plan {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const known = new Map<string, Outputs>();
  const changes: Change[] = [];
  const hide = (v: unknown) => masked(v, secrets);
  for (const key of topoOrder(graphOf(resources, spec))) {
    const r = byKey.get(key)!;
    // One already being deleted (by hand, or by a `down` that was stopped) is as good as gone: it is made again,
    // once it is gone (apply waits for that: AWS refuses a second one of the same name meanwhile).
    const seen = observed.get(key);
    const live = seen?.state === "deleting" ? undefined : seen;
    const { want, readsUnknown } = desiredKnown(r, spec, known);
    const { action, diffs } = decide(r, want, live);
    if (live && outputsKnown(live) && (action === "noop" || action === "update")) known.set(key, live.outputs);
    const refused = live && action !== "noop" ? r.refuse?.(want, live, changedFields(diffs)) : undefined;
    changes.push({
      key, kind: r.kind, title: r.title(spec), action, ...(live ? { id: live.id } : {}),
      diffs: diffs.map((d) => {
        const [before, after] = [hide(d.before), hide(d.after)];
        return { ...d, before, after, ...(canonical(before) !== canonical(d.before) || canonical(after) !== canonical(d.after) ? { sensitive: true } : {}) };
      }),
      ...(live?.duplicates?.length ? { duplicates: live.duplicates.map((d) => d.id) } : {}),
      ...(r.stateful ? { stateful: true } : {}),
      ...(refused ? { refused } : {}),
      assumed: { ...assumedOf(want, live), ...(readsUnknown ? { afterApply: true } : {}) },
      // Desired values read from outputs made in this run are checked by what apply sees, not by the plan.
      planned: Object.fromEntries(Object.entries(want).map(([f, v]) => [f, readsUnknown ? null : digest(v)])),
    });
  }
  return { mode: "up", changes };
}

/**
 * Whether what a resource outputs can be read before apply: one still being made (RDS `creating` after a crash)
 * may not know them yet (an endpoint: `""`, as kinds write an output AWS has not given). One only busy (RDS
 * `backing-up`, a service rolling out) keeps them: reading them as unknown would plan changes to what reads them.
 */
export const outputsKnown = (live: Live): boolean => live.state !== "pending" || Object.values(live.outputs).every((v) => v !== "");

/** Every copy of a resource beyond the one found: this run's duplicates and other runs' copies (what `down` deletes too). */
export const extraCopies = (live: Live): Live[] => [...(live.duplicates ?? []), ...(live.otherCopies ?? [])];

/** The facts a plan rests on for one resource: its id, and each desired field as AWS had it. */
function assumedOf(want: Attrs, live: Live | undefined): Assumed {
  if (!live) return { fields: {} };
  return { id: live.id, fields: live.assumedInSync ? {} : Object.fromEntries(Object.keys(want).map((f) => [f, digest(live.attrs[f])])) };
}

/** What moved since a plan was made, as a person reads it (`""`: nothing did). */
export function movedSince(change: Pick<Change, "title" | "assumed">, live: Live | undefined): string {
  const { assumed, title } = change;
  if (assumed.afterApply && live?.id !== assumed.id) return "";
  if (!assumed.id) return live ? `${title} now exists (${live.id})` : "";
  if (!live) return `${title} (${assumed.id}) is gone`;
  if (live.id !== assumed.id) return `${title} is now ${live.id}, not ${assumed.id}`;
  const fields = Object.entries(assumed.fields).filter(([f, d]) => digest(live.attrs[f]) !== d).map(([f]) => f);
  return fields.length ? `${title}: ${fields.join(", ")} changed at AWS` : "";
}

/** The plan for `down`: every observed resource (and every extra copy of it) deleted, dependents first. */
export function planDown<S>(resources: Resources<S>, spec: S, observed: Observed): Plan {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const changes = topoOrder(graphOf(resources, spec)).reverse().flatMap((key): Change[] => {
    const live = observed.get(key);
    const r = byKey.get(key)!;
    if (!live) return [];
    return [{
      key, kind: r.kind, title: r.title(spec), action: "delete", id: live.id, diffs: [], assumed: { id: live.id, fields: {} }, planned: {},
      ...(extraCopies(live).length ? { duplicates: extraCopies(live).map((d) => d.id) } : {}), ...(r.stateful ? { stateful: true } : {}),
      ...(r.deleteTakes ? { takes: r.deleteTakes } : {}),
    }];
  });
  return { mode: "down", changes };
}

export function summarize(plan: Plan): Record<Exclude<Action, "noop">, number> {
  const count = (a: Action) => plan.changes.filter((c) => c.action === a).length;
  const duplicates = plan.changes.reduce((n, c) => n + (c.duplicates?.length ?? 0), 0);
  return { create: count("create"), update: count("update"), replace: count("replace"), delete: count("delete") + duplicates };
}

export const hasChanges = (plan: Plan): boolean => plan.changes.some((c) => c.action !== "noop" || c.duplicates?.length);

/** Drift that `up` leaves as it is (see `Resource.leftAlone`), with the resource it is on. */
export const leftAlone = (plan: Plan): { change: Change; diff: FieldDiff }[] =>
  plan.changes.flatMap((change) => (change.action === "noop" || change.action === "update" ? change.diffs.filter((d) => d.leftAlone).map((diff) => ({ change, diff })) : []));

/** What `plan --detailed-exitcode` reports as a difference: any change, or drift `up` leaves alone. */
export const hasDrift = (plan: Plan): boolean => hasChanges(plan) || leftAlone(plan).length > 0;
