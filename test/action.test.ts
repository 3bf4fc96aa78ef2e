import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { runAction } from "../src/cli/action.js";
import { APP, Harness, TEST_ENV } from "./helpers.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const ACTION = readFileSync(join(ROOT, "action.yml"), "utf8");

/** The lines of a top-level (or nested, by indent) block of action.yml, e.g. `inputs:` or `    env:`. */
function block(text: string, header: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l === header);
  assert.ok(start >= 0, `action.yml has ${header.trim()}`);
  const indent = header.length - header.trimStart().length;
  const end = lines.findIndex((l, i) => i > start && l.trim() !== "" && l.length - l.trimStart().length <= indent);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}
const keysAt = (lines: string[], indent: number) => lines.filter((l) => new RegExp(`^ {${indent}}[a-z-]+:`).test(l)).map((l) => l.trim().split(":")[0]!);

const inputs = keysAt(block(ACTION, "inputs:"), 2);
const defaults = Object.fromEntries(inputs.map((name) => {
  const lines = block(ACTION, "inputs:");
  const at = lines.indexOf(`  ${name}:`);
  const next = lines.findIndex((l, i) => i > at && /^ {2}\S/.test(l));
  const d = lines.slice(at, next < 0 ? undefined : next).find((l) => l.trim().startsWith("default:"));
  return [name, d ? d.trim().slice("default:".length).trim().replace(/^"(.*)"$/, "$1") : ""];
}));

/** The action's environment as the runner builds it for a JavaScript action: INPUT_<NAME> for every input, hyphens kept, defaults filled in. */
function stepEnv(given: Record<string, string>): NodeJS.ProcessEnv {
  return Object.fromEntries(inputs.map((name) => [`INPUT_${name.toUpperCase()}`, given[name] ?? defaults[name]]));
}

