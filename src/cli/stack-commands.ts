import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { WAIT_DEFAULTS, parseDuration } from "../config/defaults.js";
import type { ApplyResult } from "../engine/apply.js";
import { hasChanges, type Plan } from "../engine/plan.js";
import { Session } from "../engine/session.js";
import { openState } from "../state/open.js";
import type { Live } from "../engine/types.js";
import { UserError, errorMessage } from "../errors.js";
import { Cancelled, confirm, type CommandContext } from "./context.js";
import { Progress } from "./progress.js";
import { planJson, renderPlan, shortId } from "./render.js";

export const EXIT = { ok: 0, failed: 1, usage: 2, changes: 2, interrupted: 130 } as const;

/** A session on the command's spec and state, with secrets registered for redaction and progress wired. */
export async function openSession(c: CommandContext, options: { skipFinalSnapshot?: boolean } = {}): Promise<Session> {
  const progress = new Progress(c.out);
  const state = await openState(c.spec(), c.opts, c.out.io.env);
  state.notice = (line) => c.out.err(c.out.paint("yellow", line));
  const session = new Session({
    ...(c.opts.debug ? { debug: c.out.debug } : {}),
    spec: c.spec(), stateDir: c.opts.stateDir, state, signal: c.signal, emit: progress.onEvent, env: c.out.io.env,
    ...(c.clock ? { clock: c.clock } : {}), ...options,
  });
  for (const w of session.state.warnings) c.out.err(c.out.paint("yellow", `warning: ${w}`));
  c.out.addSecretsFrom(() => Object.values(session.state.data.resources.secrets?.outputs ?? {}));
  return session;
}

/** Runs a state-changing step under the lock, releasing it whatever happens. */
async function locked<T>(c: CommandContext, session: Session, command: string, fn: () => Promise<T>): Promise<T> {
  await session.state.lock(command, c.opts.forceUnlock, (question) => confirm(c, question, "refusing to break another machine's lock"));
  try {
    const result = await fn();
    await session.state.flush();
    return result;
  } finally {
    await session.state.unlock();
  }
}

/**
 * Live observations; from the state file alone with --offline, or when there are no credentials (said in one
 * line) unless --detailed-exitcode asks for a drift check, which must then fail (exit 1, as Terraform's refresh).
 */
async function observeOrRemember(c: CommandContext, session: Session): Promise<{ observed: Map<string, Live | undefined>; driftChecked: boolean }> {
  const { offline, detailedExitcode } = c.opts as { offline?: boolean; detailedExitcode?: boolean };
  if (!offline) {
    try {
      await session.connect();
      return { observed: await session.observe(), driftChecked: true };
    } catch (e) {
      if (!(e instanceof UserError && /no AWS credentials/.test(e.message))) throw e;
      if (detailedExitcode) throw new UserError(`${e.message}: cannot check the live stack for drift`, "fix the credentials, or run `plan --offline` for the state file's view (drift not checked)");
      c.out.err(c.out.paint("yellow", `No AWS credentials${e.message.replace(/^no AWS credentials( found)?/, "")}: planning from the state file alone (live drift not checked).`));
    }
  }
  return { observed: session.observeFromState(), driftChecked: false };
}

export async function plan(c: CommandContext<{ detailedExitcode?: boolean }>): Promise<number> {
  const session = await openSession(c);
  const { observed, driftChecked } = await observeOrRemember(c, session);
  const p = session.plan(observed, "up");
  if (c.opts.json) c.out.json({ ...planJson(p), driftChecked });
  else {
    renderPlan(c.out, p, { driftChecked });
    if (p.changes.some((ch) => ch.action === "create")) {
      c.out.out("");
      (await import("./cost-command.js")).renderCost(c.out, c.spec());
    }
  }
  return c.opts.detailedExitcode && hasChanges(p) ? EXIT.changes : EXIT.ok;
}

const callsJson = (session: Session) => ({ total: session.aws.stats.total, mutating: session.aws.stats.mutating });

/** The `--json` result of up/down: the plan, the outcome, root causes, and the AWS calls made. */
function applyJson(p: Plan, result: ApplyResult, session: Session, code: number) {
  return {
    ...planJson(p),
    outcome: code === EXIT.ok ? "ok" : result.interrupted ? "interrupted" : "failed",
    failures: result.failures.map((f) => ({ key: f.key, title: f.title, error: errorMessage(f.error) })),
    outputs: Object.fromEntries(result.outputs),
    calls: callsJson(session),
  };
}

