import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CONFIG } from "../config/find.js";
import { appNameSchema } from "../config/schema.js";
import { main, type MainOptions } from "./main.js";
import type { Io } from "./output.js";

/** action.yml's outputs, from the fields of `deploy --json`. */
const OUTPUTS = { url: "url", "task-definition-arn": "taskDefinitionArn", image: "image" } as const;

/**
 * The GitHub Action (action.yml, a JavaScript action running dist/action/index.js): its inputs arrive as
 * INPUT_<NAME> variables and outputs leave through the file named by $GITHUB_OUTPUT
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax).
 */
export async function runAction(env: NodeJS.ProcessEnv, options: MainOptions = {}): Promise<number> {
  const given: Io = options.io ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env };
  // As the runner names them for a JavaScript action (and @actions/core reads them): hyphens kept.
  const input = (name: string) => env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`]?.trim() ?? "";
  const tag = input("tag");
  if (!tag) {
    given.stderr.write("error: the action needs its `tag` input (the image tag pushed to the stack's ECR repository)\n");
    return 2;
  }
  const config = specFile(input("config"), input("app-name"), env);
  if (typeof config !== "string") {
    given.stderr.write(`::error title=spontime-infra: input ${config.input}::${config.error}\n`);
    return 2;
  }
  const argv = ["deploy", "--json", "--tag", tag, "--config", config];
  if (input("migrate")) argv.push("--migrate", input("migrate"));
  if (input("aws-region")) argv.push("--region", input("aws-region"));
  if (input("timeout")) argv.push("--timeout", input("timeout"));
  if (input("health-timeout")) argv.push("--health-timeout", input("health-timeout"));

  let json = "";
  const stdout = { write: (s: string) => { json += s; return given.stdout.write(s); } };
  const code = await main(argv, { ...options, io: { ...given, stdout } });
  const result = parseResult(json);
  // An annotation on the run's summary page: the log alone is easy to miss in a long job.
  if (code !== 0) given.stderr.write(`::error title=spontime-infra deploy failed::${annotation(result?.error) ?? `exit ${code}; see the step's log`}\n`);
  if (env.GITHUB_OUTPUT && result) {
    for (const [name, field] of Object.entries(OUTPUTS)) {
      const value = result[field];
      // The multiline form with a random delimiter: a value can never end the block early.
      const eof = `EOF_${randomBytes(8).toString("hex")}`;
      if (typeof value === "string") appendFileSync(env.GITHUB_OUTPUT, `${name}<<${eof}\n${value}\n${eof}\n`);
    }
  }
  return code;
}

/**
 * The spec the CLI would use in the caller's repository: the `config` input, else the workspace's
 * spontime.config.json (so an https stack is health-checked at its https URL), else a spec with only the
 * `app-name` input, written outside the workspace (nothing to commit by accident). A bad input is named as the
 * input, never as the temporary file.
 */
function specFile(config: string, appName: string, env: NodeJS.ProcessEnv): string | { input: string; error: string } {
  if (config) return existsSync(config) ? config : { input: "config", error: `${config} does not exist in the workspace` };
  const workspace = join(env.GITHUB_WORKSPACE || process.cwd(), DEFAULT_CONFIG);
  if (existsSync(workspace)) {
    if (appName) return { input: "app-name", error: `the workspace has ${DEFAULT_CONFIG}, which names the app: remove the app-name input, or pass the file as the config input` };
    return workspace;
  }
  const bad = appName ? appNameSchema.safeParse(appName).error?.issues[0]?.message : undefined;
  if (bad) return { input: "app-name", error: `"${appName}" ${bad}` };
  const file = join(mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), "spontime-")), DEFAULT_CONFIG);
  writeFileSync(file, JSON.stringify(appName ? { appName } : {}) + "\n");
  return file;
}

/** A workflow command's message is one line: GitHub ends it at the first newline unless encoded. */
function annotation(error: unknown): string | undefined {
  const e = error as { message?: string; hint?: string } | undefined;
  if (typeof e?.message !== "string") return undefined;
  return `${e.message}${e.hint ? ` (${e.hint})` : ""}`.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function parseResult(json: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined; // the CLI already said what failed on stderr
  }
}
