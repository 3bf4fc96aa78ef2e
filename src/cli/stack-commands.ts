import { resolve } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { WAIT_DEFAULTS, parseDuration } from "../config/defaults.js";
import { warningLines } from "../config/warnings.js";
import { ChangedSincePlan, type ApplyResult } from "../engine/apply.js";
import { hasChanges, hasDrift, leftAlone, type Observed, type Plan } from "../engine/plan.js";
import type { Live } from "../engine/types.js";
import { UserError, errorMessage } from "../errors.js";
import { Stack, type StackSnapshot } from "../stack/stack.js";
import { stackStatus } from "../stack/status.js";
import { openState } from "../state/open.js";
import { Cancelled, confirm, type CommandContext } from "./context.js";
import { Progress } from "./progress.js";
import { snapshotCost } from "../cost/estimate.js";
import { costChange } from "../stack/cost-change.js";
import { costChangeLine, costJson } from "./cost-command.js";
import { planJson, renderPlan, shortId } from "./render.js";

/**
 * Exit codes; `down` is `status`'s own: nothing of the stack is left at AWS; `stalePlan` is `up --plan FILE`'s:
 * what the saved plan assumed moved, nothing was changed (main.ts's help lists them).
 */
export const EXIT = { ok: 0, failed: 1, changes: 2, down: 3, stalePlan: 4, interrupted: 130 } as const;

/** The stack of the command's spec and state, with its secrets registered for redaction and progress wired. */
export async function openStack(c: CommandContext, options: { skipFinalSnapshot?: boolean; disableDeletionProtection?: boolean; keepImages?: boolean; everyKind?: boolean; anySpec?: boolean } = {}): Promise<Stack> {
  const progress = new Progress(c.out);
  const state = await openState(c.spec(), c.opts, c.out.io.env);
  // Run from elsewhere (a subdirectory of another project, another checkout), the defaults would plan to undo the spec.
  if (!options.anySpec && !c.opts.config && state.data.config) {
    throw new UserError(`the state at ${state.path} was last applied from ${state.data.config}, but no spontime.config.json was found here or above (up to the repository root): the seed's defaults would undo that spec`,
      `run from that spec's directory, or pass --config ${state.data.config}`);
  }
  const notice = (line: string) => c.out.err(c.out.paint("yellow", line));
  state.notice = notice;
  const stack = new Stack({
    ...(c.opts.debug ? { debug: c.out.debug } : {}), retrying: notice,
    spec: c.spec(), state, signal: c.signal, emit: progress.onEvent, env: c.out.io.env, takeOverDns: !!(c.opts as { takeOverDns?: boolean }).takeOverDns,
    ...(c.clock ? { clock: c.clock } : {}), ...options,
  });
  for (const w of stack.state.warnings) c.out.err(c.out.paint("yellow", `warning: ${w}`));
  c.out.addSecretsFrom(() => stack.sensitiveValues());
  return stack;
}

/** Runs a state-changing step under the lock, releasing it whatever happens, then says what the run noted. */
async function locked<T>(c: CommandContext, stack: Stack, command: string, fn: () => Promise<T>): Promise<T> {
  await stack.state.lock(command, c.opts.forceUnlock, (question) => confirm(c, question, "refusing to break another machine's lock"));
  try {
    // The state lock covers this state only; the claim in AWS covers the stack, whatever state another run uses.
    await stack.claim(command, c.opts.forceUnlock, (question) => confirm(c, question, "refusing to break another run's claim on the stack"));
    const result = await fn();
    await stack.state.flush();
    return result;
  } finally {
    await stack.releaseClaim();
    await stack.state.unlock();
    for (const n of stack.ctx.notices) c.out.err(n);
  }
}

/**
 * Live observations; from the state file alone with --offline, or when there are no credentials (said in one
 * line) unless --detailed-exitcode asks for a drift check, which must then fail (exit 1, as Terraform's refresh).
 */
async function observeOrRemember(c: CommandContext, stack: Stack): Promise<{ observed: Map<string, Live | undefined>; driftChecked: boolean }> {
  const { offline, detailedExitcode } = c.opts as { offline?: boolean; detailedExitcode?: boolean };
  if (!offline) {
    try {
      await stack.connect();
      return { observed: await stack.observe(), driftChecked: true };
    } catch (e) {
      if (!(e instanceof UserError && /no AWS credentials/.test(e.message))) throw e;
      if (detailedExitcode) throw new UserError(`${e.message}: cannot check the live stack for drift`, "fix the credentials, or run `plan --offline` for the state file's view (drift not checked)");
      c.out.err(c.out.paint("yellow", `No AWS credentials${e.message.replace(/^no AWS credentials( found)?/, "")}: planning from the state file alone (live drift not checked).`));
    }
  }
  return { observed: stack.observeFromState(), driftChecked: false };
}

