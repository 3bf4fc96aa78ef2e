import { graphOf, type Change, type Plan } from "../engine/plan.js";
import type { AnyResource, EngineCtx } from "../engine/types.js";

const STATUS: Record<Change["action"], string> = { noop: "in sync", create: "to create", update: "drifted", replace: "to replace", delete: "to delete" };
const FILL: Record<Change["action"], string> = { noop: "#e6f4ea", create: "#e8f0fe", update: "#fef7e0", replace: "#fce8e6", delete: "#fce8e6" };

const mermaidId = (key: string) => key.replace(/[^A-Za-z0-9_]/g, "_");

/** The dependency graph as Mermaid (pastes into a GitHub comment) or DOT, arrows from a resource to what needs it. */
export function renderGraph<S>(resources: readonly AnyResource<EngineCtx, S>[], spec: S, plan: Plan, format: "mermaid" | "dot"): string {
  const change = new Map(plan.changes.map((c) => [c.key, c]));
  const edges = graphOf(resources, spec).flatMap((n) => n.dependsOn.map((d) => [d, n.key] as const));
  if (format === "dot") {
    return [
      "digraph spontime {",
      "  rankdir=LR;",
      "  node [shape=box, style=\"rounded,filled\", fontname=Helvetica];",
      ...resources.map((r) => {
        const c = change.get(r.key)!;
        return `  "${r.key}" [label="${c.title.replace(/"/g, "'")}\\n${STATUS[c.action]}", fillcolor="${FILL[c.action]}"];`;
      }),
      ...edges.map(([from, to]) => `  "${from}" -> "${to}";`),
      "}",
    ].join("\n");
  }
  return [
    "graph LR",
    ...resources.map((r) => {
      const c = change.get(r.key)!;
      return `  ${mermaidId(r.key)}["${c.title.replace(/"/g, "'")}<br/><i>${STATUS[c.action]}</i>"]:::${c.action}`;
    }),
    ...edges.map(([from, to]) => `  ${mermaidId(from)} --> ${mermaidId(to)}`),
    ...Object.entries(FILL).map(([action, fill]) => `  classDef ${action} fill:${fill},stroke:#888`),
  ].join("\n");
}
