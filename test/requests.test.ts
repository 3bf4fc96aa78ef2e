/**
 * The requests each kind sends to AWS, pinned (test/golden.ts): every call (service, operation, input) of a few
 * whole runs on the fake, against test/golden/requests.json. Other files check what the calls do.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { golden, records, succeeds } from "./golden.js";
import { APP, withHarness } from "./helpers.js";

const { matches, pin } = golden("requests");

/** Every optional kind on, and every spec field that reaches a request away from its default. */
const EVERYTHING = {
  https: { domain: "api.example.com" },
  tags: { team: "core", costCentre: "poc" },
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
  tags: { team: "platform" },
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

describe("the requests sent to AWS", () => {
  it("up from empty, up again, a spec edit, sleep, wake and down, every optional kind on", () => withHarness(async (h) => {
    h.fake.createHostedZone("example.com");
    const everything = h.writeSpec(EVERYTHING);
    await pin("plan", h, async () => matches("plan output", (await h.cli(["plan", "--config", everything])).stdout));
    await pin("up from empty", h, () => h.up("--config", everything));
    matches("state after up from empty", records(h));
    await pin("up again", h, () => h.up("--config", everything));
    const edited = h.writeSpec(EDITED);
    matches("plan output: a spec edit", (await h.cli(["plan", "--config", edited])).stdout);
    let edit = "";
    await pin("a spec edit", h, async () => { edit = (await h.up("--config", edited)).stderr; });
    // Each resource is updated in one round: a second "updating" row means its update skipped a changed field,
    // and only the look after it (the engine's next round) found the difference.
    const updated = edit.split("\n").flatMap((line) => /^(.+): updating/.exec(line)?.slice(1) ?? []);
    assert.ok(updated.length >= 10, edit);
    assert.deepEqual(updated, [...new Set(updated)], edit);
    matches("state after a spec edit", records(h));
    await pin("sleep", h, succeeds(h, "sleep", "--yes", "--config", edited));
    matches("state asleep", records(h));
    await pin("wake", h, succeeds(h, "wake", "--yes", "--config", edited));
    await pin("down", h, succeeds(h, "down", "--yes", "--config", edited));
  }));

  it("the default stack, then replacements (new subnet CIDRs, Spot, another port), then down", () => withHarness(async (h) => {
    await pin("defaults: up from empty", h, () => h.up());
    const replaced = h.writeSpec({
      network: { publicSubnets: ["10.0.3.0/24", "10.0.4.0/24"], privateSubnets: ["10.0.10.0/24", "10.0.13.0/24"] },
      app: { capacity: "FARGATE_SPOT", containerPort: 9000 },
    });
    matches("plan output: replacements", (await h.cli(["plan", "--config", replaced])).stdout);
    await pin("defaults: replacements", h, () => h.up("--config", replaced));
    matches("state after replacements", records(h));
    await pin("defaults: down", h, succeeds(h, "down", "--yes", "--skip-final-snapshot", "--config", replaced));
  }));

  it("the database's rarer paths: asleep and protected by hand, down in one run; then up --restore from its final snapshot", () => withHarness(async (h) => {
    await h.up();
    await succeeds(h, "sleep", "--yes")();
    h.fake.rds.instances.get(`${APP}-db`)!.deletionProtection = true;
    await pin("database: down, asleep and protected", h, succeeds(h, "down", "--yes", "--disable-deletion-protection"));
    await pin("database: plan --restore", h, async () => matches("plan --restore output", (await h.cli(["plan", "--restore", "latest"])).stdout));
    await pin("database: up --restore", h, () => h.up("--restore", "latest"));
    matches("state after up --restore", records(h));
  }));
});
