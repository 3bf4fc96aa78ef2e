import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The named profiles of the shared config and credentials files, as the AWS CLI reads them
 * (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html): `[profile NAME]` or `[default]` in
 * `config` (AWS_CONFIG_FILE), `[NAME]` in `credentials` (AWS_SHARED_CREDENTIALS_FILE). A profile with
 * `sso_session` or `sso_start_url` gets its credentials from an IAM Identity Center login (`aws sso login`).
 */
export function knownProfiles(env: NodeJS.ProcessEnv): Map<string, { sso: boolean }> {
  const home = env.HOME ?? homedir();
  const profiles = new Map<string, { sso: boolean }>();
  const files: [string, boolean][] = [
    [env.AWS_CONFIG_FILE ?? join(home, ".aws", "config"), true],
    [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, ".aws", "credentials"), false],
  ];
  for (const [file, isConfig] of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    let current: { sso: boolean } | undefined;
    for (const line of text.split(/\r?\n/)) {
      const section = /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
      if (section) {
        const header = section[1]!;
        // In `config`, only `[default]` and `[profile NAME]` are profiles (`[sso-session NAME]` and `[services NAME]` are not).
        const name = !isConfig ? header : header === "default" ? header : /^profile\s+(.+)$/.exec(header)?.[1];
        current = name === undefined ? undefined : profiles.get(name) ?? { sso: false };
        if (name !== undefined) profiles.set(name, current!);
      } else if (current && /^\s*(sso_session|sso_start_url)\s*=/.test(line)) {
        current.sso = true;
      }
    }
  }
  return profiles;
}
