import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { main } from "../src/cli/main.js";
import { PRICES } from "../src/cost/estimate.js";
import { graphOf } from "../src/engine/plan.js";
import { RESOURCES } from "../src/stack/resources.js";
import { SpecSchema } from "../src/config/schema.js";
import { specJsonSchema } from "../src/cli/local-commands.js";
import { awsError } from "./fake/aws.js";
import { APP, Harness, TEST_ENV } from "./helpers.js";

const BIN = new URL("../../bin/spontime-infra", import.meta.url).pathname;

/** No credentials anywhere: no keys, and a HOME without ~/.aws. */
const noCredentials = () => ({ AWS_REGION: "us-east-1", NO_COLOR: "1", HOME: h.dir });

/** The real binary in `h.dir`, with a HOME of its own (the SDK reads profiles from process.env's HOME). */
function bin(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...argv, "--state-dir", h.stateDir], {
    cwd: h.dir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: h.dir, AWS_EC2_METADATA_DISABLED: "true", NO_COLOR: "1", ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

describe("cost", () => {
  it("the default stack comes within 2% of the figure computed by hand from aws-facts.md", async () => {
    // ALB 730 h × $0.0225, 3 public IPv4 × 730 h × $0.005, Fargate 0.25 vCPU × $0.04048 + 0.5 GB × $0.004445 per h,
    // RDS db.t4g.micro 730 h × $0.016, 20 GB × $0.115.
    const byHand = 730 * 0.0225 + 3 * 730 * 0.005 + 730 * (0.25 * 0.04048 + 0.5 * 0.004445) + 730 * 0.016 + 20 * 0.115; // $50.37
    const r = await h.cli(["cost", "--json"]);
    assert.equal(r.code, 0);
    const e = JSON.parse(r.stdout);
    assert.ok(Math.abs(e.total - byHand) / byHand < 0.02, `${e.total} vs ${byHand}`);
    assert.ok(e.lines.some((l: { monthly: unknown; item: string }) => l.monthly === "usage" && /CloudWatch Logs/.test(l.item)));
    const savings = Object.fromEntries(e.savings.map((s: { item: string; monthly: number }) => [s.item, s.monthly]));
    assert.equal(savings["ARM64 (Graviton) task"], 1.8);
    assert.equal(savings["already avoided: NAT gateway"], 32.85);
    assert.equal(e.asleepTotal, 26.03);
    const human = await h.cli(["cost"]);
    assert.match(human.stdout, /total before usage\s+\$50\.37/);
  });

  it("prices the DB classes a user would pick, and calls the total incomplete for any other", async () => {
    const spec = join(h.dir, "spec.json");
    const costOf = async (instanceClass: string) => {
      writeFileSync(spec, JSON.stringify({ database: { instanceClass } }));
      return JSON.parse((await h.cli(["cost", "--json", "--config", spec])).stdout);
    };
    const micro = (await costOf("db.t4g.micro")).total;
    for (const size of ["micro", "small", "medium", "large"]) {
      for (const family of ["t4g", "t3"]) {
        const e = await costOf(`db.${family}.${size}`);
        assert.equal(e.incomplete.length, 0, `db.${family}.${size}`);
        assert.equal(Math.round((e.total - micro) * 100), Math.round((PRICES.rdsHour[`db.${family}.${size}`]! - 0.016) * 730 * 100), `db.${family}.${size}`);
      }
    }
    for (const c of ["db.m7g.large", "db.m6g.large"]) assert.ok((await costOf(c)).total > micro + 100, c);
    const other = await costOf("db.r6g.xlarge");
    assert.equal(other.total, null, "no smaller total that leaves the database out");
    assert.deepEqual(other.incomplete, ["RDS db.r6g.xlarge hours"]);
    assert.match((await h.cli(["cost", "--config", spec])).stdout, /total before usage\s+incomplete: no price for RDS db\.r6g\.xlarge hours/);
  });

  it("says the estimate uses us-east-1 prices for another region, and plan shows it for creations", async () => {
    assert.match((await h.cli(["cost", "--region", "eu-west-1"])).stdout, /your region is eu-west-1, prices there differ/);
    assert.match((await h.cli(["plan"])).stdout, /Monthly estimate[\s\S]*total before usage/);
  });
});

describe("sleep and wake", () => {
  it("sleep stops the database and scales to 0; up keeps it asleep; wake starts it, restores the count and health-checks", async () => {
    await h.up();
    await h.deploy("v1");
    const svc = () => [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
    const db = () => h.fake.rds.instances.get(`${APP}-db`)!;

    h.resetCalls();
    const dry = await h.cli(["sleep", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(h.fake.mutatingCalls(), [], "--dry-run changes nothing");
    assert.match(dry.stdout, /~ ECS service .*\n\s+desiredCount: 1 → 0\n/);
    assert.match(dry.stdout, /~ RDS PostgreSQL .*\n\s+stopped: false → true\n/);

    const slept = await h.cli(["sleep"]);
    assert.equal(slept.code, 0, slept.stderr);
    assert.equal(db().status, "stopped");
    // The plan's changes and a one-line summary, not a row per resource in sync (issue 28 item 11).
    assert.match(slept.stdout, /Plan: 0 to create, 2 to update, 0 to replace, 0 to delete \(\d+ unchanged\)\./);
    assert.doesNotMatch(slept.stdout + slept.stderr, /in sync/);
    const done = slept.stderr.split("\n").filter((l) => /: done/.test(l));
    assert.deepEqual(done.map((l) => l.split(" ")[0]), ["ECS", "RDS"], `the two changes, the service before the database it uses:\n${slept.stderr}`);
    assert.equal(svc().desiredCount, 0);
    assert.match(slept.stdout, /after 7 days/);
    assert.match((await h.cli(["status"])).stdout, /State:\s+asleep/);
    assert.equal(JSON.parse((await h.cli(["cost", "--json"])).stdout).asleep, true);

    h.resetCalls();
    const up = await h.cli(["up", "--yes"]);
    assert.match(up.stderr, /The stack is asleep: `up` keeps it asleep/);
    assert.deepEqual(h.fake.mutatingCalls(), [], "up does not wake a sleeping stack");

    const woke = await h.cli(["wake"]);
    assert.equal(woke.code, 0, woke.stderr);
    assert.equal(db().status, "available");
    assert.equal(svc().desiredCount, 1);
    assert.match(woke.stdout, /Awake: http:\/\/\S+\/health answers 200/);
    assert.doesNotMatch((await h.cli(["status"])).stdout, /asleep/);
  });
});

describe("readable output", () => {
  it("colours on a terminal, none with NO_COLOR", async () => {
    await h.cli(["validate"]);
    const coloured = await h.cli(["plan"], { tty: true, env: { ...TEST_ENV, NO_COLOR: "" } });
    assert.match(coloured.stdout, /\x1b\[/, "a terminal gets colours");
    const plain = await h.cli(["plan"], { tty: true, env: { ...TEST_ENV, NO_COLOR: "1" } });
    assert.doesNotMatch(plain.stdout + plain.stderr, /\x1b\[/);
    assert.match(plain.stdout, /^\s+\+ VPC 10\.0\.0\.0\/16/m);
    assert.match(plain.stdout, /Plan: 22 to create, 0 to update, 0 to replace, 0 to delete\./);
  });

  it("--json of plan, status, outputs and cost parses", async () => {
    await h.up();
    for (const argv of [["plan", "--json"], ["status", "--json"], ["outputs", "--json"], ["cost", "--json"]]) {
      const r = await h.cli(argv);
      assert.equal(r.code, 0, `${argv[0]}: ${r.stderr}`);
      assert.doesNotThrow(() => JSON.parse(r.stdout), argv[0]);
    }
  });

  it("graph names every resource and every edge of the engine's DAG, with statuses", async () => {
    const mermaid = (await h.cli(["graph"])).stdout;
    const dot = (await h.cli(["graph", "--dot"])).stdout;
    const id = (k: string) => k.replace(/[^A-Za-z0-9_]/g, "_");
    const graph = graphOf(RESOURCES, { ...SpecSchema.parse({}), availabilityZones: ["us-east-1a", "us-east-1b"], asleep: { service: false, database: false } });
    for (const r of graph) {
      assert.match(mermaid, new RegExp(`^  ${id(r.key)}\\[".*to create</i>"\\]`, "m"), r.key);
      assert.match(dot, new RegExp(`^  "${r.key}" \\[label=".*\\\\nto create"`, "m"), r.key);
      for (const d of r.dependsOn) {
        assert.ok(mermaid.includes(`  ${id(d)} --> ${id(r.key)}\n`), `${d} --> ${r.key}`);
        assert.ok(dot.includes(`  "${d}" -> "${r.key}";`), `${d} -> ${r.key}`);
      }
    }
    const edges = graph.reduce((n, r) => n + r.dependsOn.length, 0);
    assert.equal(mermaid.split("\n").filter((l) => l.includes(" --> ")).length, edges);
    await h.up();
    assert.match((await h.cli(["graph"])).stdout, /in sync/);
  });

  it("--version, and --help with an example for every command", async () => {
    const version = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
    assert.equal((await h.cli(["--version"])).stdout.trim(), version);
    assert.equal(bin(["--version"]).stdout.trim(), version, "the bundle finds package.json too");
    for (const cmd of ["validate", "plan", "up", "down", "status", "outputs", "deploy", "run", "logs", "cost", "sleep", "wake", "graph", "init", "ci-policy", "schema"]) {
      const r = await h.cli([cmd, "--help"]);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, /Example:\n\s+\$ spontime-infra /, cmd);
    }
  });

  it("--debug prints each AWS call", async () => {
    const r = await h.cli(["status", "--debug"]);
    assert.match(r.stderr, /aws DescribeVpcs ok \d+ ms/);
  });
});

describe("init and schema", () => {
  it("init writes the defaults with a $schema that resolves beside it, and refuses to overwrite", async () => {
    const file = join(h.dir, "spontime.config.json");
    const r = await h.cli(["init", "--config", file]);
    assert.equal(r.code, 0, r.stderr);
    const written = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(written.$schema, "./spontime.schema.json");
    assert.deepEqual(JSON.parse(readFileSync(join(h.dir, written.$schema), "utf8")), specJsonSchema(), "outside the repository the schema is written beside the spec");
    assert.equal(written.database.instanceClass, "db.t4g.micro");
    assert.equal((await h.cli(["validate", "--config", file])).code, 0, "what init writes validates");
    writeFileSync(file, "{}");
    const again = await h.cli(["init", "--config", file]);
    assert.equal(again.code, 2);
    assert.equal(readFileSync(file, "utf8"), "{}");
  });
});

describe("plan as a drift check", () => {
  it("--detailed-exitcode without credentials is an error (exit 1), not a state-only plan that passes", async () => {
    const r = await h.cli(["plan", "--detailed-exitcode"], { env: noCredentials() });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /error: no AWS credentials found: cannot check the live stack for drift\n.*plan --offline/);
  });

  it("a mistyped profile is named, and fails the drift check too", () => {
    const r = bin(["plan", "--detailed-exitcode", "--profile", "prdo"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /AWS profile "prdo" does not exist/);
    const status = bin(["status"], { AWS_PROFILE: "prdo" });
    assert.equal(status.code, 2);
    assert.match(status.stderr, /AWS profile "prdo" does not exist \(--profile or AWS_PROFILE\)\n.*`aws configure --profile prdo`/);
  });

  it("--offline plans from the state file and says in its summary line that drift was not checked", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["plan", "--offline", "--detailed-exitcode"], { env: noCredentials() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Plan: 0 to create, 0 to update, 0 to replace, 0 to delete \(22 unchanged\); live drift not checked \(state file only\)\.$/m);
    assert.equal(JSON.parse((await h.cli(["plan", "--offline", "--json"])).stdout).driftChecked, false);
    assert.deepEqual(h.fake.calls, [], "--offline calls nothing, even with credentials");
  });

  it("with credentials the plan checks the live stack and says nothing about drift", async () => {
    const r = await h.cli(["plan", "--json"]);
    assert.equal(JSON.parse(r.stdout).driftChecked, true);
    assert.ok(h.fake.calls.length > 0);
    assert.doesNotMatch((await h.cli(["plan"])).stdout, /drift not checked/);
  });
});

describe("--json on every exit path", () => {
  it("AccessDenied at the read step: one JSON document with the code, message, request id and hint", async () => {
    h.fake.failWith = (op) => (op === "DescribeVpcs" ? awsError("AccessDenied", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: ec2:DescribeVpcs") : undefined);
    const r = await h.cli(["up", "--yes", "--json"]);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.outcome, "failed");
    assert.equal(doc.error.code, "AccessDenied");
    assert.match(doc.error.message, /not authorized to perform: ec2:DescribeVpcs/);
    assert.match(doc.error.requestId, /^req-/);
    assert.match(doc.error.hint, /AWS permissions/);
  });

  it("bad input, missing credentials and unknown flags print JSON too", async () => {
    const noCreds = await h.cli(["status", "--json"], { env: noCredentials() });
    assert.equal(noCreds.code, 2);
    assert.deepEqual(JSON.parse(noCreds.stdout).error.code, "BadInput");
    writeFileSync(join(h.dir, "bad.json"), "{");
    const badSpec = await h.cli(["plan", "--json", "--config", join(h.dir, "bad.json")]);
    assert.equal(badSpec.code, 2);
    assert.match(JSON.parse(badSpec.stdout).error.message, /not valid JSON/);
    const badFlag = await h.cli(["down", "--json", "--bogus"]);
    assert.equal(badFlag.code, 2);
    assert.match(JSON.parse(badFlag.stdout).error.message, /unknown option '--bogus'/);
    const deploy = await h.cli(["deploy", "--json"]);
    assert.equal(deploy.code, 2);
    assert.match(JSON.parse(deploy.stdout).error.message, /exactly one of --image/, "one document, not the command's and the fallback's");
  });
});

describe("smaller things a user notices", () => {
  it("answering anything but yes to a prompt exits 1 with \"Cancelled.\" and changes nothing", async () => {
    await h.up();
    h.resetCalls();
    const r = await h.cli(["down"], { tty: true, input: "no\n" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Type "yes" to continue: Cancelled\. Nothing deleted\.\n$/);
    assert.deepEqual(h.fake.mutatingCalls(), []);
    const json = await h.cli(["down", "--json"], { tty: true, input: "n\n" });
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).outcome, "cancelled");
  });

  it("status keeps its columns aligned when ids are long", async () => {
    const spec = join(h.dir, "spec.json");
    writeFileSync(spec, JSON.stringify({ appName: "spontime-poc-staging" }));
    await h.up("--config", spec);
    const table = (await h.cli(["status", "--config", spec])).stdout.split("\n\n")[1]!.trim().split("\n");
    assert.equal(table.length, RESOURCES.length);
    assert.ok(table.some((l) => / spontime-poc-staging-alb\/\S+ /.test(l)), "an ALB id longer than the old 28-character column");
    const syncAt = table.map((l) => l.search(/(in sync|drifted|missing)/));
    assert.deepEqual(new Set(syncAt).size, 1, table.join("\n"));
  });

  it("the suite never reads the working directory's spontime.config.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "spontime-usercwd-"));
    try {
      writeFileSync(join(dir, "spontime.config.json"), "{ this is what a user's half-edited config looks like");
      const file = new URL("./ux.test.js", import.meta.url).pathname;
      const r = spawnSync(process.execPath, ["--test", "--test-name-pattern=^colours on a terminal", file], { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
      assert.equal(r.status, 0, r.stdout.slice(-1500));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm run bench leaves the committed bench/results.json alone unless --write", () => {
    const results = new URL("../../bench/results.json", import.meta.url);
    const before = { text: readFileSync(results, "utf8"), mtime: statSync(results).mtimeMs };
    const run = new URL("../bench/run.js", import.meta.url).pathname;
    const r = spawnSync(process.execPath, [run, "--only", "scale"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /bench\/results\.json left as committed/);
    assert.deepEqual({ text: readFileSync(results, "utf8"), mtime: statSync(results).mtimeMs }, before);
    assert.equal(spawnSync(process.execPath, [run, "--only", "scale", "--write"], { encoding: "utf8" }).status, 2, "partial figures are never recorded");
  });
});

/** Just enough of a terminal: wraps at `columns`, reflows on resize, and the escapes the CLI writes (F, J, K, m). */
class Screen {
  rows: { text: string; wrapped: boolean }[] = [{ text: "", wrapped: false }];
  private y = 0;
  private x = 0;
  constructor(public columns: number) {}

  write(s: string): void {
    for (let i = 0; i < s.length;) {
      const esc = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(s.slice(i, i + 16));
      if (esc) {
        i += esc[0].length;
        if (esc[2] === "F") [this.y, this.x] = [Math.max(0, this.y - Number(esc[1] || 1)), 0];
        if (esc[2] === "J") { this.row(this.y).text = this.row(this.y).text.slice(0, this.x); this.rows.length = this.y + 1; }
        if (esc[2] === "K") this.row(this.y).text = "";
        continue;
      }
      const ch = s[i++]!;
      if (ch === "\n") {
        [this.y, this.x] = [this.y + 1, 0];
        this.row(this.y).wrapped = false;
        continue;
      }
      if (this.x >= this.columns) {
        [this.y, this.x] = [this.y + 1, 0];
        Object.assign(this.row(this.y), { text: "", wrapped: true });
      }
      const r = this.row(this.y);
      r.text = r.text.padEnd(this.x).slice(0, this.x) + ch + r.text.slice(this.x + 1);
      this.x++;
    }
  }

  /** Reflows wrapped rows to the new width, as most terminals do; the cursor stays at the end. */
  resize(columns: number): void {
    this.columns = columns;
    const logical = this.rows.reduce<string[]>((acc, r) => (r.wrapped && acc.length ? [...acc.slice(0, -1), acc.at(-1)! + r.text] : [...acc, r.text]), []);
    this.rows = logical.flatMap((l) => Array.from({ length: Math.max(1, Math.ceil(l.length / columns)) }, (_, k) => ({ text: l.slice(k * columns, (k + 1) * columns), wrapped: k > 0 })));
    [this.y, this.x] = [this.rows.length - 1, this.rows.at(-1)!.text.length];
  }

  private row(y: number) {
    while (this.rows.length <= y) this.rows.push({ text: "", wrapped: false });
    return this.rows[y]!;
  }

  /** Rows of the live table: two spaces, then a resource's title and its status. */
  tableRows(title: string): number { return this.rows.filter((r) => !r.wrapped && r.text.startsWith(`  ${title} `)).length; }
}

describe("live progress on a terminal", () => {
  /** The CLI on a terminal of `columns` (stdout and stderr on one screen), in-process on the fake. */
  function onTerminal(columns: number) {
    const screen = new Screen(columns);
    const resize = new EventEmitter();
    const stderr = { write: (s: string) => screen.write(s), isTTY: true, get columns() { return screen.columns; }, on: (e: "resize", f: () => void) => resize.on(e, f), off: (e: "resize", f: () => void) => resize.off(e, f) };
    const io = { stdout: { write: (s: string) => screen.write(s), isTTY: true }, stderr, stdin: Object.assign(new PassThrough(), { isTTY: false }), env: { ...TEST_ENV, NO_COLOR: "" } };
    const run = (argv: string[], signal?: AbortSignal) => h.clock.run(() => main([...argv, "--state-dir", h.stateDir], { io, clock: h.clock, http: (url) => h.fake.httpGet(url), ...(signal ? { signal } : {}) }));
    return { screen, run, resizeTo: (c: number) => { screen.resize(c); resize.emit("resize"); } };
  }

  it("a 250-character error neither wraps nor repeats rows; it is printed in full once, below the table", async () => {
    const long = `User: arn:aws:iam::123456789012:user/ci is not authorized to perform: elasticloadbalancing:CreateLoadBalancer on resource: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/spontime-poc-alb because no identity-based policy allows it`;
    h.fake.failWith = (op) => (op === "CreateLoadBalancer" ? awsError("AccessDenied", long) : undefined);
    const t = onTerminal(80);
    assert.equal(await t.run(["up", "--yes"]), 1);
    for (const title of ["VPC 10.0.0.0/16", "application load balancer spontime-poc-alb (HTTP)", "ECS cluster spontime-poc"]) assert.equal(t.screen.tableRows(title), 1, title);
    t.screen.resize(10_000);
    const text = t.screen.rows.map((r) => r.text).join("\n");
    assert.equal(text.split(long).length - 1, 1, "the full error once, in the summary");
    assert.match(text, /could not be created or updated:\n {2}- create application load balancer spontime-poc-alb \(HTTP\): .*because no identity-based policy allows it/);
  });

  it("Ctrl-C: the Interrupted line stays, above the table, and no row is repeated", async () => {
    const t = onTerminal(100);
    let sent = false;
    h.fake.onCall = (op) => { if (op === "CreateDBInstance" && !sent) { sent = true; process.emit("SIGINT"); } };
    assert.equal(await t.run(["up", "--yes"]), 130);
    const text = t.screen.rows.map((r) => r.text).join("\n");
    assert.equal(text.split("Interrupted: finishing calls in flight and saving state (Ctrl-C again to quit now)...").length - 1, 1, text);
    assert.match(text, /Interrupted: calls in flight finished and state is saved/);
    for (const title of ["VPC 10.0.0.0/16", "RDS PostgreSQL 15 db.t4g.micro, 20 GB gp2"]) assert.equal(t.screen.tableRows(title), 1, title);
  });

  it("after a resize rows are cut to the new width and drawn once", async () => {
    const t = onTerminal(120);
    h.fake.onCall = (op) => { if (op === "CreateDBInstance") t.resizeTo(50); };
    assert.equal(await t.run(["up", "--yes"]), 0);
    const rows = t.screen.rows;
    const table = rows.slice(rows.findIndex((r) => r.text.startsWith("  VPC 10.0.0.0/16 ")), rows.findIndex((r) => r.text === "Done."));
    assert.ok(table.length >= RESOURCES.length && table.every((r) => !r.wrapped && r.text.length < 50), table.map((r) => r.text).join("\n"));
    for (const title of ["VPC 10.0.0.0/16", "ECS cluster spontime-poc"]) assert.equal(t.screen.tableRows(title), 1, title);
  });
});

describe("an endpoint that does not answer like AWS", () => {
  it("names the call, says the answer is not AWS's, gives the HTTP status, never the parser's text alone", async () => {
    // What a corporate proxy or captive portal sends back: an HTML page.
    const server = createServer((_req, res) => { res.writeHead(403, { "content-type": "text/html" }); res.end("<html><body>Access blocked by proxy</body></html>"); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const env = { AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`, AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_REGION: "us-east-1" };
    const run = (argv: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...argv, "--state-dir", h.stateDir], { cwd: h.dir, env: { PATH: process.env.PATH, HOME: h.dir, NO_COLOR: "1", ...env } });
      let [stdout, stderr] = ["", ""];
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
    try {
      const xml = await run(["status"]); // EC2 first: an XML service, the SDK says "Unknown"
      assert.equal(xml.code, 1, xml.stderr);
      assert.match(xml.stderr, /^error: AWS call \(DescribeAvailabilityZones\): the endpoint answered HTTP 403 with something that is not an AWS response/m);
      const json = await run(["logs", "--json"]); // CloudWatch Logs: JSON, the SDK says "Unexpected token '<'"
      assert.equal(json.code, 1, json.stderr);
      assert.match(JSON.parse(json.stdout).error.message, /\(FilterLogEvents|DescribeLogGroups|DescribeLogStreams\)?.*the endpoint answered HTTP 403 with something that is not an AWS response/);
      for (const r of [xml, json]) assert.doesNotMatch(r.stdout + r.stderr, /Unexpected token|Deserialization error|error: Unknown/);
    } finally {
      server.close();
    }
  });
});
