import { SpecSchema } from "../config/schema.js";
import type { RefFn } from "../engine/types.js";
import type { DesiredStack } from "../resources/context.js";
import { ALL_RESOURCES, type StackResourceOfAnyKind } from "./resources.js";

/**
 * The drift table, from the resources themselves: what each compares is what its `desired` returns (observe
 * reads every one of those fields back), what `up` leaves alone is its `leftAlone`, what it replaces its
 * `replaceOn`, what it does not compare its `ignored`. The README's table is this, rendered
 * (test/drift.test.ts checks it), and the drift tests are generated from the same rows, so a new field
 * cannot be left uncompared, undocumented or untested.
 */
export interface DriftRow {
  kind: string;
  /** The stack's resources of this kind with these fields (three security groups, four schedules). */
  keys: string[];
  compared: string[];
  /** Repaired by a new resource (AWS cannot change it in place). */
  replaced: string[];
  leftAlone: Record<string, string>;
  /** Repaired one way only, and what `up` says otherwise. */
  limits: Record<string, string>;
  ignored: Record<string, string>;
}

/** Specs that want every kind and every field: https with a hosted zone, a schedule, on Fargate and on Spot. */
const EVERY_KIND: DesiredStack[] = ["FARGATE", "FARGATE_SPOT"].map((capacity) => ({
  ...SpecSchema.parse({ https: { domain: "api.example.com" }, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" }, app: { capacity } }),
  availabilityZones: ["us-east-1a", "us-east-1b"],
  asleep: { service: false, database: false },
  hostedZone: { id: "Z1", name: "example.com" },
}));

const anyOutputs = new Proxy({}, { get: (_t, p) => (typeof p === "string" ? "x" : undefined) });

/** The fields a resource compares: what its `desired` returns, for any spec. */
export const comparedFields = (r: StackResourceOfAnyKind): string[] =>
  [...new Set(EVERY_KIND.flatMap((spec) => Object.keys(r.desired(spec, (() => anyOutputs) as RefFn))))];

export function driftTable(resources: readonly StackResourceOfAnyKind[] = ALL_RESOURCES): DriftRow[] {
  const rows = new Map<string, DriftRow>();
  for (const r of resources) {
    const compared = comparedFields(r);
    const id = `${r.kind} ${compared.join(",")}`;
    const row = rows.get(id);
    if (row) row.keys.push(r.key);
    else rows.set(id, { kind: r.kind, keys: [r.key], compared, replaced: [...(r.replaceOn ?? [])], leftAlone: { ...r.leftAlone } as Record<string, string>,
      limits: { ...r.repairLimits } as Record<string, string>, ignored: { ...r.ignored },
    });
  }
  return [...rows.values()];
}

const code = (fields: string[]) => fields.map((f) => `\`${f}\``).join(", ");
const why = (reasons: Record<string, string>) => Object.entries(reasons).map(([f, reason]) => `\`${f}\`: ${reason}`).join("; ") || "-";

/** The README's drift table (between its drift-table markers), one line per row. */
export function driftTableMarkdown(rows: DriftRow[] = driftTable()): string {
  const lines = rows.map((r) => {
    const repaired = r.compared.filter((f) => !(f in r.leftAlone)).map((f) => {
      const how = r.replaced.includes(f) ? `new ${r.kind.split(":")[1]}` : r.limits[f];
      return `\`${f}\`${how ? ` (${how})` : ""}`;
    }).join(", ");
    return `| ${r.kind} (${r.keys.join(", ")}) | ${code(r.compared)} | ${repaired} | ${why(r.leftAlone)} | ${why(r.ignored)} |`;
  });
  return ["| kind (resources) | compared | `up` repairs | reported, left alone (why) | ignored (why) |", "| --- | --- | --- | --- | --- |", ...lines].join("\n");
}
