import type { Change, FieldDiff, Plan } from "../engine/plan.js";
import { leftAlone, summarize } from "../engine/plan.js";
import type { Output } from "./output.js";

const SYMBOL = { create: "+", update: "~", replace: "-/+", delete: "-", noop: " " } as const;
const COLOR = { create: "green", update: "yellow", replace: "magenta", delete: "red", noop: "dim" } as const;

/** ARNs are long; their last part is what a person looks for in the console. */
export const shortId = (id: string | null | undefined) => (id?.startsWith("arn:") ? id.split(/[:/]/).slice(-2).join("/") : id ?? "-");

const show = (v: unknown): string => (v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v));

function fieldLine(d: FieldDiff, action: Change["action"]): string {
  const note = d.leftAlone ? ` (left alone: ${d.leftAlone})` : d.forcesReplace ? ` (forces replacement${d.note ? `: ${d.note}` : ""})` : d.downtime ? " (brief downtime)" : d.note ? ` (${d.note})` : "";
  return action === "create" ? `      ${d.path}: ${show(d.after)}` : `      ${d.path}: ${show(d.before)} → ${show(d.after)}${note}`;
}

/** Terraform-style: a symbol per change, fields for updates and replacements, a summary line. */
export function renderPlan(out: Output, plan: Plan, options: { verbose?: boolean; driftChecked?: boolean } = {}): void {
  for (const c of plan.changes) {
    // Drift `up` leaves alone (deletion protection turned on by hand) shows on an otherwise unchanged resource as `!`.
    const reported = c.action === "noop" && c.diffs.length > 0;
    if (c.action === "noop" && !reported && !options.verbose) continue;
    const id = c.id && !c.title.includes(c.id) ? out.paint("dim", `  ${shortId(c.id)}`) : "";
    const head = `${(reported ? "!" : SYMBOL[c.action]).padStart(3)} ${c.title}${id}`;
    out.out(out.paint(reported ? "yellow" : COLOR[c.action], head));
    if (c.action === "update" || c.action === "replace" || reported || (options.verbose && c.action === "create")) {
      for (const d of c.diffs) out.out(fieldLine(d, c.action));
    }
    for (const id of c.duplicates ?? []) out.out(out.paint(COLOR.delete, `  - ${c.title}: duplicate ${shortId(id)} (left by a retried create or a second state directory)`));
  }
  const s = summarize(plan);
  const unchanged = plan.changes.filter((c) => c.action === "noop").length;
  const kept = leftAlone(plan).length;
  out.out(`\nPlan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete${unchanged ? ` (${unchanged} unchanged)` : ""}${kept ? `; ${kept} drifted field${kept === 1 ? "" : "s"} left alone` : ""}${options.driftChecked === false ? "; live drift not checked (state file only)" : ""}.`);
}

/** The stable `--json` shape of a plan. */
export const planJson = (plan: Plan) => ({
  mode: plan.mode,
  summary: summarize(plan),
  changes: plan.changes.map((c) => ({
    key: c.key, kind: c.kind, title: c.title, action: c.action, id: c.id ?? null, diffs: c.diffs, duplicates: c.duplicates ?? [], ...(c.refused ? { refused: c.refused } : {}),
  })),
});
