import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, type MainOptions } from "./main.js";
import type { Io } from "./output.js";

/** action.yml's outputs, from the fields of `deploy --json`. */
const OUTPUTS = { url: "url", "task-definition-arn": "taskDefinitionArn", image: "image" } as const;

/**
 * The deploy step of the GitHub Action (action.yml), run by bin/github-action: a composite action's inputs
 * reach a script only as the environment its step sets (INPUT_<NAME>), and outputs leave through the file
 * named by $GITHUB_OUTPUT (https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax).
 */
export async function runAction(env: NodeJS.ProcessEnv, options: MainOptions = {}): Promise<number> {
  const given: Io = options.io ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env };
  const input = (name: string) => env[`INPUT_${name.toUpperCase().replace(/-/g, "_")}`]?.trim() ?? "";
  const tag = input("tag");
  if (!tag) {
    given.stderr.write("error: the action needs its `tag` input (the image tag pushed to the stack's ECR repository)\n");
    return 2;
  }
  const argv = ["deploy", "--json", "--tag", tag, "--config", input("config") || appNameConfig(input("app-name"), env)];
  if (input("migrate")) argv.push("--migrate", input("migrate"));
  if (input("aws-region")) argv.push("--region", input("aws-region"));
  if (input("timeout")) argv.push("--timeout", input("timeout"));
  if (input("health-timeout")) argv.push("--health-timeout", input("health-timeout"));

  let json = "";
  const stdout = { write: (s: string) => { json += s; return given.stdout.write(s); } };
  const code = await main(argv, { ...options, io: { ...given, stdout } });
  const result = parseResult(json);
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

/** Without a `config` input, a spec with only the app name, outside the workspace (nothing to commit by accident). */
function appNameConfig(appName: string, env: NodeJS.ProcessEnv): string {
  const file = join(mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), "spontime-")), "spontime.config.json");
  writeFileSync(file, JSON.stringify(appName ? { appName } : {}) + "\n");
  return file;
}

function parseResult(json: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined; // the CLI already said what failed on stderr
  }
}