/** A plan with a change AWS would refuse stops here, before any call that changes anything. */
function refuseImpossible(p: Plan): void {
  const refused = p.changes.filter((ch) => ch.refused);
  if (refused.length) throw new UserError(refused.map((ch) => `${ch.title}: ${ch.refused}`).join("; "));
}

/** The spec's risky-but-valid choices (src/config/warnings.ts), one line each, once the credentials are known good. */
const warnAboutSpec = (c: CommandContext, stack: Stack) => { for (const line of warningLines(stack.spec, stack.ctx.clock.now())) c.out.err(c.out.paint("yellow", line)); };

export async function plan(c: CommandContext<{ detailedExitcode?: boolean; restore?: string; out?: string }>): Promise<number> {
  restoreFlag(c);
  const stack = await openStack(c);
  const { observed, driftChecked } = await observeOrRemember(c, stack);
  if (driftChecked) await chooseRestore(c, stack, observed, "plan");
  warnAboutSpec(c, stack);
  await stack.refuseOtherCopies(observed); // as `up` would: the plan never promises what `up` refuses
  const p = stack.plan(observed, "up");
  if (c.opts.out) {
    if (!driftChecked) throw new UserError("a saved plan needs the live stack: no AWS credentials", "fix the credentials and run `plan --out` again");
    const { savedPlan } = await import("../stack/saved-plan.js");
    writeFileSync(c.opts.out, JSON.stringify(savedPlan(stack, p, new Date(stack.ctx.clock.now())), null, 2) + "\n", { mode: 0o600 });
  }
  if (c.opts.json) c.out.json({ ...planJson(p), cost: costJson(costChange(stack.spec, p)), driftChecked, ...(c.opts.out ? { savedTo: c.opts.out } : {}) });
  else {
    showPlan(c, stack, p, { driftChecked });
    if (c.opts.out) c.out.out(`\nSaved the plan to ${c.opts.out}: \`spontime-infra up --plan ${c.opts.out}\` applies exactly this, while nothing it saw has moved.`);
    if (p.changes.some((ch) => ch.action === "create")) {
      c.out.out("");
      (await import("./cost-command.js")).renderCost(c.out, c.spec());
    }
  }
  // A change AWS would refuse (drift RDS cannot undo) is shown with the plan, and why `up` will stop: exit 2.
  const refused = p.changes.filter((ch) => ch.refused);
  for (const ch of refused) c.out.err(c.out.paint("red", `up will refuse: ${ch.title}: ${ch.refused}`));
  return refused.length || (c.opts.detailedExitcode && hasDrift(p)) ? EXIT.changes : EXIT.ok;
}

const callsJson = (stack: Stack) => ({ total: stack.aws.stats.total, mutating: stack.aws.stats.mutating });

/**
 * Waits for the run's last state write: its failure is the run's (a result printed before it could say "ok" and
 * then exit 1). The error is rethrown by `locked`'s own flush, which reports it on stderr with the exit code.
 */
const lastWrite = (stack: Stack): Promise<Error | undefined> => stack.state.flush().then(() => undefined, (e: unknown) => e as Error);

/** The `--json` result of up/down: the plan, the outcome, root causes, and the AWS calls made. */
function applyJson(p: Plan, result: ApplyResult, stack: Stack, code: number, saveError?: Error) {
  return {
    ...planJson(p),
    outcome: code === EXIT.ok ? "ok" : result.interrupted ? "interrupted" : "failed",
    ...(saveError ? { error: { code: "StateWriteFailed", message: errorMessage(saveError) } } : {}),
    failures: result.failures.map((f) => ({ key: f.key, title: f.title, error: errorMessage(f.error) })),
    outputs: Object.fromEntries(result.outputs),
    applied: Object.fromEntries(result.applied),
    calls: callsJson(stack),
  };
}

