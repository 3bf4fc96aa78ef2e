/**
 * `npm run bench`: how close `up` and `down` come to the time AWS itself needs, how many calls a no-op run
 * makes, how fast the CLI starts, and how the engine scales. Runs on the fake AWS with its latency table on a
 * virtual clock; prints a table, and with --write records it in bench/results.json (the committed figures,
 * rewritten only when asked). `--only <section>` runs one section (upAndDown, schedule, startup, scale) and never
 * writes. A benchmark, not a test: it never fails.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { reverseEdges, topoOrder } from "../src/engine/graph.js";
import { graphOf } from "../src/engine/plan.js";
import { SpecSchema } from "../src/config/schema.js";
import { Stack } from "../src/stack/stack.js";
import { RESOURCES, type StackResourceOfAnyKind } from "../src/stack/resources.js";
import { FakeAws, LATENCY } from "../test/fake/aws.js";
import { VirtualClock } from "../test/fake/clock.js";

process.env.AWS_ACCESS_KEY_ID = "bench";
process.env.AWS_SECRET_ACCESS_KEY = "bench";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

type Figure = { value: number; target: number; met: boolean; unit: string; lowerIsBetter: boolean };
const results: Record<string, Figure> = {};
const record = (name: string, value: number, target: number, unit: string) => {
  results[name] = { value: Number(value.toFixed(3)), target, met: value <= target, unit, lowerIsBetter: true };
};

/** What AWS itself needs per resource beyond the calls: readiness on create, disappearance on delete. */
const READY_MS: Record<string, number> = { "load-balancer": LATENCY.albActive, "db-instance": LATENCY.rdsCreate };
// An ALB's network interfaces outlive it, and block its subnets and security group until they go.
const GONE_MS: Record<string, number> = { "load-balancer": LATENCY.albEniLinger, "db-instance": LATENCY.rdsDelete, "ecs-service": LATENCY.serviceDrain };

/** The stack with each create/delete timed on the virtual clock, to build the ideal schedule from. */
function timed(clock: VirtualClock, spent: Map<string, number>): StackResourceOfAnyKind[] {
  const time = <A extends unknown[], R>(key: string, fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    const t0 = clock.now();
    try {
      return await fn(...a);
    } finally {
      spent.set(key, (spent.get(key) ?? 0) + clock.now() - t0);
    }
  };
  return RESOURCES.map((r) => ({ ...r, create: time(r.key, r.create.bind(r)), delete: time(r.key, r.delete.bind(r)) }));
}

/** Longest chain of per-node costs through the DAG (dependencies first, or dependents first for deletes). */
function criticalPath(resources: readonly StackResourceOfAnyKind[], cost: (key: string) => number, reverse = false): number {
  const graph = graphOf(resources, { ...SpecSchema.parse({}), availabilityZones: ["a", "b"], asleep: { service: false, database: false } });
  const edges = reverse ? reverseEdges(graph) : new Map(graph.map((n) => [n.key, [...n.dependsOn]]));
  const finish = new Map<string, number>();
  const order = topoOrder(graph);
  for (const key of reverse ? order.reverse() : order) finish.set(key, cost(key) + Math.max(0, ...edges.get(key)!.map((d) => finish.get(d)!)));
  return Math.max(...finish.values());
}

function world() {
  const clock = new VirtualClock();
  const fake = new FakeAws(clock).install();
  const dir = mkdtempSync(join(tmpdir(), "spontime-bench-"));
  const spent = new Map<string, number>();
  const resources = timed(clock, spent);
  const session = () => new Stack({ spec: SpecSchema.parse({}), stateDir: dir, clock, resources, env: process.env });
  const up = () => clock.run(async () => { const s = session(); await s.connect(); const o = await s.observe(); return s.applyUp(s.plan(o, "up"), o); });
  const down = () => clock.run(async () => { const s = session(); await s.connect(); const o = await s.observe(); return s.applyDown(s.plan(o, "down"), o); });
  return { clock, fake, spent, resources, up, down, close: () => { fake.restore(); rmSync(dir, { recursive: true, force: true }); } };
}

