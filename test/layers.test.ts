/**
 * The layers of src/ import one way: cli → stack → resources → aws, resources → engine, and nothing back up.
 * What both the AWS helpers and the engine use (the clock, shared reads) lives in shared/, below both.
 * A back edge (the engine reaching for an AWS client, a resource importing the stack, an AWS helper importing
 * the engine, the CLI reading an SDK error) fails this test.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { SpecSchema } from "../src/config/schema.js";
import { RESOURCES } from "../src/stack/resources.js";

const SRC = new URL("../../src/", import.meta.url).pathname;

/** What each folder (or top-level file) of src/ may import besides itself: only layers below it (skipping is fine). */
const ALLOWED: Record<string, string[]> = {
  "errors.ts": [],
  shared: ["errors.ts"],
  config: ["errors.ts"],
  engine: ["shared", "errors.ts"],
  cost: ["config", "errors.ts"],
  aws: ["config", "shared", "errors.ts"],
  state: ["aws", "config", "shared", "errors.ts"],
  resources: ["aws", "config", "engine", "shared", "errors.ts"],
  app: ["aws", "config", "engine", "shared", "errors.ts"],
  stack: ["resources", "app", "aws", "config", "engine", "shared", "state", "cost", "errors.ts"],
  // No "aws": the CLI speaks in the stack's terms (stack/failure.ts words an AWS error for it).
  cli: ["stack", "app", "engine", "config", "shared", "state", "cost", "errors.ts"],
};

const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith(".ts") ? [join(dir, f)] : []));
const layerOf = (path: string) => relative(SRC, path).split("/")[0]!;

/** Every import specifier of a file, static or dynamic, type-only included. */
const importsOf = (file: string) => [...readFileSync(file, "utf8").matchAll(/(?:from\s+|import\()\s*"([^"]+)"/g)].map((m) => m[1]!);

type Edge = { file: string; from: string; spec: string };

/** The imports that go against the layers, in words. */
const backEdges = (edges: Edge[]) => edges.filter((e) => e.spec.startsWith(".")).flatMap((e) => {
  const to = layerOf(resolve(dirname(join(SRC, e.file)), e.spec.replace(/\.js$/, ".ts")));
  return to === e.from || ALLOWED[e.from]!.includes(to) ? [] : [`${e.file} imports ${e.spec} (${e.from} → ${to})`];
});

describe("layers", () => {
  const edges: Edge[] = files(SRC).flatMap((file) => importsOf(file).map((spec) => ({ file: relative(SRC, file), from: layerOf(file), spec })));

  it("every import stays inside its layer or goes down", () => {
    assert.ok(edges.length > 100, `${edges.length} imports read`);
    assert.deepEqual(backEdges(edges), []);
  });

  it("the AWS helpers import nothing of the engine; the CLI no AWS helper", () => {
    assert.deepEqual(edges.filter((e) => (e.from === "aws" && e.spec.includes("/engine/")) || (e.from === "cli" && e.spec.includes("/aws/"))).map((e) => `${e.file}: ${e.spec}`), []);
  });

  it("the engine imports no AWS SDK; the CLI sends no AWS call", () => {
    const sdk = edges.filter((e) => e.spec.startsWith("@aws-sdk/") && (e.from === "engine" || e.from === "cli")).map((e) => `${e.file}: ${e.spec}`);
    assert.deepEqual(sdk, []);
  });

  it("the CLI names no resource by its key", () => {
    const spec = { ...SpecSchema.parse({}), availabilityZones: ["a", "b"] as [string, string], asleep: { service: false, database: false } };
    assert.equal(RESOURCES.length, new Set(RESOURCES.map((r) => r.key)).size);
    const cli = files(join(SRC, "cli")).map((f) => [relative(SRC, f), readFileSync(f, "utf8")] as const);
    const literals = RESOURCES.flatMap((r) => cli.filter(([, text]) => text.includes(`"${r.key}"`)).map(([f]) => `${f}: "${r.key}" (${r.title(spec)})`));
    assert.deepEqual(literals, []);
  });

  it("the check can fail: back edges are reported", () => {
    assert.deepEqual(backEdges([
      { file: "engine/apply.ts", from: "engine", spec: "../resources/vpc.js" },
      { file: "resources/vpc.ts", from: "resources", spec: "../stack/stack.js" },
      { file: "aws/ec2.ts", from: "aws", spec: "../resources/context.js" },
      { file: "aws/ecs.ts", from: "aws", spec: "../engine/types.js" },
      { file: "cli/main.ts", from: "cli", spec: "../aws/errors.js" },
    ]), [
      "engine/apply.ts imports ../resources/vpc.js (engine → resources)",
      "resources/vpc.ts imports ../stack/stack.js (resources → stack)",
      "aws/ec2.ts imports ../resources/context.js (aws → resources)",
      "aws/ecs.ts imports ../engine/types.js (aws → engine)",
      "cli/main.ts imports ../aws/errors.js (cli → aws)",
    ]);
  });
});