export async function graph(c: CommandContext<{ dot?: boolean }>): Promise<number> {
  const stack = await openStack(c);
  const p = stack.plan((await observeOrRemember(c, stack)).observed, "up");
  const { renderGraph } = await import("./graph.js");
  c.out.out(renderGraph(stack.resources, stack.spec, p, c.opts.dot ? "dot" : "mermaid"));
  return EXIT.ok;
}

function reportApply(c: CommandContext, result: ApplyResult, verb: string, command: string): number {
  if (result.interrupted) {
    c.out.err(c.out.paint("yellow", `Interrupted: calls in flight finished and state is saved. Run \`spontime-infra ${command}\` again to finish.`));
    return EXIT.interrupted;
  }
  if (result.failures.length) {
    c.out.err(c.out.paint("red", `\n${result.failures.length} resource(s) could not be ${verb}:`));
    // The engine's messages already name the resource ("create <title>: <cause>"): said once.
    for (const f of result.failures) c.out.err(`  - ${errorMessage(f.error).includes(f.title) ? "" : `${f.title}: `}${errorMessage(f.error)}`);
    const skipped = [...result.results].filter(([, v]) => v.status === "skipped").length;
    if (skipped) c.out.err(`  (${skipped} dependent resource(s) were not attempted)`);
    c.out.err(result.failures.some((f) => f.error instanceof ChangedSincePlan)
      ? `Finished work is kept. Run \`spontime-infra plan\` to see what changed, then \`spontime-infra ${command}\` again.`
      : `Fix the cause and run \`spontime-infra ${command}\` again: finished work is kept.`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/** The plan, then what it changes in the monthly bill. */
function showPlan(c: CommandContext, stack: Stack, p: Plan, options: { driftChecked?: boolean } = {}): void {
  renderPlan(c.out, p, options);
  if (hasChanges(p)) c.out.out(costChangeLine(costChange(stack.spec, p)));
}

/**
 * What a person should agree to first, said as what really happens: deletes, replacements of what holds data,
 * and changes that briefly stop the app. "Data is lost" only for resources the engine marks `stateful`.
 */
function riskyChanges(p: Plan): string[] {
  return p.changes.flatMap((ch) => {
    const lost = ch.stateful ? " (data is lost)" : "";
    if (ch.action === "delete") return [`deletes ${ch.title}${lost}`];
    if (ch.action === "replace" && ch.stateful) return [`replaces ${ch.title}${lost}`];
    const downtime = ch.diffs.filter((d) => d.downtime);
    return ch.action === "update" && downtime.length ? [`changes ${downtime.map((d) => d.path).join(", ")} of ${ch.title} (brief downtime)`] : [];
  });
}

/**
 * The preflight before the first change of `up` or `down` (src/stack/doctor.ts): its warnings are said, its
 * errors stop the run before any change (exit 1). Only a run with changes pays for it: a no-op `up` makes no extra call.
 */
async function preflightFailed(c: CommandContext, stack: Stack, p: Plan): Promise<boolean> {
  const findings = await (await import("../stack/doctor.js")).preflight(stack, p);
  const { renderFindings, hasErrors } = await import("./doctor-command.js");
  renderFindings(c.out, findings.filter((f) => f.status !== "ok"), (line) => c.out.err(line));
  if (!hasErrors(findings)) return false;
  const message = `preflight: ${findings.filter((f) => f.status === "error").map((f) => f.check).join(", ")} would stop the run; nothing was changed`;
  const hint = `fix what each finding says and run \`spontime-infra ${p.mode}\` again (\`spontime-infra doctor\` runs every check)`;
  c.out.err(c.out.paint("red", `${message}.\n  ${hint}`));
  if (c.opts.json) c.out.json({ outcome: "failed", error: { code: "PreflightFailed", message, hint }, findings });
  return true;
}

const snapshotLine = (x: StackSnapshot) => `${x.id} (taken ${x.takenAt.slice(0, 16).replace("T", " ")} UTC, ${x.sizeGb} GB)`;

/** `--restore latest|<snapshot-id>|none`, checked before any AWS call. */
function restoreFlag(c: CommandContext<{ restore?: string }>): string | undefined {
  const flag = c.opts.restore;
  if (flag !== undefined && !/^(latest|none|[a-zA-Z][a-zA-Z0-9-]{0,254})$/.test(flag)) throw new UserError(`--restore ${flag}: use latest, none, or a snapshot id (spontime-infra snapshots lists them)`);
  return flag;
}

/**
 * A stack with no database but snapshots of its own must not silently start empty: `--restore` says what to do;
 * on a terminal `up` asks; otherwise it refuses (exit 2), listing the snapshots and the flag. `plan` never asks:
 * it shows the restore `--restore` names, or says that `up` will ask.
 */
async function chooseRestore(c: CommandContext<{ restore?: string }>, stack: Stack, observed: Observed, mode: "up" | "plan"): Promise<void> {
  const flag = restoreFlag(c);
  const snapshots = await stack.restorable(observed);
  if (!snapshots.length) {
    if (flag && flag !== "none" && !observed.get(stack.databaseKey)) throw new UserError(`--restore ${flag}: this stack has no available snapshot to restore`, "`spontime-infra snapshots` lists them; --restore none (or no flag) starts with an empty database");
    return;
  }
  const listed = snapshots.map(snapshotLine).join(", ");
  let choice = flag;
  if (!choice && mode === "plan") {
    c.out.err(c.out.paint("yellow", `The stack has no database but ${snapshots.length} snapshot(s) of its own: ${listed}. \`up\` asks whether to restore one (--restore latest|<snapshot-id>|none).`));
    return;
  }
  if (!choice) {
    if (!c.out.io.stdin.isTTY) {
      throw new UserError(`the stack has no database but ${snapshots.length} snapshot(s) of its own: ${listed}; refusing to start with an empty database unasked`, "run it again with --restore latest (or --restore <snapshot-id>) to bring the data back, or --restore none to start empty (the snapshots are kept)");
    }
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: c.out.io.stdin, output: c.out.io.stderr as NodeJS.WritableStream });
    try {
      const answer = (await rl.question(`The stack has no database but snapshot(s) of its own: ${listed}.\nRestore the database from ${snapshots[0]!.id}? Type "yes" to restore it, "no" to start with an empty database: `)).trim();
      if (answer !== "yes" && answer !== "no") throw new Cancelled("Nothing changed.");
      choice = answer === "yes" ? "latest" : "none";
    } finally {
      rl.close();
    }
  }
  if (choice === "none") {
    c.out.err(`Starting with an empty database; the snapshots are kept (and billed): \`spontime-infra snapshots\`.`);
    return;
  }
  const chosen = choice === "latest" ? snapshots[0] : snapshots.find((x) => x.id === choice);
  if (!chosen) throw new UserError(`--restore ${choice}: not an available snapshot of this stack; its snapshots: ${listed}`);
  stack.restoreFrom(chosen);
}

/** Reads `up --plan FILE` and refuses it (exit 4) if what it assumed moved; else the plan and what AWS has now. */
async function savedPlanStillHolds(c: CommandContext<{ plan?: string }>, stack: Stack): Promise<{ plan: Plan; observed: Observed } | { moved: string[] }> {
  const file = c.opts.plan!;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`cannot read the saved plan ${file}: ${errorMessage(e)}`, "save one with `spontime-infra plan --out FILE`");
  }
  const { parseSavedPlan, movedBeforeReading, movedAtAws } = await import("../stack/saved-plan.js");
  const saved = parseSavedPlan(text, file, stack);
  const early = movedBeforeReading(stack, saved);
  if (early.length) return { moved: early };
  await stack.connect();
  const observed = await stack.observe();
  const moved = movedAtAws(saved, observed);
  return moved.length ? { moved } : { plan: saved.plan, observed };
}

