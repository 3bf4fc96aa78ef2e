import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Aws } from "../aws/clients.js";
import { appUrl, awaitingFirstDeploy } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import { phaseAt } from "../config/schedule.js";
import type { Observed } from "../engine/plan.js";
import { dbInstance } from "../resources/db-instance.js";
import { ecsService } from "../resources/ecs-service.js";
import { httpsListener } from "../resources/https-listener.js";
import { loadBalancer } from "../resources/load-balancer.js";
import { targetGroup } from "../resources/target-group.js";
import { taskDefinition } from "../resources/task-definition.js";
import type { Stack } from "./stack.js";

export interface StatusRow { key: string; title: string; id: string | null; state: string; sync: "in sync" | "drifted" | "missing"; fields: string[] }

/** Each resource in sync, drifted or missing, and the app at a glance (URL, tasks, targets, database). */
export async function stackStatus(stack: Stack, observed: Observed) {
  const rows: StatusRow[] = stack.plan(observed, "up").changes.map((ch) => {
    const live = observed.get(ch.key);
    return {
      key: ch.key, title: ch.title, id: ch.id ?? null,
      state: live ? (live.state === "ready" ? String(live.attrs.status ?? "ok") : live.why) : "-",
      sync: ch.action === "create" ? "missing" : ch.action === "noop" && !ch.diffs.length ? "in sync" : "drifted",
      fields: ch.diffs.map((d) => d.path),
    };
  });
  const service = observed.get(ecsService.key);
  const db = observed.get(dbInstance.key);
  const td = observed.get(taskDefinition.key);
  const tg = observed.get(targetGroup.key);
  const summary = {
    url: appUrl(stack.spec.https, !!observed.get(httpsListener.key), observed.get(loadBalancer.key)?.outputs.dnsName) ?? null,
    asleep: stack.state.data.sleeping || stack.spec.asleep.service,
    schedule: scheduleSummary(stack.options.spec.schedule, stack.ctx.clock.now()),
    awaitingFirstDeploy: td ? awaitingFirstDeploy(td.outputs.image!) : false,
    image: td?.outputs.image ?? null,
    tasks: service ? { running: Number(service.outputs.runningCount), desired: Number(service.outputs.desiredCount) } : null,
    lastDeployment: service?.outputs.rolloutState || null,
    targets: tg ? await targetHealth(stack.aws, tg.id) : [],
    database: db ? { status: String(db.attrs.status), endpoint: db.outputs.endpoint! } : null,
  };
  return { summary, rows };
}

/** The schedule as `status` shows it: the windows, and the next sleep or wake in the schedule's zone. */
function scheduleSummary(schedule: Spec["schedule"], now: number) {
  if (!schedule) return null;
  const phase = phaseAt(schedule, now);
  return { awake: [schedule.awake].flat(), timezone: schedule.timezone, next: phase.next ? { action: phase.service ? "wake" : "sleep", at: phase.next } : null };
}

async function targetHealth(aws: Aws, targetGroupArn: string) {
  const out = await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).map((t) => ({
    target: `${t.Target?.Id}:${t.Target?.Port}`, state: t.TargetHealth?.State ?? "unknown", reason: t.TargetHealth?.Reason ?? null,
  }));
}
