/**
 * The requests each kind sends to AWS, pinned: every call (service, operation, input) of a few whole runs on the
 * fake, against test/golden/requests.json. Other files check what the calls do; this one sees a changed
 * parameter, an extra or a missing call anywhere in src/resources in a few seconds, which is what makes a
 * mutation run of that folder affordable (stryker/resources.mjs runs it first). A run's calls are compared
 * sorted: their order across resources is the walk's to decide, and the orders that matter are tested elsewhere.
 *
 * After a deliberate change in what is sent: `UPDATE_GOLDEN=1 node --test dist/test/requests.test.js` (the whole file:
 * it writes every run's entry), then read the diff of test/golden/requests.json before committing it.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { APP, withHarness, type Harness } from "./helpers.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "test", "golden", "requests.json");
const golden: Record<string, unknown> = JSON.parse(readFileSync(GOLDEN, "utf8"));
const seen: Record<string, unknown> = {};
const UPDATE = Boolean(process.env.UPDATE_GOLDEN);

/** Records `value` under `name`, and (unless rewriting the file) checks it is the one pinned there. */
function matches(name: string, value: unknown): void {
  seen[name] = value;
  if (!UPDATE) assert.deepEqual(value, golden[name], `"${name}" changed`);
}

/** Every optional kind on, and every spec field that reaches a request away from its default. */
const EVERYTHING = {
  https: { domain: "api.example.com" },
  // Awake at the virtual clock's start (Thursday 00:00 UTC).
  schedule: { awake: "Mon-Sun 00:00-12:00", timezone: "Europe/Paris" },
  app: {
    containerPort: 8080, healthPath: "/ping", cpu: 512, memory: 1024, architecture: "ARM64", desiredCount: 2, debug: false,
    extraAllowedHosts: ["www.example.com"], environment: { FEATURE: "on" },
    secrets: { API_KEY: "arn:aws:ssm:us-east-1:123456789012:parameter/api-key" },
    healthCheckGracePeriodSeconds: 90, healthCheck: { intervalSeconds: 20, timeoutSeconds: 4, healthyThreshold: 3, unhealthyThreshold: 4 },
    deregistrationDelaySeconds: 15, containerHealthCheck: true,
  },
  database: { engineVersion: "15.8", instanceClass: "db.t4g.small", storageType: "gp3", allocatedStorage: 25, backupRetentionDays: 3, name: "app", username: "owner" },
  logs: { retentionDays: 14 },
  ecr: { keepImages: 7 },
};
/** The same stack with every in-place change a spec edit can ask for. */
const EDITED = {
  ...EVERYTHING,
  schedule: { awake: ["Mon-Fri 00:00-13:00", "Sat 09:00-12:00"], timezone: "Europe/Paris" },
  app: {
    ...EVERYTHING.app, healthPath: "/up", cpu: 1024, memory: 2048, desiredCount: 1, debug: true, extraAllowedHosts: [],
    environment: { FEATURE: "off" }, healthCheckGracePeriodSeconds: 30,
    healthCheck: { intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 }, deregistrationDelaySeconds: 60,
  },
  database: { ...EVERYTHING.database, instanceClass: "db.t4g.medium", allocatedStorage: 30, backupRetentionDays: 5 },
  logs: { retentionDays: 30 },
  ecr: { keepImages: 3 },
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/**
 * Out of a request, what differs from run to run: the run's id, what is made at random (a password, Django's
 * key) and the virtual time in the final snapshot's name (the SDK's backoff is random).
 */
function normalize(value: unknown, key = ""): unknown {
  if (/password/i.test(key)) return "<secret>";
  if (typeof value === "string") return value.replace(UUID, "<uuid>").replace(/-final-\d{14}$/, "-final-<time>").replace(/(postgis:\/\/[^:]+:)[^@]+@/, "$1<secret>@");
  // A name-value pair (an environment variable, a tag) whose value is made at random.
  const [first, second] = value && typeof value === "object" ? Object.entries(value) : [];
  if (second && /^(SECRET_KEY|spontime:password-hash)$/.test(String(first![1]))) return { ...value as object, [second[0]]: "<secret>" };
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  return value;
}

/**
 * A run's calls, each as one line, sorted, each once: how often a call is retried depends on the SDK's random
 * backoff (an IAM role's first minutes). The state's claim calls are left out: they carry this process's id.
 */
function requests(h: Harness): string[] {
  const claim = new Set(h.fake.claimCalls());
  return [...new Set(h.fake.calls.filter((c) => !claim.has(c)).map((c) => JSON.stringify([c.service, c.op, normalize(c.input)])))].sort();
}

async function pin(name: string, h: Harness, run: () => Promise<unknown>): Promise<void> {
  h.resetCalls();
  await run();
  matches(name, requests(h));
}

/** A CLI run that must succeed. */
const succeeds = (h: Harness, ...argv: string[]) => async () => assert.equal((await h.cli(argv)).code, 0);

after(() => { if (UPDATE) writeFileSync(GOLDEN, `${JSON.stringify(seen, null, 1)}\n`); });

describe("the requests sent to AWS", () => {
  it("up from empty, up again, a spec edit, sleep, wake and down, every optional kind on", () => withHarness(async (h) => {
    h.fake.createHostedZone("example.com");
    const everything = h.writeSpec(EVERYTHING);
    await pin("plan", h, async () => matches("plan output", (await h.cli(["plan", "--config", everything])).stdout));
    await pin("up from empty", h, () => h.up("--config", everything));
    await pin("up again", h, () => h.up("--config", everything));
    const edited = h.writeSpec(EDITED);
    await pin("a spec edit", h, () => h.up("--config", edited));
    await pin("sleep", h, succeeds(h, "sleep", "--yes", "--config", edited));
    await pin("wake", h, succeeds(h, "wake", "--yes", "--config", edited));
    await pin("down", h, succeeds(h, "down", "--yes", "--config", edited));
  }));

  it("the default stack, then replacements (new subnet CIDRs, Spot, another port), then down", () => withHarness(async (h) => {
    await pin("defaults: up from empty", h, () => h.up());
    const replaced = h.writeSpec({
      network: { publicSubnets: ["10.0.3.0/24", "10.0.4.0/24"], privateSubnets: ["10.0.10.0/24", "10.0.13.0/24"] },
      app: { capacity: "FARGATE_SPOT", containerPort: 9000 },
    });
    await pin("defaults: replacements", h, () => h.up("--config", replaced));
    await pin("defaults: down", h, succeeds(h, "down", "--yes", "--skip-final-snapshot", "--config", replaced));
  }));

  it("the database's rarer paths: asleep and protected by hand, down in one run; then up --restore from its final snapshot", () => withHarness(async (h) => {
    await h.up();
    await succeeds(h, "sleep", "--yes")();
    h.fake.rds.instances.get(`${APP}-db`)!.deletionProtection = true;
    await pin("database: down, asleep and protected", h, succeeds(h, "down", "--yes", "--disable-deletion-protection"));
    await pin("database: plan --restore", h, async () => matches("plan --restore output", (await h.cli(["plan", "--restore", "latest"])).stdout));
    await pin("database: up --restore", h, () => h.up("--restore", "latest"));
  }));
});