export async function up(c: CommandContext<{ wake?: boolean; skipPreflight?: boolean; restore?: string; plan?: string }>): Promise<number> {
  restoreFlag(c);
  const stack = await openStack(c);
  return locked(c, stack, "up", async () => {
    let p: Plan;
    let observed: Observed;
    if (c.opts.plan) {
      const saved = await savedPlanStillHolds(c, stack);
      if ("moved" in saved) {
        const message = `the saved plan ${c.opts.plan} is stale: ${saved.moved.join("; ")}`;
        const hint = "run `spontime-infra plan --out FILE` again, review it, and apply that";
        c.out.err(c.out.paint("red", `error: ${message}\n  ${hint}`));
        if (c.opts.json) c.out.json({ outcome: "failed", error: { code: "StalePlan", message, hint, moved: saved.moved } });
        return EXIT.stalePlan;
      }
      ({ plan: p, observed } = saved);
      // A saved plan was reviewed when it was saved: applied as it stands, unasked (Terraform's `apply FILE`).
      if (!c.opts.json) showPlan(c, stack, p);
    } else {
      await stack.connect();
      warnAboutSpec(c, stack);
      observed = await stack.observe();
      await chooseRestore(c, stack, observed, "up");
      if (stack.spec.asleep.service) {
        if (c.opts.wake) {
          stack.chooseAsleep(false);
          observed = await stack.observe();
        } else if (!stack.spec.asleep.bySchedule) {
          c.out.err(c.out.paint("yellow", "The stack is asleep: `up` keeps it asleep (0 tasks). Use `spontime-infra wake` or `up --wake`."));
        }
      }
      await stack.refuseOtherCopies(observed);
      p = stack.plan(observed, "up");
      refuseImpossible(p);
      // Drift `up` will not repair is said every time, with why, so nobody mistakes it for a repair that failed.
      for (const { change, diff } of leftAlone(p)) c.out.err(c.out.paint("yellow", `Left alone: ${diff.path} of ${change.title} is ${JSON.stringify(diff.before)} (the spec has ${JSON.stringify(diff.after)}): ${diff.leftAlone}.`));
      if (!hasChanges(p)) {
        c.out.err(leftAlone(p).length ? "No other changes." : "No changes: the stack matches the spec.");
      } else {
        if (!c.opts.json) showPlan(c, stack, p);
        if (!c.opts.skipPreflight && (await preflightFailed(c, stack, p))) return EXIT.failed;
        // Any change is asked for (it may start a ~$50/month stack); what deletes, replaces or stops is said in the question.
        const risky = riskyChanges(p);
        const question = `${risky.length ? `This ${risky.join("; ")}. ` : ""}Apply the plan above?`;
        const refusal = risky.length ? "refusing to delete or replace resources, or stop the app, unasked" : "refusing to create or change the stack unasked";
        if (!(await confirm(c, question, refusal))) throw new Cancelled("Nothing changed.");
      }
    }
    // Which spec the stack was applied from: a later run that finds none refuses (openStack) instead of planning the defaults.
    const config = c.opts.config ? resolve(c.opts.config) : undefined;
    if (stack.state.data.config !== config) {
      stack.state.data.config = config;
      stack.state.save();
    }
    const result = await stack.applyUp(p, observed);
    const saveError = await lastWrite(stack);
    const code = saveError ? EXIT.failed : reportApply(c, result, "created or updated", "up");
    if (c.opts.json) {
      c.out.json({ ...applyJson(p, result, stack, code, saveError), cost: costJson(costChange(stack.spec, p)) });
    } else if (code === EXIT.ok) {
      if (hasChanges(p)) c.out.err(c.out.paint("green", "Done."));
      const url = stack.fromState.url(result.outputs);
      if (url) c.out.out(`App URL: ${url}`);
      if (stack.fromState.awaitingFirstDeploy(result.outputs)) {
        c.out.out("Waiting for the first deploy: push an image and run `spontime-infra deploy --tag <tag>` (the service runs 0 tasks until then).");
      }
    }
    return code;
  });
}

