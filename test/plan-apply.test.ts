/**
 * Plan equals apply: for an edit of each field of the spec, what `up` does to each resource is exactly what
 * `plan` listed (a task definition change shows the service's new deployment too), and one `up` converges.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withHarness, type HarnessSnapshot } from "./helpers.js";

/** One edit per spec field (nested fields by their path), from the defaults the built stack has. */
const EDITS: Record<string, object> = {
  "network.publicSubnets": { network: { publicSubnets: ["10.0.3.0/24", "10.0.2.0/24"] } },
  "network.privateSubnets": { network: { privateSubnets: ["10.0.10.0/24", "10.0.12.0/24"] } },
  "app.containerPort": { app: { containerPort: 8080 } },
  "app.healthPath": { app: { healthPath: "/healthz" } },
  "app.cpu + app.memory": { app: { cpu: 512, memory: 1024 } },
  "app.architecture": { app: { architecture: "ARM64" } },
  "app.desiredCount": { app: { desiredCount: 2 } },
  "app.debug": { app: { debug: false } },
  "app.extraAllowedHosts": { app: { extraAllowedHosts: ["api.example.com"] } },
  "app.healthCheckGracePeriodSeconds": { app: { healthCheckGracePeriodSeconds: 90 } },
  "app.healthCheck": { app: { healthCheck: { intervalSeconds: 15, timeoutSeconds: 4, healthyThreshold: 3, unhealthyThreshold: 3 } } },
  "app.deregistrationDelaySeconds": { app: { deregistrationDelaySeconds: 10 } },
  "app.containerHealthCheck": { app: { containerHealthCheck: true } },
  "database.instanceClass": { database: { instanceClass: "db.t4g.small" } },
  "database.storageType": { database: { storageType: "gp3" } },
  "database.allocatedStorage": { database: { allocatedStorage: 30 } },
  "database.backupRetentionDays": { database: { backupRetentionDays: 3 } },
  "database.name": { database: { name: "other" } },
  "database.username": { database: { username: "owner" } },
  "logs.retentionDays": { logs: { retentionDays: 14 } },
  "ecr.keepImages": { ecr: { keepImages: 10 } },
  tags: { tags: { team: "core" } },
};

type PlanJson = { changes: { key: string; action: string; duplicates: string[] }[] };

/** A stack with an app deployed (so the task count and the service's settings are live), built once. */
async function deployedStack(): Promise<HarnessSnapshot> {
  return withHarness(async (h) => {
    await h.up();
    await h.deploy("v1");
    return h.snapshot();
  });
}

describe("plan equals apply", () => {
  it(`for each of ${Object.keys(EDITS).length} spec edits, up changes exactly the resources plan listed, and converges in one run`, async () => {
    const built = await deployedStack();
    for (const [field, edit] of Object.entries(EDITS)) {
      await withHarness(async (h) => {
        const spec = join(h.dir, "spec.json");
        writeFileSync(spec, JSON.stringify(edit));
        const plan = await h.cli(["plan", "--json", "--config", spec]);
        assert.equal(plan.code, 0, `${field}: plan: ${plan.stderr}`);
        const planned = Object.fromEntries((JSON.parse(plan.stdout) as PlanJson).changes.filter((c) => c.action !== "noop").map((c) => [c.key, c.action]));
        assert.ok(Object.keys(planned).length > 0, `${field}: the edit plans a change`);
        const up = await h.cli(["up", "--yes", "--json", "--config", spec]);
        assert.equal(up.code, 0, `${field}: up: ${up.stderr}`);
        assert.deepEqual(JSON.parse(up.stdout).applied, planned, `${field}: what up did is what plan showed`);
        h.resetCalls();
        const again = await h.cli(["plan", "--detailed-exitcode", "--config", spec]);
        assert.equal(again.code, 0, `${field}: one up converges:\n${again.stdout}`);
      }, {}, built);
    }
  });
});
