import { ciPolicy } from "../app/ci-policy.js";
import { connectApp, httpGet, type AppCtx } from "../app/context.js";
import { deploy as runDeploy, rollback as runRollback, type DeployOptions, type DeployResult } from "../app/deploy.js";
import { listReleases } from "../app/releases.js";
import { deleteSnapshot, keptSnapshots, ownSnapshot } from "../app/snapshots.js";
import { snapshotCost } from "../cost/estimate.js";
import { followLogs, readLogs, type LogLine } from "../app/logs.js";
import { runInService } from "../app/tasks.js";
import { WAIT_DEFAULTS, parseDuration } from "../config/defaults.js";
import { realClock } from "../shared/clock.js";
import { UserError } from "../errors.js";
import { Cancelled, confirm, type CommandContext } from "./context.js";
import { EXIT, openStack } from "./stack-commands.js";

/** deploy, run and logs work from the spec alone: CI has no state file. Status lines go to stderr. */
function appCtx(c: CommandContext): Promise<AppCtx> {
  return connectApp({
    spec: c.spec(), clock: c.clock ?? realClock, signal: c.signal, http: c.http ?? httpGet, env: c.out.io.env,
    progress: (line) => c.out.err(line), ...(c.opts.debug ? { debug: c.out.debug } : {}),
  });
}

const formatLine = (l: LogLine) => `${new Date(l.timestamp).toISOString()} [${l.task.slice(0, 8)}] ${l.message}`;

function durationOption(value: string | undefined, flag: string, fallback: string): number {
  const ms = parseDuration(value ?? fallback);
  if (ms === undefined) throw new UserError(`${flag} ${value}: use a duration like 90s, 10m or 1h`);
  return ms;
}

export async function deploy(c: CommandContext<{ image?: string; tag?: string; migrate?: string; healthTimeout?: string; timeout?: string }>): Promise<number> {
  if (!c.opts.image === !c.opts.tag) throw new UserError("deploy needs exactly one of --image <uri:tag> or --tag <tag>");
  const options: DeployOptions = {
    ...(c.opts.image ? { image: c.opts.image } : {}),
    ...(c.opts.tag ? { tag: c.opts.tag } : {}),
    ...(c.opts.migrate ? { migrate: c.opts.migrate } : {}),
    ...timeouts(c),
  };
  return reportDeploy(c, await runDeploy(await appCtx(c), options), "Deployed");
}

/** `--timeout` (the whole command's deadline) and `--health-timeout`, shared by deploy and rollback. */
const timeouts = (c: CommandContext<{ healthTimeout?: string; timeout?: string }>) => ({
  healthTimeoutMs: durationOption(c.opts.healthTimeout, "--health-timeout", WAIT_DEFAULTS.deployHealth),
  timeoutMs: durationOption(c.opts.timeout, "--timeout", WAIT_DEFAULTS.deploy),
});

/** A deploy's or rollback's result, with the same exit codes: 0 healthy, 1 failed (restored), 130 interrupted. */
function reportDeploy(c: CommandContext, result: DeployResult, verb: string): number {
  if (c.opts.json) c.out.json(result.outcome === "failed" ? { ...result, error: { code: "DeployFailed", message: result.reason } } : result);
  if (result.outcome === "succeeded") {
    if (!c.opts.json) c.out.out(`${verb} ${result.image}: ${result.url} is healthy (rollout ${Math.round(result.durationsMs.rollout / 1000)} s).`);
    return EXIT.ok;
  }
  c.out.err(c.out.paint("red", `${verb === "Deployed" ? "Deploy" : "Rollback"} failed: ${result.reason}`));
  for (const d of result.details) c.out.err(`  ${d}`);
  return c.signal.aborted ? EXIT.interrupted : EXIT.failed;
}

export async function rollback(c: CommandContext<{ to?: string; healthTimeout?: string; timeout?: string }>): Promise<number> {
  const options = { ...timeouts(c), ...(c.opts.to ? { to: c.opts.to } : {}) };
  const result = await runRollback(await appCtx(c), options);
  return reportDeploy(c, result, `Rolled back from revision ${result.rolledBackFrom} to revision ${result.rolledBackTo},`);
}