export async function graph(c: CommandContext<{ dot?: boolean }>): Promise<number> {
  const session = await openSession(c);
  const p = session.plan((await observeOrRemember(c, session)).observed, "up");
  const { renderGraph } = await import("./graph.js");
  c.out.out(renderGraph(session.resources, p, c.opts.dot ? "dot" : "mermaid"));
  return EXIT.ok;
}

function reportApply(c: CommandContext, result: ApplyResult, verb: string, command: string): number {
  if (result.interrupted) {
    c.out.err(c.out.paint("yellow", `Interrupted: calls in flight finished and state is saved. Run \`spontime-infra ${command}\` again to finish.`));
    return EXIT.interrupted;
  }
  if (result.failures.length) {
    c.out.err(c.out.paint("red", `\n${result.failures.length} resource(s) could not be ${verb}:`));
    for (const f of result.failures) c.out.err(`  - ${f.title}: ${errorMessage(f.error)}`);
    const skipped = [...result.results].filter(([, v]) => v.status === "skipped").length;
    if (skipped) c.out.err(`  (${skipped} dependent resource(s) were not attempted)`);
    c.out.err(`Fix the cause and run \`spontime-infra ${command}\` again: finished work is kept.`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

export async function up(c: CommandContext<{ wake?: boolean }>): Promise<number> {
  const session = await openSession(c);
  return locked(c, session, "up", async () => {
    await session.connect();
    if (session.state.data.sleeping) {
      if (c.opts.wake) {
        session.state.data.sleeping = false;
        session.state.save();
        session.ctx.spec.sleeping = false;
      } else {
        c.out.err(c.out.paint("yellow", "The stack is asleep: `up` keeps it asleep (0 tasks). Use `spontime-infra wake` or `up --wake`."));
      }
    }
    const observed = await session.observe();
    const p = session.plan(observed, "up");
    if (!hasChanges(p)) {
      c.out.err("No changes: the stack matches the spec.");
    } else {
      if (!c.opts.json) renderPlan(c.out, p);
      const risky = p.changes.filter((ch) => ch.action === "delete" || (ch.action === "replace" && ch.kind.startsWith("rds:")));
      if (risky.length && !(await confirm(c, `This replaces ${risky.map((r) => r.title).join(", ")} (data is lost).`, "refusing to replace stateful resources"))) {
        throw new Cancelled("Nothing changed.");
      }
    }
    const result = await session.applyUp(observed);
    const code = reportApply(c, result, "created or updated", "up");
    if (c.opts.json) {
      c.out.json(applyJson(p, result, session, code));
    } else if (code === EXIT.ok) {
      const dns = result.outputs.get("load-balancer")?.dnsName;
      if (hasChanges(p)) c.out.err(c.out.paint("green", "Done."));
      if (dns) c.out.out(`App URL: http://${dns}`);
      if (result.outputs.get("task-definition")?.awaitingFirstDeploy === "true") {
        c.out.out("Waiting for the first deploy: push an image and run `spontime-infra deploy --tag <tag>` (the service runs 0 tasks until then).");
      }
    }
    return code;
  });
}

/** Sleep or wake: the reconciler with the stack's target set to asleep (0 tasks, RDS stopped) or awake. */
async function setAsleep(c: CommandContext, asleep: boolean): Promise<{ code: number; session: Session; result?: ApplyResult }> {
  const session = await openSession(c);
  return locked(c, session, asleep ? "sleep" : "wake", async () => {
    await session.connect();
    session.state.data.sleeping = asleep;
    session.state.save();
    session.ctx.spec.sleeping = asleep;
    const observed = await session.observe();
    if (!observed.get("db-instance") || !observed.get("ecs-service")) throw new UserError("no stack to put to sleep or wake", "run `spontime-infra up` first");
    const result = await session.applyUp(observed);
    return { code: reportApply(c, result, asleep ? "put to sleep" : "woken", asleep ? "sleep" : "wake"), session, result };
  });
}

export async function sleep(c: CommandContext): Promise<number> {
  const { code } = await setAsleep(c, true);
  if (code === EXIT.ok) {
    c.out.out("Asleep: the service runs 0 tasks and the database is stopped; the load balancer stays (see `spontime-infra cost`).");
    c.out.out("RDS starts a stopped instance again by itself after 7 days: run `spontime-infra sleep` again then. `spontime-infra wake` brings it all back.");
  }
  return code;
}

export async function wake(c: CommandContext<{ healthTimeout?: string }>): Promise<number> {
  const timeout = c.opts.healthTimeout ?? WAIT_DEFAULTS.wakeHealth;
  const timeoutMs = parseDuration(timeout);
  if (timeoutMs === undefined) throw new UserError(`--health-timeout ${timeout}: use a duration like 90s, 10m or 1h`);
  const { code, session, result } = await setAsleep(c, false);
  if (code !== EXIT.ok) return code;
  const dns = result!.outputs.get("load-balancer")?.dnsName;
  if (result!.outputs.get("task-definition")?.awaitingFirstDeploy === "true" || !dns) {
    c.out.out("Awake. No image deployed yet: nothing to health-check.");
    return EXIT.ok;
  }
  const url = `http://${dns}${session.ctx.spec.app.healthPath}`;
  const { httpGet } = await import("../app/context.js");
  const { waitHealthy } = await import("../app/health.js");
  const health = await waitHealthy({ clock: session.ctx.clock, signal: c.signal, http: c.http ?? httpGet }, url, timeoutMs, (line) => c.out.err(line));
  if (health.ok) {
    c.out.out(`Awake: ${url} answers 200.`);
    return EXIT.ok;
  }
  c.out.err(c.out.paint("red", `Awake, but ${url} did not answer 200 within ${timeout} (last: ${health.last}); see \`spontime-infra logs\`.`));
  return EXIT.failed;
}

export async function down(c: CommandContext<{ skipFinalSnapshot?: boolean }>): Promise<number> {
  const session = await openSession(c, { skipFinalSnapshot: !!c.opts.skipFinalSnapshot });
  return locked(c, session, "down", async () => {
    await session.connect();
    const observed = await session.observe();
    const p = session.plan(observed, "down");
    if (!hasChanges(p)) {
      c.out.err("Nothing to delete: no resource of this stack was found.");
      if (c.opts.json) c.out.json({ ...planJson(p), outcome: "ok", failures: [], calls: callsJson(session) });
      return EXIT.ok;
    }
    if (!c.opts.json) renderPlan(c.out, p);
    const warnings = [
      observed.get("ecr-repository") ? `the ECR repository ${session.ctx.names.ecrRepository} and all its images` : "",
      observed.get("db-instance") ? (c.opts.skipFinalSnapshot ? "the database, with NO final snapshot" : `the database (a final snapshot ${session.ctx.names.app}-final-<time> is kept)`) : "",
    ].filter(Boolean);
    if (!(await confirm(c, `This deletes ${p.changes.length} resources${warnings.length ? `, including ${warnings.join(" and ")}` : ""}.`, "refusing to delete the stack"))) {
      throw new Cancelled("Nothing deleted.");
    }
    const result = await session.applyDown(observed);
    const code = reportApply(c, result, "deleted", "down");
    if (c.opts.json) c.out.json(applyJson(p, result, session, code));
    else if (code === EXIT.ok) c.out.err(c.out.paint("green", "The stack is gone."));
    return code;
  });
}

type Row = { key: string; title: string; id: string | null; state: string; sync: "in sync" | "drifted" | "missing"; fields: string[] };

function statusRows(p: Plan, observed: Map<string, Live | undefined>): Row[] {
  return p.changes.map((ch) => ({
    key: ch.key,
    title: ch.title,
    id: ch.id ?? null,
    state: observed.get(ch.key)?.pending ?? observed.get(ch.key)?.outputs.status ?? (observed.get(ch.key) ? "ok" : "-"),
    sync: ch.action === "create" ? "missing" : ch.action === "noop" ? "in sync" : "drifted",
    fields: ch.diffs.map((d) => d.field),
  }));
}

export async function status(c: CommandContext): Promise<number> {
  const session = await openSession(c);
  await session.connect();
  const observed = await session.observe();
  const rows = statusRows(session.plan(observed, "up"), observed);
  const alb = observed.get("load-balancer");
  const service = observed.get("ecs-service");
  const db = observed.get("db-instance");
  const td = observed.get("task-definition");
  const tg = observed.get("target-group");
  const health = tg ? await targetHealth(session, tg.id) : [];
  const summary = {
    url: alb ? `http://${alb.outputs.dnsName}` : null,
    asleep: session.state.data.sleeping ?? false,
    awaitingFirstDeploy: td?.outputs.awaitingFirstDeploy === "true",
    image: td?.outputs.image ?? null,
    tasks: service ? { running: Number(service.outputs.runningCount), desired: Number(service.outputs.desiredCount) } : null,
    lastDeployment: service?.outputs.rolloutState || null,
    targets: health,
    database: db ? { status: db.outputs.status, endpoint: db.outputs.endpoint } : null,
  };
  if (c.opts.json) {
    c.out.json({ ...summary, resources: rows });
  } else {
    c.out.out(`App URL:     ${summary.url ?? "(no load balancer)"}`);
    if (summary.asleep) c.out.out("State:       asleep (run `spontime-infra wake`)");
    c.out.out(`Tasks:       ${summary.tasks ? `${summary.tasks.running}/${summary.tasks.desired} running` : "(no service)"}${summary.awaitingFirstDeploy ? " (waiting for the first deploy)" : ""}`);
    if (summary.lastDeployment) c.out.out(`Deployment:  ${summary.lastDeployment}${summary.image ? ` (${summary.image})` : ""}`);
    c.out.out(`Targets:     ${health.length ? health.map((t) => `${t.target} ${t.state}${t.reason ? ` (${t.reason})` : ""}`).join(", ") : "(none registered)"}`);
    c.out.out(`Database:    ${summary.database ? `${summary.database.status} ${summary.database.endpoint}` : "(none)"}`);
    c.out.out("");
    const width = Math.max(...rows.map((r) => r.title.length));
    const idWidth = Math.max(...rows.map((r) => shortId(r.id).length));
    const stateWidth = Math.max(...rows.map((r) => r.state.length));
    for (const r of rows) {
      const sync = r.sync === "in sync" ? c.out.paint("green", r.sync) : c.out.paint(r.sync === "missing" ? "red" : "yellow", r.sync);
      c.out.out(`${r.title.padEnd(width)}  ${shortId(r.id).padEnd(idWidth)}  ${r.state.padEnd(stateWidth)}  ${sync}${r.fields.length && r.sync === "drifted" ? ` (${r.fields.join(", ")})` : ""}`);
    }
  }
  return EXIT.ok;
}

async function targetHealth(session: Session, targetGroupArn: string) {
  const out = await session.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (out.TargetHealthDescriptions ?? []).map((t) => ({
    target: `${t.Target?.Id}:${t.Target?.Port}`, state: t.TargetHealth?.State ?? "unknown", reason: t.TargetHealth?.Reason ?? null,
  }));
}

/** What scripts need, from the state file (no AWS call); secrets only on request. */
export async function outputs(c: CommandContext<{ showSecrets?: boolean }>): Promise<number> {
  const session = await openSession(c);
  const r = session.state.data.resources;
  if (!session.state.exists) {
    throw new UserError(`no outputs: no state at ${session.state.path}`, "run this where `up` ran, or point at the state with --state-dir <dir> (--state-bucket <bucket> for team state in S3); no stack yet? run `spontime-infra up` first");
  }
  if (!r["load-balancer"]) throw new UserError(`no outputs: ${session.state.path} has no stack yet`, "run `spontime-infra up` first");
  const names = session.ctx.names;
  const values: Record<string, string | null> = {
    url: r["load-balancer"]?.outputs.dnsName ? `http://${r["load-balancer"].outputs.dnsName}` : null,
    ecrRepositoryUri: r["ecr-repository"]?.outputs.repositoryUri ?? null,
    cluster: names.cluster,
    service: names.service,
    taskFamily: names.taskFamily,
    logGroup: names.logGroup,
    dbEndpoint: r["db-instance"]?.outputs.endpoint ?? null,
    region: session.ctx.spec.region,
  };
  if (c.opts.showSecrets) {
    const s = r.secrets?.outputs;
    values.dbPassword = s?.dbPassword ?? null;
    values.secretKey = s?.secretKey ?? null;
    values.databaseUrl = (await import("../resources/task-definition.js")).databaseUrl(
      session.ctx.spec.database.username, s?.dbPassword ?? "", values.dbEndpoint ?? "", r["db-instance"]?.outputs.port ?? "5432", session.ctx.spec.database.name);
  }
  if (c.opts.json) c.out.json(values);
  else for (const [k, v] of Object.entries(values)) c.out.out(`${k.padEnd(18)} ${v ?? "-"}`);
  return EXIT.ok;
}