/** What a workflow step reads back from $GITHUB_OUTPUT (name=value and name<<DELIMITER forms). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (lines[i]!.includes("=")) out[lines[i]!.split("=")[0]!] = lines[i]!.slice(lines[i]!.indexOf("=") + 1);
  }
  return out;
}

describe("action.yml", () => {
  it("is a JavaScript action run by the runner's Node from the committed bundle: nothing installed, the job's Node left alone", () => {
    assert.match(ACTION, /^runs:\n {2}using: node24\n {2}main: dist\/action\/index\.js\n/m);
    assert.doesNotMatch(ACTION.replace(/^#.*$/gm, ""), /setup-node|npm (ci|i|install)\b|npx|steps:/);
    for (const name of ["tag", "migrate", "app-name", "aws-region", "config", "timeout", "health-timeout"]) assert.ok(inputs.includes(name), name);
    assert.match(block(ACTION, "inputs:").join("\n"), /^ {2}tag:\n(?: {4}.*\n)*? {4}required: true$/m);
    assert.deepEqual(keysAt(block(ACTION, "outputs:"), 2), ["url", "task-definition-arn", "image"]);
    const read = [...readFileSync(join(ROOT, "src/cli/action.ts"), "utf8").matchAll(/input\("([a-z-]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(read)].sort(), [...inputs].sort(), "every input declared is read, every input read is declared");
  });
});

describe("the action's deploy step, run as the runner runs it, against the fake", () => {
  let h: Harness;
  let workspace: string;
  beforeEach(() => { h = new Harness(); workspace = mkdtempSync(join(h.dir, "workspace-")); });
  afterEach(() => h.close());

  /** The caller's repository holds the stack's spec, as the CLI finds it. */
  const workspaceSpec = (spec: object) => writeFileSync(join(workspace, "spontime.config.json"), JSON.stringify(spec));

  async function runStep(given: Record<string, string>) {
    const output = join(h.dir, "github_output");
    writeFileSync(output, "");
    let stdout = "";
    let stderr = "";
    const env = { ...TEST_ENV, ...stepEnv(given), GITHUB_OUTPUT: output, RUNNER_TEMP: h.dir, GITHUB_WORKSPACE: workspace, CI: "true" };
    const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: Object.assign(new PassThrough(), { isTTY: false }), env };
    const code = await h.clock.run(() => runAction(env, { io, clock: h.clock, signal: new AbortController().signal, http: (url) => h.fake.httpGet(url) }));
    return { code, stdout, stderr, outputs: readOutputs(output) };
  }

  it("deploys the tag, runs the migration first, and sets url, task-definition-arn and image", async () => {
    await h.up();
    h.fake.pushImage(APP, "abc123");
    h.resetCalls();
    const r = await runStep({ tag: "abc123", migrate: "python manage.py migrate --noinput", "app-name": APP, "aws-region": "us-east-1" });
    assert.equal(r.code, 0, r.stderr);
    const service = [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
    assert.deepEqual(r.outputs, {
      url: JSON.parse(r.stdout).url,
      "task-definition-arn": service.taskDefinition,
      image: h.fake.ecs.taskDefs.get(service.taskDefinition)!.def.containerDefinitions![0]!.image!,
    });
    assert.match(r.outputs.image!, /\/spontime-poc:abc123$/);
    assert.match(r.outputs.url!, /^http:\/\/spontime-poc-alb/);
    const ops = h.fake.mutatingCalls().map((c) => c.op);
    assert.ok(ops.indexOf("RunTask") >= 0 && ops.indexOf("RunTask") < ops.indexOf("UpdateService"), "migration before the rollout");
    const spec = readdirSync(h.dir).find((f) => f.startsWith("spontime-"));
    assert.deepEqual(JSON.parse(readFileSync(join(h.dir, spec!, "spontime.config.json"), "utf8")), { appName: APP }, "the app-name spec is written under RUNNER_TEMP, not the workspace");
  });

  it("a config input is the spec; a failure fails the step with the CLI's JSON document and sets no url", async () => {
    await h.up();
    const config = join(h.dir, "other.json");
    writeFileSync(config, JSON.stringify({ appName: "other-app" }));
    h.fake.pushImage(APP, "v1");
    const r = await runStep({ tag: "v1", config });
    assert.notEqual(r.code, 0);
    assert.equal(JSON.parse(r.stdout).outcome, "failed");
    assert.match(r.stdout + r.stderr, /other-app/, "the config's app name was used, not the default");
    assert.deepEqual(r.outputs, {});
  });

  it("reads the workspace's spec as the CLI does: an http stack is checked at http://, an https stack at https://<domain>", async () => {
    workspaceSpec({});
    await h.up();
    h.fake.pushImage(APP, "v1");
    const http = await runStep({ tag: "v1" });
    assert.equal(http.code, 0, http.stderr);
    assert.match(http.outputs.url!, /^http:\/\/spontime-poc-alb/);
    h.fake.createHostedZone("example.com");
    workspaceSpec({ https: { domain: "api.example.com" } });
    assert.equal((await h.cli(["up", "--yes", "--config", join(workspace, "spontime.config.json")])).code, 0);
    h.fake.pushImage(APP, "v2");
    const https = await runStep({ tag: "v2" });
    assert.equal(https.code, 0, https.stderr);
    assert.equal(https.outputs.url, "https://api.example.com");
    assert.match(https.stdout, /"healthy"|https:\/\/api\.example\.com/);
  });

  it("a bad input is named as the input, with an ::error:: annotation, before any AWS call", async () => {
    const r = await runStep({ tag: "v1", "app-name": "Bad_Name" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^::error title=spontime-infra: input app-name::"Bad_Name" must be 2-24 characters/m);
    assert.doesNotMatch(r.stderr, /spontime\.config\.json|spontime-[A-Za-z0-9]{6}/, "no temporary file the user never wrote");
    workspaceSpec({});
    const both = await runStep({ tag: "v1", "app-name": APP });
    assert.match(both.stderr, /^::error title=spontime-infra: input app-name::the workspace has spontime\.config\.json/m);
    assert.equal(h.fake.calls.length, 0);
  });

  it("a failed deploy ends with an ::error:: annotation carrying the reason", async () => {
    await h.up();
    const r = await runStep({ tag: "never-pushed", "app-name": APP });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^::error title=spontime-infra deploy failed::\S.*never-pushed/m);
  });

  it("the committed bundle, run as the runner runs it, refuses an empty tag before any AWS call (exit 2)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "dist/action/index.js")], { cwd: h.dir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: h.dir, INPUT_TAG: " " } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /the action needs its `tag` input/);
  });
});

describe("nothing is fetched from a package registry by name", () => {
  const docs = [
    "action.yml", "README.md",
    ...readdirSync(join(ROOT, ".github/workflows")).map((f) => join(".github/workflows", f)),
    ...readdirSync(join(ROOT, "examples/github")).map((f) => join("examples/github", f)),
  ];
  for (const file of docs) {
    it(file, () => {
      const text = readFileSync(join(ROOT, file), "utf8");
      assert.doesNotMatch(text, /npx\s+(?:-\S+\s+)*["']?spontime-infra@/, "npx <name>@<version> installs whatever the registry holds under that name");
      assert.doesNotMatch(text, /npm\s+(?:i|install)\s+(?:-\S+\s+)*["']?spontime-infra\b/);
      if (file !== "README.md") assert.doesNotMatch(text, /npx\s+(?:-\S+\s+)*spontime-infra\b/, "outside this repository `npx spontime-infra` asks the registry");
    });
  }
});