export async function releases(c: CommandContext<{ limit?: string }>): Promise<number> {
  const limit = Number(c.opts.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit ${c.opts.limit}: must be a positive whole number`);
  const ctx = await appCtx(c);
  const list = (await listReleases(ctx)).slice(0, limit);
  if (c.opts.json) {
    c.out.json({ outcome: "succeeded", releases: list });
    return EXIT.ok;
  }
  if (!list.length) {
    c.out.err("No releases recorded yet: `spontime-infra deploy --tag <tag>` records one on its task-definition revision.");
    return EXIT.ok;
  }
  c.out.out(table(["", "revision", "deployed (UTC)", "outcome", "image", "digest", "by"], list.map((r) => [
    r.current ? "*" : "", String(r.revision) + (r.rollbackFrom ? ` (rollback from ${r.rollbackFrom})` : ""), r.deployedAt.slice(0, 19).replace("T", " "),
    r.outcome, r.tag ?? r.image, r.digest?.slice(0, 19) ?? "-", r.deployedBy,
  ])));
  // No row starred: the service runs a revision older than the listed ones, or none of the stack's releases.
  c.out.out(list.some((r) => r.current)
    ? "* the revision the service runs now. `spontime-infra rollback` goes back to the newest healthy release before it."
    : "None of these is the revision the service runs now (`spontime-infra status` shows it).");
  return EXIT.ok;
}

export async function snapshots(c: CommandContext<{ args: string[]; yes?: boolean }>): Promise<number> {
  const [action, id, ...rest] = c.opts.args;
  if (action !== undefined && (action !== "delete" || !id || rest.length)) throw new UserError("usage: snapshots, or snapshots delete <snapshot-id>");
  const ctx = await appCtx(c);
  const { snapshots: list, liveStorageGb } = await keptSnapshots(ctx);
  if (action === "delete") {
    const doomed = ownSnapshot(list, id!);
    if (!(await confirm(c, `This deletes the DB snapshot ${doomed.id} (taken ${doomed.takenAt}, ${doomed.sizeGb} GB): its data cannot be restored after.`, "refusing to delete a snapshot unasked"))) {
      throw new Cancelled("Nothing deleted.");
    }
    await deleteSnapshot(ctx, doomed);
    if (c.opts.json) c.out.json({ outcome: "succeeded", deleted: doomed.id });
    else c.out.out(`Deleted the DB snapshot ${doomed.id}.`);
    return EXIT.ok;
  }
  const rows = list.map((x) => ({ ...x, kind: x.id.includes("-final-") ? "final" : "manual", monthly: Number(snapshotCost(x.sizeGb).monthly) }));
  const total = snapshotCost(list.reduce((sum, x) => sum + x.sizeGb, 0), liveStorageGb);
  if (c.opts.json) {
    c.out.json({ outcome: "succeeded", snapshots: rows, monthly: total.monthly, note: total.note });
    return EXIT.ok;
  }
  if (!rows.length) {
    c.out.out("No DB snapshots of this stack.");
    return EXIT.ok;
  }
  c.out.out(table(["snapshot", "kind", "taken (UTC)", "size", "status", "per month"], rows.map((x) => [
    x.id, x.kind, x.takenAt.slice(0, 16).replace("T", " "), `${x.sizeGb} GB`, x.status, `$${x.monthly.toFixed(2)}`,
  ])));
  c.out.out(`Total about $${Number(total.monthly).toFixed(2)}/month (${total.note}). \`spontime-infra up --restore <snapshot>\` brings one back after \`down\`; \`spontime-infra snapshots delete <snapshot>\` removes one.`);
  return EXIT.ok;
}

/** Columns padded to their widest cell. */
const table = (head: string[], rows: string[][]) => {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
};

export async function run(c: CommandContext<{ args: string[]; timeout?: string }>): Promise<number> {
  const command = c.opts.args;
  if (!command.length) throw new UserError("run needs a command after --, e.g. spontime-infra run -- python manage.py migrate");
  const timeoutMs = durationOption(c.opts.timeout, "--timeout", WAIT_DEFAULTS.run);
  const ctx = await appCtx(c);
  // With --json the task's output goes to stderr: stdout holds the one JSON document.
  const r = await runInService(ctx, command, (l) => (c.opts.json ? c.out.err(l.message) : c.out.out(l.message)), { timeoutMs, liveLogs: true });
  const code = r.outcome === "exited" ? r.exitCode! : r.outcome === "interrupted" ? EXIT.interrupted : EXIT.failed;
  if (c.opts.json) c.out.json({ outcome: r.outcome === "exited" && code === 0 ? "succeeded" : "failed", taskArn: r.task.taskArn, stop: r.outcome, exitCode: r.exitCode ?? null, stoppedReason: r.task.stoppedReason ?? null });
  else c.out.err(r.outcome === "exited" ? `exit code ${r.exitCode}` : `the task was stopped (${r.outcome === "interrupted" ? "interrupted" : `still running after ${c.opts.timeout ?? WAIT_DEFAULTS.run}`})`);
  return code;
}

export async function logs(c: CommandContext<{ follow?: boolean; since?: string; lines?: string }>): Promise<number> {
  const limit = Number(c.opts.lines ?? 100);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--lines ${c.opts.lines}: must be a positive whole number`);
  const sinceMs = durationOption(c.opts.since, "--since", WAIT_DEFAULTS.logsSince);
  const ctx = await appCtx(c);
  const startTime = ctx.clock.now() - sinceMs;
  if (c.opts.follow) {
    // Oldest first, as `aws logs tail --follow` prints; with --json one object per line, a stream of documents.
    await followLogs(ctx, startTime, (l) => c.out.out(c.opts.json ? JSON.stringify(l) : formatLine(l)));
    return EXIT.interrupted; // only Ctrl-C ends following
  }
  // The last `limit` lines, oldest first like `aws logs tail`: a traceback reads top to bottom.
  const lines = (await readLogs(ctx, { startTime })).slice(-limit);
  if (c.opts.json) c.out.json({ outcome: "succeeded", logGroup: ctx.names.logGroup, lines });
  else for (const l of lines) c.out.out(formatLine(l));
  // Nothing printed would read as a broken command: say where we looked, and how to look further back.
  if (!lines.length && !c.opts.json) c.out.err(`No log lines in ${ctx.names.logGroup} in the last ${c.opts.since ?? WAIT_DEFAULTS.logsSince}: \`--since 1h\` looks further back; the app logs once a task runs (\`spontime-infra deploy\`).`);
  return EXIT.ok;
}

export async function ciPolicyCommand(c: CommandContext): Promise<number> {
  // The account id once `up` has run; "*" otherwise.
  c.out.json(ciPolicy(c.spec(), (await openStack(c, { anySpec: true })).fromState.account()));
  return EXIT.ok;
}