async function upAndDown() {
  const w = world();
  try {
    const t0 = w.clock.now();
    await w.up();
    const upMs = w.clock.now() - t0;
    const rdsCreated = w.fake.calls.find((c) => c.op === "CreateDBInstance")!.at;
    const polls = w.fake.calls.filter((c) => c.op === "DescribeDBInstances" && c.at > rdsCreated && c.at <= rdsCreated + LATENCY.rdsCreate + 60_000).length;
    const observeMs = 2 * LATENCY.call; // the ideal run still reads the account once before acting
    const idealUp = observeMs + criticalPath(w.resources, (k) => (w.spent.get(k) ?? 0) + LATENCY.call + (READY_MS[k] ?? 0));
    record("upFromEmpty.ratioToCriticalPath", upMs / idealUp, 1.05, `× (${(upMs / 1000).toFixed(0)} s vs ${(idealUp / 1000).toFixed(0)} s)`);
    record("polling.rdsDescribesDuring10MinWait", polls, 60, "calls");

    // No-op: the converged stack again.
    w.fake.calls.length = 0;
    const cpu0 = process.cpuUsage();
    await w.up();
    const cpu = process.cpuUsage(cpu0);
    const mutating = w.fake.mutatingCalls().length;
    record("noopUp.mutatingCalls", mutating, 0, "calls");
    record("noopUp.describesPerResource", w.fake.calls.length / RESOURCES.length, 1, `calls/resource (${w.fake.calls.length} for ${RESOURCES.length})`);
    record("noopUp.cpuSeconds", (cpu.user + cpu.system) / 1e6, 0.5, "s");

    w.spent.clear();
    const t1 = w.clock.now();
    await w.down();
    const downMs = w.clock.now() - t1;
    const idealDown = observeMs + criticalPath(w.resources, (k) => (w.spent.get(k) ?? 0) + (GONE_MS[k] ?? 0), true);
    record("downFromFull.ratioToCriticalPath", downMs / idealDown, 1.05, `× (${(downMs / 1000).toFixed(0)} s vs ${(idealDown / 1000).toFixed(0)} s)`);
  } finally {
    w.close();
  }
}

/** What users run, bin/spontime-infra (the bundle), against `node -e 0`: interleaved, so a change in load shifts all three alike. */
/** Odd, for a true median; 21 because a single run of a 100 ms process on a shared 2-core machine varies by ±20%. */
const STARTUP_RUNS = 21;

function startup() {
  const bin = new URL("../../bin/spontime-infra", import.meta.url).pathname;
  const runs = { base: ["-e", "0"], help: [bin, "--help"], validate: [bin, "validate"] };
  const times: Record<keyof typeof runs, number[]> = { base: [], help: [], validate: [] };
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const [name, args] of Object.entries(runs) as [keyof typeof runs, string[]][]) {
      const t0 = performance.now();
      spawnSync(process.execPath, args, { stdio: "ignore", env: { ...process.env, HOME: tmpdir() } });
      times[name].push(performance.now() - t0);
    }
  }
  const median = (t: number[]) => t.sort((a, b) => a - b)[(STARTUP_RUNS - 1) / 2]!;
  const base = median(times.base);
  record("startup.helpVsNode", median(times.help) / base, 2, `× node -e 0 (${base.toFixed(0)} ms)`);
  record("startup.validateVsNode", median(times.validate) / base, 2, `× node -e 0`);
}

