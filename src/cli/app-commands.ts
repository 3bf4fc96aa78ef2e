import { Aws } from "../aws/clients.js";
import { findService } from "../aws/ecs.js";
import { ciPolicy } from "../app/ci-policy.js";
import { httpGet, type AppCtx } from "../app/context.js";
import { deploy as runDeploy, type DeployOptions } from "../app/deploy.js";
import { followLogs, parseDuration, readLogs, type LogLine } from "../app/logs.js";
import { runOneOff } from "../app/tasks.js";
import { realClock } from "../engine/clock.js";
import { UserError } from "../errors.js";
import { names } from "../config/names.js";
import { StateStore } from "../state/store.js";
import type { CommandContext } from "./context.js";
import { EXIT } from "./stack-commands.js";

/** deploy, run and logs work from the spec alone: CI has no state file. */
async function appCtx(c: CommandContext): Promise<AppCtx> {
  const spec = c.spec();
  const clock = c.clock ?? realClock;
  const debug = c.opts.debug ? { debug: c.out.debug } : {};
  const aws = new Aws({ region: spec.region, ...(spec.profile ? { profile: spec.profile } : {}), ...debug }, clock, c.signal);
  await aws.checkCredentials(c.out.io.env);
  let last = "";
  let lastAt = -Infinity;
  return {
    spec, names: names(spec), aws, clock, signal: c.signal, http: c.http ?? httpGet,
    // A line when something changes, else a heartbeat a minute: CI logs stay short but never look stuck.
    progress: (line) => {
      const what = line.replace(/\s*\[\d+s\]$/, "");
      if (what === last && clock.now() - lastAt < 60_000) return;
      last = what;
      lastAt = clock.now();
      c.out.err(line);
    },
  };
}

const formatLine = (l: LogLine) => `${new Date(l.timestamp).toISOString()} [${l.task.slice(0, 8)}] ${l.message}`;

function durationOption(value: string | undefined, flag: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined) throw new UserError(`${flag} ${value}: use a duration like 90s, 10m or 1h`);
  return ms;
}

export async function deploy(c: CommandContext<{ image?: string; tag?: string; migrate?: string; healthTimeout?: string; timeout?: string }>): Promise<number> {
  if (!c.opts.image === !c.opts.tag) throw new UserError("deploy needs exactly one of --image <uri:tag> or --tag <tag>");
  const options: DeployOptions = {
    ...(c.opts.image ? { image: c.opts.image } : {}),
    ...(c.opts.tag ? { tag: c.opts.tag } : {}),
    ...(c.opts.migrate ? { migrate: c.opts.migrate } : {}),
    healthTimeoutMs: durationOption(c.opts.healthTimeout, "--health-timeout", 120_000),
    rolloutTimeoutMs: durationOption(c.opts.timeout, "--timeout", 20 * 60_000),
  };
  const ctx = await appCtx(c);
  const result = await runDeploy(ctx, options);
  if (c.opts.json) c.out.json(result);
  if (result.outcome === "succeeded") {
    if (!c.opts.json) c.out.out(`Deployed ${result.image}: ${result.url} is healthy (rollout ${Math.round(result.durationsMs.rollout / 1000)} s).`);
    return EXIT.ok;
  }
  c.out.err(c.out.paint("red", `Deploy failed: ${result.reason}`));
  for (const d of result.details) c.out.err(`  ${d}`);
  return EXIT.failed;
}

export async function run(c: CommandContext<{ args: string[] }>): Promise<number> {
  const command = c.opts.args;
  if (!command.length) throw new UserError("run needs a command after --, e.g. spontime-infra run -- python manage.py migrate");
  const ctx = await appCtx(c);
  const service = await findService(ctx);
  if (!service?.taskDefinition) throw new UserError(`no ECS service ${ctx.names.service} to take the task definition and network from`, "run `spontime-infra up` and a first `deploy`");
  const { exitCode } = await runOneOff(ctx, service, service.taskDefinition, command, (l) => c.out.out(l.message));
  c.out.err(`exit code ${exitCode}`);
  return exitCode;
}

export async function logs(c: CommandContext<{ follow?: boolean; since?: string; lines?: string }>): Promise<number> {
  const ctx = await appCtx(c);
  const startTime = ctx.clock.now() - durationOption(c.opts.since, "--since", 10 * 60_000);
  const print = (l: LogLine) => (c.opts.json ? c.out.out(JSON.stringify(l)) : c.out.out(formatLine(l)));
  if (c.opts.follow) {
    await followLogs(ctx, { startTime }, print);
    return EXIT.ok;
  }
  const limit = Number(c.opts.lines ?? 100);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--lines ${c.opts.lines}: must be a positive whole number`);
  // Newest first: the line you are looking for after a failure is usually the last one written.
  for (const l of (await readLogs(ctx, { startTime })).reverse().slice(0, limit)) print(l);
  return EXIT.ok;
}

export async function ciPolicyCommand(c: CommandContext): Promise<number> {
  const spec = c.spec();
  const state = new StateStore(c.opts.stateDir, spec.appName, spec.region);
  // The account id is in the repository URI once `up` has run; "*" otherwise.
  const account = state.data.resources["ecr-repository"]?.outputs.repositoryUri?.split(".")[0];
  c.out.json(ciPolicy(spec, account));
  return EXIT.ok;
}
