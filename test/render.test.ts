/**
 * Plans people can read (issue 25 §4): one rendering test per diff form (scalar, nested path, policy document,
 * sensitive, collapsed tags), the same structured diff in `plan --json`, and one app setting in 5 lines.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { Output } from "../src/cli/output.js";
import { planJson, renderPlan } from "../src/cli/render.js";
import { planUp, type Change, type Plan } from "../src/engine/plan.js";
import type { AnyResource, EngineCtx, Live } from "../src/engine/types.js";
import { withHarness } from "./helpers.js";

function rendered(plan: Plan): string[] {
  let text = "";
  const out = new Output({ stdout: { write: (s: string) => (text += s) }, stderr: { write: () => true }, stdin: new PassThrough(), env: { NO_COLOR: "1" } });
  renderPlan(out, plan);
  return text.trimEnd().split("\n");
}

/** One resource kind with the given desired attributes, planned against what AWS has (`live`). */
function planOf(want: Record<string, unknown>, live: Record<string, unknown>, options: { secrets?: string[]; replaceOn?: string[] } = {}): Plan {
  const r: AnyResource<EngineCtx, object> = {
    key: "r", kind: "t", title: () => "thing", replaceOn: options.replaceOn ?? [], update: async () => {},
    desired: () => want, observe: async () => undefined, create: async () => ({ id: "", outputs: {} }), delete: async () => {},
  };
  return planUp([r], {}, new Map<string, Live>([["r", { id: "r-1", state: "ready", attrs: live, outputs: {} }]]), options.secrets);
}

describe("plans people can read", () => {
  it("a scalar: field: old → new, strings quoted, with what it forces", () => {
    assert.deepEqual(rendered(planOf({ retentionDays: 14, name: "b" }, { retentionDays: 7, name: "a" }, { replaceOn: ["name"] })), [
      "-/+ thing  r-1",
      "      retentionDays: 7 → 14",
      "      name: \"a\" → \"b\" (forces replacement)",
      "Plan: 0 to create, 0 to update, 1 to replace, 0 to delete.",
    ]);
  });

  it("a nested value: its path, down to the value that changed", () => {
    const lines = rendered(planOf({ container: { environment: { DEBUG: "True", HOSTS: "a" }, port: 8000 } }, { container: { environment: { DEBUG: "False", HOSTS: "a" }, port: 8000 } }));
    assert.deepEqual(lines, ["  ~ thing  r-1", "      container.environment.DEBUG: \"False\" → \"True\"", "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."]);
  });

  it("a policy document: a unified line diff of the changed statement, keys in a stable order", () => {
    const policy = (actions: string[]) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Logs", Effect: "Allow", Resource: "*", Action: actions }, { Sid: "Pull", Effect: "Allow", Resource: "*", Action: ["ecr:GetAuthorizationToken"] }] });
    const lines = rendered(planOf({ policy: policy(["logs:CreateLogStream", "logs:PutLogEvents"]) }, { policy: policy(["logs:CreateLogStream"]) }));
    assert.deepEqual(lines.slice(0, 2), ["  ~ thing  r-1", "      policy:"]);
    const body = lines.slice(2, -1);
    assert.deepEqual(body.filter((l) => /^\s+[-+] /.test(l)), ["        -         \"logs:CreateLogStream\"", "        +         \"logs:CreateLogStream\",", "        +         \"logs:PutLogEvents\""]);
    assert.ok(body.some((l) => l.trim() === "…"), "unchanged lines far from the change are left out");
    assert.ok(body.length < 12, `a few lines, not the whole document:\n${body.join("\n")}`);
  });

  it("a secret: (sensitive), in the text and in --json, never its value", () => {
    const plan = planOf({ environment: { SECRET_KEY: "s3cr3t-new", DEBUG: "True" } }, { environment: { SECRET_KEY: "old-s3cr3t", DEBUG: "True" } }, { secrets: ["s3cr3t-new", "old-s3cr3t"] });
    assert.deepEqual(rendered(plan).slice(1, 2), ["      environment.SECRET_KEY: (sensitive) → (sensitive)"]);
    const json = planJson(plan);
    assert.deepEqual(json.changes[0]!.diffs, [{ field: "environment", path: "environment.SECRET_KEY", before: "(sensitive)", after: "(sensitive)", forcesReplace: false, sensitive: true }]);
    assert.ok(!JSON.stringify(json).includes("s3cr3t"));
  });

  it("the same tag change on many resources: one line; the tool's own bookkeeping tags never shown", () => {
    const change = (key: string): Change => ({
      key, kind: "t", title: key, action: "update", id: `${key}-1`, assumed: { fields: {} }, planned: {},
      diffs: [
        { field: "tags", path: "tags.team", before: undefined, after: "api" },
        { field: "tags", path: "tags.spontime:user-tags", before: undefined, after: "team" },
      ],
    });
    const lone: Change = { ...change("log-group"), diffs: [...change("log-group").diffs, { field: "retentionDays", path: "retentionDays", before: 7, after: 14 }] };
    const plan: Plan = { mode: "up", changes: [...Array.from({ length: 21 }, (_, i) => change(`r${i}`)), lone] };
    assert.deepEqual(rendered(plan), [
      "  ~ log-group  log-group-1",
      "      retentionDays: 7 → 14",
      "  ~ tags on 22 resources: + team = \"api\"",
      "Plan: 0 to create, 22 to update, 0 to replace, 0 to delete.",
    ]);
    assert.ok(!JSON.stringify(planJson(plan)).includes("spontime:user-tags"), "--json hides it too");
  });

  it("plan --json carries the structured diff; debug off fits in 5 lines of plan, and its bill stays the same", async () => {
    await withHarness(async (h) => {
      await h.up();
      await h.deploy("v1");
      const spec = h.writeSpec({ app: { debug: false } });
      const text = await h.cli(["plan", "--config", spec]);
      const lines = text.stdout.trimEnd().split("\n");
      assert.match(lines.pop()!, /^Monthly cost: ~\$50 → ~\$50 \(no change\)/);
      assert.ok(lines.length <= 5, `${lines.length} lines:\n${text.stdout}`);
      assert.match(text.stdout, /environment\.DEBUG: "True" → "False"/);
      const json = JSON.parse((await h.cli(["plan", "--json", "--config", spec])).stdout) as ReturnType<typeof planJson>;
      const td = json.changes.find((c) => c.key === "task-definition")!;
      assert.deepEqual(td.diffs.map((d) => [d.path, d.before, d.after, d.forcesReplace]), [["environment.DEBUG", "True", "False", true]]);
    });
  });
});