/** `plan` (observe + diff) over synthetic DAGs of 10, 100 and 1000 resources: per-node time should stay flat. */
async function scale() {
  const spec = SpecSchema.parse({});
  const synthetic = (n: number): StackResourceOfAnyKind[] => {
    const nodes: StackResourceOfAnyKind[] = [];
    for (let i = 0; i < n; i++) {
      nodes.push({
        key: `r${i}`, kind: "bench:node", client: "none", actions: {}, tagging: "none", after: [i - 1, i - 7, i - 31].filter((d) => d >= 0).map((d) => nodes[d]!),
        title: () => `node ${i}`, desired: () => ({ size: i, tags: { a: "b" } }),
        observe: async () => ({ id: `id-${i}`, state: "ready", attrs: { size: i, tags: { a: "b" } }, outputs: { id: `id-${i}` } }),
        create: async () => ({ id: `id-${i}`, outputs: {} }), delete: async () => {},
      });
    }
    return nodes;
  };
  const timeFor = async (n: number) => {
    const dir = mkdtempSync(join(tmpdir(), "spontime-scale-"));
    try {
      const session = new Stack({ spec, stateDir: dir, resources: synthetic(n), env: process.env });
      const times: number[] = [];
      for (let rep = 0; rep < 7; rep++) {
        const t0 = performance.now();
        session.plan(await session.observe(), "up");
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[3]!;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await timeFor(1000); // warm-up: JIT and caches
  const [t10, t100, t1000] = [await timeFor(10), await timeFor(100), await timeFor(1000)];
  record("scale.perNodeTime100vs10", (t100 / 100) / (t10 / 10), 1.5, "× per node");
  record("scale.perNodeTime1000vs100", (t1000 / 1000) / (t100 / 100), 1.5, `× per node (${t1000.toFixed(0)} ms for 1000)`);
}

/**
 * A stack with a schedule (weekdays 08:00-20:00 UTC): a no-op `up` in an awake and in a sleep window (the clock
 * starts on a Thursday at 00:00 UTC; the schedules fire on the fake while time passes).
 */
async function schedule() {
  const clock = new VirtualClock();
  const fake = new FakeAws(clock).install();
  const dir = mkdtempSync(join(tmpdir(), "spontime-bench-"));
  const spec = SpecSchema.parse({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" } });
  const up = () => clock.run(async () => { const s = new Stack({ spec, stateDir: dir, clock, env: process.env }); await s.connect(); const o = await s.observe(); await s.applyUp(s.plan(o, "up"), o); return s.resources.length; });
  try {
    await clock.run(() => fake.passTime(9 * 3_600_000)); // Thursday 09:00: awake
    await up();
    for (const [name, hours] of [["awake", 1], ["asleep", 12]] as const) {
      await clock.run(() => fake.passTime(hours * 3_600_000));
      fake.calls.length = 0;
      const resources = await up();
      record(`scheduleNoopUp.${name}.mutatingCalls`, fake.mutatingCalls().length, 0, "calls");
      record(`scheduleNoopUp.${name}.describesPerResource`, fake.calls.length / resources, 1, `calls/resource (${fake.calls.length} for ${resources})`);
    }
  } finally {
    fake.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

const deploy = async () => { Object.assign(results, await (await import("./deploy.js")).deployFigures()); };
const SECTIONS = { upAndDown, schedule, deploy, startup, scale } as const;
const args = process.argv.slice(2);
const write = args.includes("--write");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const unknown = args.filter((a, i) => a !== "--write" && a !== "--only" && args[i - 1] !== "--only");
if (unknown.length || (only !== undefined && !(only in SECTIONS)) || (only && write)) {
  console.error(`usage: npm run bench [-- --write | --only ${Object.keys(SECTIONS).join("|")}] (--write records every figure, so not with --only)`);
  process.exit(2);
}

const started = performance.now();
for (const [name, section] of Object.entries(SECTIONS)) if (!only || only === name) await section();
const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`${"figure".padEnd(width)}  ${"value".padStart(8)}  ${"target".padStart(7)}  met`);
for (const [name, f] of Object.entries(results)) {
  console.log(`${name.padEnd(width)}  ${String(f.value).padStart(8)}  ${`${f.lowerIsBetter ? "≤" : "≥"} ${f.target}`.padStart(7)}  ${f.met ? "yes" : "NO "}  ${f.unit}`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (write) {
  writeFileSync(new URL("../../bench/results.json", import.meta.url), JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, f]) => [k, { value: f.value, target: f.target, met: f.met }])), null, 2) + "\n");
  console.log(`\nbench/results.json written (${seconds} s)`);
} else {
  console.log(`\n${seconds} s; bench/results.json left as committed (\`npm run bench -- --write\` records these figures)`);
}
