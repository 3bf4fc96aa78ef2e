import { Argument, Command, CommanderError, Option } from "commander";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { HttpGet } from "../app/context.js";
import type { Clock } from "../shared/clock.js";
import { WAIT_DEFAULTS } from "../config/defaults.js";
import { findConfig } from "../config/find.js";
import { UserError } from "../errors.js";
import { failureOf } from "../stack/failure.js";
import { releaseHeldLocks } from "../state/held.js";
import { Cancelled, makeSpecLoader, type CommandContext, type GlobalOptions } from "./context.js";
import { Output, type Io } from "./output.js";

export interface MainOptions { io?: Io; clock?: Clock; signal?: AbortSignal; http?: HttpGet }

const TAKE_OVER_DNS = "repoint https.domain at this stack even when its Route 53 record points elsewhere (refused without it)";

type Handler = (c: CommandContext<never>) => Promise<number>;

// package.json is three levels up from tsc's dist/src/cli/main.js, two from the bundle's dist/cli/ (scripts/bundle.js).
const PACKAGE_JSON = new URL(import.meta.url.endsWith("/dist/src/cli/main.js") ? "../../../package.json" : "../../package.json", import.meta.url);
const VERSION = (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version: string }).version;

/** Runs the CLI and returns its exit code: 0 ok, 1 failed, 2 bad input (or changes, for plan --detailed-exitcode), 130 interrupted. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const given: Io = options.io ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  // Whether stdout got anything: a command that printed its own --json document before failing needs no second one.
  let printed = false;
  const io: Io = { ...given, stdout: { isTTY: given.stdout.isTTY, write: (s: string) => { printed = true; return given.stdout.write(s); } } };
  let exitCode = 0;
  // What was asked before `--` (after it, flags belong to `run`'s command): needed even when parsing fails.
  const flags = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  let debug = flags.includes("--debug");
  // The command's Output, once it has one: the interrupt notice goes through it, above a live progress table.
  let current: Output | undefined;
  const notify = (line: string) => {
    const out = current ?? new Output(io, { color: false });
    out.err(out.liveShown ? line : `\n${line}`);
  };
  const ownSignal = !options.signal ? interruptSignal(notify, ["deploy", "rollback", "releases", "run", "logs"].includes(flags.find((a) => !a.startsWith("-")) ?? "")) : undefined;
  const signal = options.signal ?? ownSignal!.signal;

  const program = new Command("spontime-infra")
    .description("Stands up, deploys to and tears down the Spontime POC stack on AWS (VPC, ALB, ECS Fargate, RDS PostGIS).")
    .version(VERSION)
    .addOption(new Option("-c, --config <file>", "spec file").default(undefined, "spontime.config.json if present, else the seed defaults"))
    .option("--state-dir <dir>", "where state files live", "state")
    .option("--state-bucket <bucket>", "keep the state in this S3 bucket (team state; also SPONTIME_STATE_BUCKET or the spec's state)")
    .option("--region <region>", "the stack's AWS region when the spec names none (then before AWS_REGION/AWS_DEFAULT_REGION); a spec's region wins and a different one is refused")
    .option("--profile <profile>", "AWS profile (overrides the spec and AWS_PROFILE)")
    .option("--no-color", "no colours (also NO_COLOR=1)")
    .option("--debug", "print each AWS call and the stack of errors")
    .option("--force-unlock", "break a lock held on another machine by a run that is gone (asks first; never a running one here)")
    .addHelpText("after", `
Examples:
  $ spontime-infra plan                      # offline without credentials: what \`up\` would create
  $ spontime-infra up                        # the plan and its monthly cost, asks, then stands the stack up (about 15 minutes, RDS is the long pole)
  $ spontime-infra deploy --tag $GITHUB_SHA  # CI: new image, wait for the rollout, health-check
  $ spontime-infra down --yes                # delete everything (the DB leaves a final snapshot)

Exit codes: 0 ok, 1 AWS or apply failure, 2 bad input, 3 \`status\`: the stack is down (nothing left at AWS but
any snapshots it kept), 4 \`up --plan\`: the saved plan is stale, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).`)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  // Command modules load on use (`load`): `--help` and `validate` never pay for the AWS SDK.
  const add = (name: string, description: string, example: string, load: () => Promise<Handler>) => {
    const cmd = program.command(name).description(description).addHelpText("after", `\nExample:\n  $ spontime-infra ${example}\n`);
    cmd.action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const opts = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      debug = !!opts.debug;
      const out = (current = new Output(io, { color: opts.color, showSecrets: !!opts.showSecrets }));
      if (opts.config === undefined && name !== "init") findSpec(opts, command.getOptionValueSourceWithGlobals("stateDir") === "default", out);
      const handler = await load();
      exitCode = await handler({ opts: { ...opts, args: command.args } as never, out, signal, ...(options.clock ? { clock: options.clock } : {}), ...(options.http ? { http: options.http } : {}), spec: await makeSpecLoader(opts, io.env) });
    });
    return cmd;
  };

  add("validate", "check the spec and the state file without calling AWS", "validate --config spontime.config.json",
    async () => (await import("./local-commands.js")).validate);
  add("schema", "print the JSON Schema of spontime.config.json", "schema > spontime.schema.json",
    async () => (await import("./local-commands.js")).schema);
  add("init", "write spontime.config.json with the defaults and a $schema for editor completion", "init",
    async () => (await import("./local-commands.js")).init);
  add("graph", "print the resource dependency graph, each node with its status (Mermaid, or DOT)", "graph > stack.mmd",
    async () => (await import("./stack-commands.js")).graph)
    .option("--dot", "Graphviz DOT instead of Mermaid");
  add("plan", "show what `up` would change (works offline from the state file)", "plan --detailed-exitcode",
    async () => (await import("./stack-commands.js")).plan)
    .option("--json", "machine-readable plan")
    .option("--detailed-exitcode", "exit 0 when nothing changes, 2 when something would, 1 on any error (no credentials included)")
    .option("--offline", "plan from the state file alone, without AWS calls (live drift not checked)")
    .option("--take-over-dns", TAKE_OVER_DNS)
    .option("--restore <latest|snapshot-id|none>", "plan the database's restore as `up --restore` would")
    .option("--out <file>", "also save the plan (no secrets in it) for `up --plan <file>`")
    .addHelpText("after", "  $ spontime-infra plan --out plan.json && spontime-infra up --plan plan.json   # CI: apply the reviewed plan\n");
  add("up", "create or update the stack until it matches the spec", "up --yes",
    async () => (await import("./stack-commands.js")).up)
    .option("-y, --yes", "do not ask before changing the stack (required without a terminal when there are changes)")
    .option("--json", "print the plan and the result (outcome, outputs, AWS calls made) as JSON")
    .option("--wake", "also wake a sleeping stack")
    .option("--plan <file>", "apply exactly this saved plan (`plan --out`); exit 4 if the state, the spec or AWS moved since")
    .option("--skip-preflight", "do not check permissions and quotas first (see `doctor`)")
    .option("--take-over-dns", TAKE_OVER_DNS)
    .option("--restore <latest|snapshot-id|none>", "with no database but snapshots of the stack's: restore the newest, that one, or start empty (asked on a terminal, required without one)");
  add("doctor", "check credentials, permissions, quotas, AZs and names before `up` (exit 1 on any error)", "doctor --json",
    async () => (await import("./doctor-command.js")).doctor)
    .option("--json", "{ outcome, findings: [{ check, status, message, hint }] }");
  add("down", "delete every resource of the stack, dependents first", "down --yes --skip-final-snapshot",
    async () => (await import("./stack-commands.js")).down)
    .option("-y, --yes", "do not ask for confirmation (required without a terminal)")
    .option("--skip-final-snapshot", "delete the database without a final snapshot")
    .option("--skip-preflight", "do not check the delete permissions first (see `doctor`)")
    .option("--disable-deletion-protection", "turn off deletion protection someone turned on (database, load balancer), then delete")
    .option("--keep-images", "keep the ECR repository and its images (the next up uses it again)")
    .option("--json", "print the result as JSON");
  add("status", "show the live stack: URL, tasks, targets, database, and drift per resource", "status --json",
    async () => (await import("./stack-commands.js")).status)
    .option("--json", "machine-readable status");
  add("outputs", "print the stack's outputs from the state file (URL, ECR URI, names)", "outputs --json | jq -r .ecrRepositoryUri",
    async () => (await import("./stack-commands.js")).outputs)
    .option("--json", "machine-readable outputs")
    .option("--show-secrets", "include the DB password, SECRET_KEY and DATABASE_URL");

  add("state", "team state in S3: create the bucket, pull or push the state, move it between local and S3", "state bootstrap --bucket acme-spontime-state",
    async () => (await import("./state-commands.js")).state)
    .addArgument(new Argument("<action>", "bootstrap | pull | push | migrate").choices(["bootstrap", "pull", "push", "migrate"]))
    .argument("[file]", "push: the state file to upload")
    .option("--bucket <bucket>", "bootstrap: the bucket to create (or check)")
    .addOption(new Option("--to <backend>", "migrate: where the state goes").choices(["s3", "local"]))
    .option("-o, --output <file>", "pull: write the state to this file (mode 0600) instead of stdout")
    .option("--version-id <id>", "pull: that earlier version of the S3 state object (a corrupt state's error lists them)")
    .option("-y, --yes", "do not ask before breaking another machine's lock")
    .option("--json", "print the result as JSON")
    .addHelpText("after", `  $ spontime-infra state migrate --to s3 --state-bucket acme-spontime-state   # then set "state" in the spec
  $ spontime-infra state pull -o backup.json
  $ spontime-infra state pull --version-id 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY -o good.json && spontime-infra state push good.json
`);
  add("sleep", "stop paying for compute while nobody uses the stack: 0 tasks, database stopped", "sleep",
    async () => (await import("./stack-commands.js")).sleep)
    .option("-y, --yes", "accepted for symmetry: sleep asks nothing")
    .option("--dry-run", "show what sleep would change, and change nothing");
  add("wake", "start the database, bring the service back, health-check", "wake",
    async () => (await import("./stack-commands.js")).wake)
    .option("-y, --yes", "accepted for symmetry: wake asks nothing")
    .option("--dry-run", "show what wake would change, and change nothing")
    .option("--health-timeout <duration>", `how long the health URL may take to answer 200 (default ${WAIT_DEFAULTS.wakeHealth})`);
  add("cost", "monthly cost estimate of the stack, and what would save money", "cost --json",
    async () => (await import("./cost-command.js")).cost)
    .option("--json", "machine-readable estimate");
  add("deploy", "roll out a new image: register a revision, update the service, follow the rollout, health-check", "deploy --tag $GITHUB_SHA --migrate \"python manage.py migrate --noinput\"",
    async () => (await import("./app-commands.js")).deploy)
    .option("--image <uri>", "full image URI with tag")
    .option("--tag <tag>", "a tag of the stack's ECR repository")
    .option("--migrate <command>", "run this in a one-off task with the new image first; a failure stops the deploy")
    .option("--timeout <duration>", `deadline for the whole deploy: migration, rollout and health check (default ${WAIT_DEFAULTS.deploy}); past it the service is restored`)
    .option("--health-timeout <duration>", `how long the health URL may take to answer 200 (default ${WAIT_DEFAULTS.deployHealth})`)
    .option("--json", "print the result as JSON");
  add("releases", "the stack's deploy history, newest first: revision, image tag and digest, when, by whom, outcome", "releases --limit 5",
    async () => (await import("./app-commands.js")).releases)
    .option("--limit <count>", "at most this many releases", "20")
    .option("--json", "{ outcome, releases: [...] }");
  add("rollback", "redeploy the last healthy release before the current one (or --to one), followed like deploy", "rollback --to 7",
    async () => (await import("./app-commands.js")).rollback)
    .option("--to <revision|tag>", "the release to go back to: a task-definition revision (7) or an image tag")
    .option("-y, --yes", "accepted for symmetry: rollback asks nothing (like deploy)")
    .option("--timeout <duration>", `deadline for the whole rollback (default ${WAIT_DEFAULTS.deploy}); past it the service is restored`)
    .option("--health-timeout <duration>", `how long the health URL may take to answer 200 (default ${WAIT_DEFAULTS.deployHealth})`)
    .option("--json", "print the result as JSON");
  add("snapshots", "the stack's DB snapshots (final and manual): when, size, monthly cost; `snapshots delete <id>` removes one (asks first)", "snapshots delete spontime-poc-final-20261203070000",
    async () => (await import("./app-commands.js")).snapshots)
    .argument("[action]", "delete")
    .argument("[id]", "delete: the snapshot")
    .option("-y, --yes", "do not ask before deleting (required without a terminal)")
    .option("--json", "{ outcome, snapshots: [...], monthly }");
  add("run", "run a one-off task (service's image and network) and stream its logs; exits with its exit code", "run -- python manage.py createsuperuser --noinput",
    async () => (await import("./app-commands.js")).run)
    .argument("[command...]", "the command, after --")
    .option("--timeout <duration>", `stop the task if it runs longer (default ${WAIT_DEFAULTS.run})`)
    .option("--json", "the task's exit code and stop reason as JSON (its output goes to stderr)");
  add("logs", "show the app's logs, oldest first, or follow them", "logs --follow --since 30m",
    async () => (await import("./app-commands.js")).logs)
    .option("-f, --follow", "keep printing new lines")
    .option("--since <duration>", `how far back (default ${WAIT_DEFAULTS.logsSince})`)
    .option("-n, --lines <count>", "at most this many lines (without --follow)", "100")
    .option("--json", "one JSON document with the lines (with --follow: one JSON object per line)");
  add("ci-policy", "print the least-privilege IAM policy for the CI user that runs deploy", "ci-policy > ci-policy.json",
    async () => (await import("./app-commands.js")).ciPolicyCommand);

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    exitCode = reportError(e, io, { debug, json: flags.includes("--json") && !printed, detailedExitcode: flags.includes("--detailed-exitcode") });
  } finally {
    ownSignal?.dispose();
  }
  return ownSignal?.terminated() ? 143 : exitCode; // asked to terminate: 128 + SIGTERM, as a shell reports it
}

/**
 * Without --config, the spec is the nearest spontime.config.json from the working directory up to the repository
 * root, said on stderr; found above the working directory, the default state directory is the one beside it,
 * so a run from a subdirectory is the same stack with the same state.
 */
