import { TAG_ASLEEP, TAG_USER_KEYS } from "../config/names.js";
import type { Change, FieldDiff, Plan } from "../engine/plan.js";
import { canonical, leftAlone, SENSITIVE, summarize } from "../engine/plan.js";
import { UNKNOWN } from "../engine/types.js";
import type { Output } from "./output.js";

const SYMBOL = { create: "+", update: "~", replace: "-/+", delete: "-", noop: " " } as const;
const COLOR = { create: "green", update: "yellow", replace: "magenta", delete: "red", noop: "dim" } as const;

/** ARNs are long; their last part is what a person looks for in the console. */
export const shortId = (id: string | null | undefined) => (id?.startsWith("arn:") ? id.split(/[:/]/).slice(-2).join("/") : id ?? "-");

/** Tags that are the tool's own bookkeeping (which tag keys are the user's; "asleep", beside the count it explains): never shown. */
const internal = (d: FieldDiff) => [`tags.${TAG_USER_KEYS}`, `tags.${TAG_ASLEEP}`].includes(d.path);

/** Values as JSON writes them (strings quoted), except the plan's own words: (none), (sensitive), (known after apply). */
const show = (v: unknown): string => (v === undefined ? "(none)" : v === UNKNOWN || v === SENSITIVE ? v : JSON.stringify(v));

/** A JSON document inside a string (an IAM policy as AWS returns it), or a value as it stands. */
const asDocument = (v: unknown): unknown => {
  if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

/** Lines of a document (keys sorted, so that order never shows as a change); undefined for a scalar. */
function documentLines(v: unknown): string[] | undefined {
  const doc = asDocument(v);
  if (!doc || typeof doc !== "object") return undefined;
  return JSON.stringify(JSON.parse(canonical(doc)), null, 2).split("\n");
}

/** Documents longer than this on one line (either side) show as a line diff. */
const DOCUMENT_CHARS = 100;
/** Unchanged lines kept around each change of a line diff. */
const CONTEXT = 2;

/** A unified line diff (longest common subsequence; documents here are tens of lines): `  `, `- ` or `+ ` per line. */
export function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  const common: number[][] = Array.from({ length: before.length + 1 }, () => new Array<number>(after.length + 1).fill(0));
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: string[] = [];
  let [i, j] = [0, 0];
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) lines.push(`  ${before[i++]}`), j++;
    else if (i < before.length && (j === after.length || common[i + 1]![j]! >= common[i]![j + 1]!)) lines.push(`- ${before[i++]}`);
    else lines.push(`+ ${after[j++]}`);
  }
  // Only the changes and CONTEXT lines around them; "…" where unchanged lines are left out.
  const near = (k: number) => lines.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some((l) => !l.startsWith("  "));
  return lines.flatMap((l, k) => (near(k) ? [l] : near(k - 1) ? ["  …"] : []));
}

function fieldLines(d: FieldDiff, action: Change["action"]): string[] {
  const note = d.leftAlone ? ` (left alone: ${d.leftAlone})` : d.forcesReplace ? ` (forces replacement${d.note ? `: ${d.note}` : ""})` : d.downtime ? " (brief downtime)" : d.note ? ` (${d.note})` : "";
  if (action === "create") return [`      ${d.path}: ${show(d.after)}`];
  const [before, after] = [documentLines(d.before), documentLines(d.after)];
  if ([d.before, d.after].some((v) => (before || after) && JSON.stringify(asDocument(v) ?? null).length > DOCUMENT_CHARS)) {
    return [`      ${d.path}:${note}`, ...lineDiff(before ?? [show(d.before)], after ?? [show(d.after)]).map((l) => `        ${l}`)];
  }
  return [`      ${d.path}: ${show(d.before)} → ${show(d.after)}${note}`];
}

/** One line for a tag change: `+ team = "api"`, `- team = "api"`, `~ team: "api" → "core"`. */
function tagLine(d: FieldDiff): string {
  const key = d.path.slice("tags.".length);
  if (d.before === undefined) return `+ ${key} = ${show(d.after)}`;
  if (d.after === undefined) return `- ${key} = ${show(d.before)}`;
  return `~ ${key}: ${show(d.before)} → ${show(d.after)}`;
}