/**
 * `sleep` and `wake`: the plan (only its changes, and a one-line summary), then exactly that applied; with
 * `--dry-run`, the plan alone. Returns undefined for a dry run, else the exit code and what was applied.
 */
async function sleepOrWake(c: CommandContext<{ dryRun?: boolean }>, stack: Stack, asleep: boolean): Promise<{ code: number; result?: ApplyResult } | undefined> {
  const command = asleep ? "sleep" : "wake";
  const apply = async () => {
    await stack.connect();
    const { plan: p, observed } = await stack.planSleep(asleep);
    refuseImpossible(p);
    renderPlan(c.out, p);
    if (c.opts.dryRun) return undefined;
    if (!hasChanges(p)) return { code: EXIT.ok };
    const result = await stack.applyUp(p, observed);
    return { code: reportApply(c, result, asleep ? "put to sleep" : "woken", command), result };
  };
  // A dry run changes nothing: it takes no lock, as `plan` does.
  return c.opts.dryRun ? apply() : locked(c, stack, command, apply);
}

export async function sleep(c: CommandContext<{ dryRun?: boolean }>): Promise<number> {
  const stack = await openStack(c);
  const done = await sleepOrWake(c, stack, true);
  if (!done) return EXIT.ok;
  if (done.code === EXIT.ok) {
    c.out.out("Asleep: the service runs 0 tasks and the database is stopped; the load balancer stays (see `spontime-infra cost`).");
    c.out.out("RDS starts a stopped instance again by itself after 7 days: run `spontime-infra sleep` again then. `spontime-infra wake` brings it all back.");
  }
  return done.code;
}

