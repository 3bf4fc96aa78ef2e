/**
 * The deploy figures of `npm run bench`: `deploy` against its critical path on the fake's model of a rolling
 * deployment (test/fake/deploy-model.ts), the same model with AWS's default target-group settings, and the
 * reads a deploy makes, with and without --migrate. The CLI runs in-process on the virtual clock.
 */
import { SpecSchema } from "../src/config/schema.js";
import { LATENCY } from "../test/fake/aws.js";
import { AWS_DEFAULTS, DEFAULT_IMAGE_MB, deployPhases, type DeploySettings } from "../test/fake/deploy-model.js";
import { APP, Harness } from "../test/helpers.js";

export type Figure = { value: number; target: number; met: boolean; unit: string; lowerIsBetter: boolean };

const figure = (value: number, target: number, unit: string, lowerIsBetter = true): Figure =>
  ({ value: Number(value.toFixed(3)), target, met: lowerIsBetter ? value <= target : value >= target, unit, lowerIsBetter });

const criticalPathMs = (s: DeploySettings) => deployPhases(s).reduce((sum, p) => sum + p.ms, 0);

/** One deploy that replaces a running task, measured: virtual wall time, when UpdateService landed, the reads. */
async function measure(h: Harness, tag: string, ...extra: string[]) {
  h.fake.pushImage(APP, tag, "ok");
  h.resetCalls();
  const t0 = h.clock.now();
  const r = await h.cli(["deploy", "--tag", tag, ...extra]);
  if (r.code !== 0) throw new Error(`bench deploy failed:\n${r.stderr}`);
  const updateAt = h.fake.calls.find((c) => c.op === "UpdateService")!.at;
  return { wallMs: h.clock.now() - t0, beforeRolloutMs: updateAt - t0, reads: h.fake.calls.filter((c) => !c.mutating).length };
}

export async function deployFigures(): Promise<Record<string, Figure>> {
  const hc = SpecSchema.parse({}).app;
  const ours: DeploySettings = {
    healthyThreshold: hc.healthCheck.healthyThreshold, unhealthyThreshold: hc.healthCheck.unhealthyThreshold, intervalSeconds: hc.healthCheck.intervalSeconds,
    deregistrationDelaySeconds: hc.deregistrationDelaySeconds, gracePeriodSeconds: hc.healthCheckGracePeriodSeconds, imageSizeMb: DEFAULT_IMAGE_MB,
  };
  const path = criticalPathMs(ours);
  const h = new Harness();
  try {
    await h.up();
    await measure(h, "v1"); // the first deploy starts the service's only task; the figures are for replacing it
    const plain = await measure(h, "v2");
    const migrate = await measure(h, "v3", "--migrate", "python manage.py migrate --noinput");
    // Ideal: the calls up to UpdateService (they must happen), AWS's phases, and the one read that sees COMPLETED.
    const ideal = plain.beforeRolloutMs + path + LATENCY.call;
    return {
      "deploy.ratioToCriticalPath": figure(plain.wallMs / ideal, 1.05, `× (${(plain.wallMs / 1000).toFixed(0)} s vs ${(ideal / 1000).toFixed(0)} s)`),
      "deploy.criticalPathSeconds": figure(path / 1000, 150, "s (the stack's target-group settings)"),
      "deploy.criticalPathSecondsAwsDefaults": figure(criticalPathMs({ ...ours, ...AWS_DEFAULTS }) / 1000, 480, "s (AWS's defaults: 5 checks, 300 s draining)", false),
      "deploy.callsPerDeploy": figure(plain.reads, 40, "reads"),
      "deploy.callsPerDeployWithMigrate": figure(migrate.reads, 40, "reads"),
    };
  } finally {
    h.close();
  }
}