/**
 * The same tag change on several resources (a user tag added to the spec), once: `tags on 22 resources: + team = "api"`.
 * Returns those lines and the diffs they stand for.
 */
function collapsedTags(changes: readonly Change[]): { lines: string[]; covered: Set<FieldDiff> } {
  const groups = new Map<string, FieldDiff[]>();
  for (const c of changes) {
    if (c.action !== "update") continue;
    for (const d of c.diffs) {
      if (d.field !== "tags" || internal(d)) continue;
      const line = tagLine(d);
      groups.set(line, [...(groups.get(line) ?? []), d]);
    }
  }
  const many = [...groups].filter(([, ds]) => ds.length > 1);
  return { lines: many.map(([line, ds]) => `  ~ tags on ${ds.length} resources: ${line}`), covered: new Set(many.flatMap(([, ds]) => ds)) };
}

/**
 * Terraform-style: a symbol per change, its changed fields (`path: old → new`, long documents as a line diff,
 * secrets as "(sensitive)"), one line per tag change shared by many resources, and a summary line.
 */
export function renderPlan(out: Output, plan: Plan, options: { verbose?: boolean; driftChecked?: boolean } = {}): void {
  const tags = collapsedTags(plan.changes);
  for (const c of plan.changes) {
    // Drift `up` leaves alone (deletion protection turned on by hand) shows on an otherwise unchanged resource as `!`.
    const reported = c.action === "noop" && c.diffs.length > 0;
    if (c.action === "noop" && !reported && !options.verbose) continue;
    const diffs = c.diffs.filter((d) => !internal(d) && !tags.covered.has(d));
    // Only tag changes that the collapsed lines already say.
    if (c.action === "update" && !diffs.length && c.diffs.some((d) => tags.covered.has(d)) && !c.duplicates?.length) continue;
    const id = c.id && !c.title.includes(c.id) ? out.paint("dim", `  ${shortId(c.id)}`) : "";
    const takes = c.action === "delete" && c.takes ? ` (and ${c.takes})` : "";
    out.out(out.paint(reported ? "yellow" : COLOR[c.action], `${(reported ? "!" : SYMBOL[c.action]).padStart(3)} ${c.title}${id}${takes}`));
    if (c.action === "update" || c.action === "replace" || reported || (options.verbose && c.action === "create")) {
      for (const d of diffs) for (const line of fieldLines(d, c.action)) out.out(line);
    }
    for (const id of c.duplicates ?? []) out.out(out.paint(COLOR.delete, `  - ${c.title}: duplicate ${shortId(id)} (left by a retried create or a second state directory)`));
  }
  for (const line of tags.lines) out.out(out.paint(COLOR.update, line));
  for (const note of plan.notes ?? []) out.out(out.paint(COLOR.update, `  ${note}`));
  const s = summarize(plan);
  const unchanged = plan.changes.filter((c) => c.action === "noop").length;
  const kept = leftAlone(plan).length;
  out.out(`Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete${unchanged ? ` (${unchanged} unchanged)` : ""}${kept ? `; ${kept} drifted field${kept === 1 ? "" : "s"} left alone` : ""}${options.driftChecked === false ? "; live drift not checked (state file only)" : ""}.`);
}

/** The stable `--json` shape of a plan: each change with its structured diff (path, before, after, forcesReplace). */
export const planJson = (plan: Plan) => ({
  mode: plan.mode,
  summary: summarize(plan),
  notes: plan.notes ?? [],
  changes: plan.changes.map((c) => ({
    key: c.key, kind: c.kind, title: c.title, action: c.action, id: c.id ?? null,
    diffs: c.diffs.filter((d) => !internal(d)).map((d) => ({ ...d, forcesReplace: d.forcesReplace ?? false })),
    duplicates: c.duplicates ?? [], ...(c.refused ? { refused: c.refused } : {}),
  })),
});
