import { topoOrder } from "./graph.js";
import { UNKNOWN, type Attrs, type Deps, type Live, type Outputs, type Resource, type Target } from "./types.js";

export type Action = "noop" | "create" | "update" | "replace" | "delete";

export interface FieldDiff { field: string; before: unknown; after: unknown; forcesReplace?: boolean; downtime?: boolean }

export interface Change {
  key: string;
  kind: string;
  title: string;
  action: Action;
  id?: string;
  diffs: FieldDiff[];
}

export interface Plan { mode: "up" | "down"; changes: Change[] }

export type Observed = ReadonlyMap<string, Live | undefined>;

/** Stable JSON (sorted keys) so that attribute order never shows up as a diff. */
export const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );

const hasUnknown = (v: unknown): boolean => canonical(v)?.includes(UNKNOWN) ?? false;

/** Field-level differences between what the spec wants and what AWS has. */
export function diffAttrs(resource: Resource, want: Attrs, have: Attrs): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const [field, after] of Object.entries(want)) {
    const before = have[field];
    if (!hasUnknown(after) && canonical(after) === canonical(before)) continue;
    if (before === undefined && resource.unreportedIsInSync?.includes(field)) continue;
    diffs.push({
      field,
      before,
      after,
      ...(resource.replaceOn?.includes(field) ? { forcesReplace: true } : {}),
      ...(resource.downtimeOn?.includes(field) ? { downtime: true } : {}),
    });
  }
  return diffs;
}

const unknownOutputs: Outputs = new Proxy({}, { get: (_t, p) => (typeof p === "string" ? UNKNOWN : undefined) });

/** Looks up a dependency's outputs, UNKNOWN for one that will be (re)created. */
export function depsFrom(outputs: ReadonlyMap<string, Outputs>): Deps {
  return (key) => outputs.get(key) ?? unknownOutputs;
}

/** Decides what one resource needs, given its desired attributes and what was observed. */
export function decide(resource: Resource, want: Attrs, live: Live | undefined): Pick<Change, "action" | "diffs"> {
  if (!live) return { action: "create", diffs: Object.entries(want).map(([field, after]) => ({ field, before: undefined, after })) };
  if (live.assumedInSync) return { action: "noop", diffs: [] };
  const diffs = diffAttrs(resource, want, live.attrs);
  if (diffs.length === 0) return { action: "noop", diffs };
  const replace = diffs.some((d) => d.forcesReplace) || !resource.update;
  return { action: replace ? "replace" : "update", diffs };
}

/**
 * The plan for `up`: a pure function of the spec and the observations, in dependency order. Desired values
 * that depend on resources still to be created are UNKNOWN, so a replaced VPC forces its subnets' replacement.
 */
export function planUp(resources: readonly Resource[], spec: Target, observed: Observed): Plan {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const known = new Map<string, Outputs>();
  const changes: Change[] = [];
  for (const key of topoOrder(resources)) {
    const r = byKey.get(key)!;
    const live = observed.get(key);
    const { action, diffs } = decide(r, r.desired(spec, depsFrom(known)), live);
    if (live && (action === "noop" || action === "update")) known.set(key, live.outputs);
    changes.push({ key, kind: r.kind, title: r.title(spec), action, ...(live ? { id: live.id } : {}), diffs });
  }
  return { mode: "up", changes };
}

/** The plan for `down`: every observed resource deleted, dependents first. */
export function planDown(resources: readonly Resource[], spec: Target, observed: Observed): Plan {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const changes = topoOrder(resources).reverse().flatMap((key): Change[] => {
    const live = observed.get(key);
    const r = byKey.get(key)!;
    return live ? [{ key, kind: r.kind, title: r.title(spec), action: "delete", id: live.id, diffs: [] }] : [];
  });
  return { mode: "down", changes };
}

export function summarize(plan: Plan): Record<Exclude<Action, "noop">, number> {
  const count = (a: Action) => plan.changes.filter((c) => c.action === a).length;
  return { create: count("create"), update: count("update"), replace: count("replace"), delete: count("delete") };
}

export const hasChanges = (plan: Plan): boolean => plan.changes.some((c) => c.action !== "noop");