export async function wake(c: CommandContext<{ healthTimeout?: string; dryRun?: boolean }>): Promise<number> {
  const timeout = c.opts.healthTimeout ?? WAIT_DEFAULTS.wakeHealth;
  const timeoutMs = parseDuration(timeout);
  if (timeoutMs === undefined) throw new UserError(`--health-timeout ${timeout}: use a duration like 90s, 10m or 1h`);
  const stack = await openStack(c);
  const done = await sleepOrWake(c, stack, false);
  if (!done) return EXIT.ok;
  if (done.code !== EXIT.ok) return done.code;
  const url = stack.fromState.url(done.result?.outputs);
  if (stack.fromState.awaitingFirstDeploy(done.result?.outputs) || !url) {
    c.out.out("Awake. No image deployed yet: nothing to health-check.");
    return EXIT.ok;
  }
  const health = `${url}${stack.spec.app.healthPath}`;
  const { httpGet } = await import("../app/context.js");
  const { waitHealthy } = await import("../app/health.js");
  const answer = await waitHealthy({ clock: stack.ctx.clock, signal: c.signal, http: c.http ?? httpGet }, health, timeoutMs, (line) => c.out.err(line));
  if (answer.ok) {
    c.out.out(`Awake: ${health} answers 200.`);
    return EXIT.ok;
  }
  c.out.err(c.out.paint("red", `Awake, but ${health} did not answer 200 within ${timeout} (last: ${answer.last}); see \`spontime-infra logs\`.`));
  return EXIT.failed;
}

export async function down(c: CommandContext<{ skipFinalSnapshot?: boolean; skipPreflight?: boolean; disableDeletionProtection?: boolean; keepImages?: boolean }>): Promise<number> {
  const stack = await openStack(c, { skipFinalSnapshot: !!c.opts.skipFinalSnapshot, disableDeletionProtection: !!c.opts.disableDeletionProtection, keepImages: !!c.opts.keepImages, everyKind: true });
  return locked(c, stack, "down", async () => {
    await stack.connect();
    const observed = await stack.observe();
    const p = stack.plan(observed, "down");
    if (!hasChanges(p)) {
      c.out.err("Nothing to delete: no resource of this stack was found.");
      if (c.opts.json) c.out.json({ ...planJson(p), outcome: "ok", failures: [], calls: callsJson(stack) });
      return EXIT.ok;
    }
    const blockers = stack.deletionBlockers(observed);
    if (blockers.length && !c.opts.disableDeletionProtection) {
      throw new UserError(
        `refusing to delete the stack: deletion protection is on for ${blockers.join(" and ")}; nothing was deleted`,
        "run `spontime-infra down --disable-deletion-protection` to turn it off and delete everything",
      );
    }
    if (!c.opts.json) renderPlan(c.out, p);
    if (!c.opts.skipPreflight && (await preflightFailed(c, stack, p))) return EXIT.failed;
    const warnings = [...stack.deleteWarnings(observed), ...(blockers.length ? [`turning off the deletion protection of ${blockers.join(" and ")}`] : [])];
    // Said even with --yes: the one delete nothing can undo.
    const lost = stack.dataLost(observed);
    if (lost && c.opts.yes) c.out.err(c.out.paint("yellow", `--skip-final-snapshot --yes: deleting ${lost}.`));
    if (!(await confirm(c, `This deletes ${p.changes.length} resources${warnings.length ? `, including ${warnings.join(" and ")}` : ""}.`, "refusing to delete the stack"))) {
      throw new Cancelled("Nothing deleted.");
    }
    const result = await stack.applyDown(p, observed);
    const saveError = await lastWrite(stack);
    let code = saveError ? EXIT.failed : reportApply(c, result, "deleted", "down");
    if (code === EXIT.ok) {
      // Gone means gone at AWS: everything tagged for the stack (and named like it) is listed once more.
      const left = [...(await stack.observe())].filter(([key, live]) => live && !stack.keptByDown.includes(key));
      if (left.length) {
        c.out.err(c.out.paint("red", `Still there after down: ${left.map(([key, live]) => `${key} ${shortId(live!.id)}`).join(", ")}. Run \`spontime-infra down\` again.`));
        code = EXIT.failed;
      }
    }
    if (c.opts.json) c.out.json(applyJson(p, result, stack, code, saveError));
    else if (code === EXIT.ok) c.out.err(c.out.paint("green", stack.keptByDown.length ? "The stack is gone but for its ECR repository and images (--keep-images): the next `up` uses them again." : "The stack is gone."));
    return code;
  });
}