function findSpec(opts: GlobalOptions, defaultStateDir: boolean, out: Output): void {
  const found = findConfig(process.cwd());
  if (!found) return;
  opts.config = found;
  opts.configFound = true;
  const above = dirname(found) !== resolve(process.cwd());
  if (above && defaultStateDir) opts.stateDir = join(dirname(found), opts.stateDir);
  out.err(out.paint("dim", `Using ${relative(process.cwd(), found)}${above && defaultStateDir ? ` (state in ${relative(process.cwd(), opts.stateDir)})` : ""}`));
}

/**
 * The one place a failure becomes an exit code and a message: stderr for people, and with --json one
 * `{"outcome":"failed","error":{...}}` document on stdout, whatever step failed. Bad input exits 2, except with
 * --detailed-exitcode where 2 means "changes" and every error is 1, as Terraform's.
 */
function reportError(e: unknown, io: Io, flags: { debug: boolean; json: boolean; detailedExitcode: boolean }): number {
  const out = new Output(io, { color: false });
  const usage = flags.detailedExitcode ? 1 : 2;
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" || e.exitCode === 0) return 0;
    // commander already printed the message on stderr
    if (flags.json) out.json(failureJson({ code: "BadInput", message: e.message.replace(/^error: /, ""), hint: "run with --help for usage" }));
    return usage;
  }
  if (e instanceof Cancelled) {
    out.err(e.message);
    if (flags.json) out.json({ outcome: "cancelled", error: { code: "Cancelled", message: e.message } });
    return 1;
  }
  if (e instanceof UserError) {
    out.err(`error: ${e.message}${e.hint ? `\n  ${e.hint}` : ""}`);
    if (flags.json) out.json(failureJson({ code: "BadInput", message: e.message, ...(e.hint ? { hint: e.hint } : {}) }));
    return usage;
  }
  const failure = failureOf(e);
  out.err(`error: ${failure.message}`);
  if (failure.requestId) out.err(`  AWS ${failure.awsName}, request id ${failure.requestId}`);
  if (flags.debug && e instanceof Error) out.err(e.stack ?? "");
  else if (failure.internal) out.err("  (run with --debug for the stack trace)");
  if (flags.json) out.json(failureJson({ code: failure.code, message: failure.message, ...(failure.requestId ? { requestId: failure.requestId } : {}), hint: awsHint(failure.code) }));
  return 1;
}