/**
 * A stack with nothing left at AWS is down, whatever the state file says (it may still say "asleep"): `status` says
 * so, with the snapshots that still cost, and exits EXIT.down.
 */
async function reportDown(c: CommandContext, stack: Stack): Promise<number> {
  const kept = await stack.snapshots();
  const gb = kept.reduce((sum, x) => sum + x.sizeGb, 0);
  const monthly = Number(snapshotCost(gb).monthly);
  const line = `down; ${kept.length ? `${kept.length} snapshot${kept.length === 1 ? "" : "s"} kept (${kept.filter((x) => x.id.includes("-final-")).length} final), ${gb} GB, about $${monthly.toFixed(2)}/month` : "nothing kept"}`;
  if (c.opts.json) c.out.json({ state: "down", snapshots: kept, monthly, summary: line });
  else {
    c.out.out(`State:       ${line}`);
    c.out.out(kept.length ? "`spontime-infra up` brings it back (it asks whether to restore the database: --restore latest|<id>|none); `spontime-infra snapshots` lists what is kept." : "`spontime-infra up` creates it.");
  }
  return EXIT.down;
}

export async function status(c: CommandContext): Promise<number> {
  const stack = await openStack(c);
  await stack.connect();
  const observed = await stack.observe();
  if (![...observed.values()].some(Boolean)) return reportDown(c, stack);
  const { summary, rows } = await stackStatus(stack, observed);
  if (c.opts.json) {
    c.out.json({ ...summary, resources: rows });
    return EXIT.ok;
  }
  c.out.out(`App URL:     ${summary.url ?? "(no load balancer)"}`);
  if (summary.asleep) c.out.out("State:       asleep (run `spontime-infra wake`)");
  if (summary.schedule) c.out.out(`Schedule:    awake ${summary.schedule.awake.join(", ")} (${summary.schedule.timezone})${summary.schedule.next ? `; next ${summary.schedule.next.action} ${summary.schedule.next.at}` : ""}`);
  c.out.out(`Tasks:       ${summary.tasks ? `${summary.tasks.running}/${summary.tasks.desired} running` : "(no service)"}${summary.awaitingFirstDeploy ? " (waiting for the first deploy)" : ""}`);
  if (summary.lastDeployment) c.out.out(`Deployment:  ${summary.lastDeployment}${summary.image ? ` (${summary.image})` : ""}`);
  c.out.out(`Targets:     ${summary.targets.length ? summary.targets.map((t) => `${t.target} ${t.state}${t.reason ? ` (${t.reason})` : ""}`).join(", ") : "(none registered)"}`);
  c.out.out(`Database:    ${summary.database ? `${summary.database.status} ${summary.database.endpoint}` : "(none)"}`);
  c.out.out("");
  const width = Math.max(...rows.map((r) => r.title.length));
  const idWidth = Math.max(...rows.map((r) => shortId(r.id).length));
  const stateWidth = Math.max(...rows.map((r) => r.state.length));
  for (const r of rows) {
    const sync = r.sync === "in sync" ? c.out.paint("green", r.sync) : c.out.paint(r.sync === "missing" ? "red" : "yellow", r.sync);
    c.out.out(`${r.title.padEnd(width)}  ${shortId(r.id).padEnd(idWidth)}  ${r.state.padEnd(stateWidth)}  ${sync}${r.fields.length && r.sync === "drifted" ? ` (${r.fields.join(", ")})` : ""}`);
  }
  return EXIT.ok;
}

/** What scripts need, from the state file (no AWS call); secrets only on request. */
export async function outputs(c: CommandContext<{ showSecrets?: boolean }>): Promise<number> {
  const values = (await openStack(c, { anySpec: true })).fromState.outputs(!!c.opts.showSecrets);
  if (c.opts.json) c.out.json(values);
  else for (const [k, v] of Object.entries(values)) c.out.out(`${k.padEnd(18)} ${v ?? "-"}`);
  return EXIT.ok;
}