const failureJson = (error: { code: string; message: string; requestId?: string; hint?: string }) => ({ outcome: "failed", error });

/** What to do next, by error code: the permission page for a refusal, --debug for everything else. */
const awsHint = (code: string) => (/AccessDenied|UnauthorizedOperation|AuthorizationError|NotAuthorized/.test(code)
  ? "the AWS identity lacks a permission: see the README's \"AWS permissions\" (`spontime-infra ci-policy` for CI)"
  : "run with --debug for each AWS call and the stack trace");

/**
 * First Ctrl-C or SIGTERM (what CI runners and `timeout` send): stop starting new work, finish what is in
 * flight, save state, release the lock. A second one exits at once, still releasing the lock.
 */
function interruptSignal(notify: (line: string) => void, stateless: boolean) {
  const controller = new AbortController();
  // Every resource waiting or retrying listens on this one signal: dozens at once is normal, not a leak.
  setMaxListeners(200, controller.signal);
  let terminated = false;
  const handler = (name: "SIGINT" | "SIGTERM") => () => {
    if (controller.signal.aborted) {
      void releaseHeldLocks(2_000).finally(() => process.exit(name === "SIGTERM" ? 143 : 130));
      return;
    }
    terminated = name === "SIGTERM";
    notify(terminated
      ? "Terminated (SIGTERM): finishing calls in flight, saving state and releasing the lock..."
      : stateless ? "Interrupted (Ctrl-C again to quit now)..." // deploy, run and logs keep no state file
      : "Interrupted: finishing calls in flight and saving state (Ctrl-C again to quit now)...");
    controller.abort();
  };
  const onSigint = handler("SIGINT");
  const onSigterm = handler("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    terminated: () => terminated,
    dispose: () => { process.off("SIGINT", onSigint); process.off("SIGTERM", onSigterm); },
  };
}
