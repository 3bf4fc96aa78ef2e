import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const DEFAULT_CONFIG = "spontime.config.json";

/**
 * The spec file a command uses without --config: spontime.config.json in the working directory or the nearest
 * directory above it, the way git and tsc find theirs, stopping at the repository root (the first directory
 * holding `.git`) so that another project's spec above it is never picked up. Undefined: the seed's defaults.
 * (No zod here: `--help` loads this module.)
 */
export function findConfig(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const file = join(dir, DEFAULT_CONFIG);
    if (existsSync(file)) return file;
    if (existsSync(join(dir, ".git")) || dirname(dir) === dir) return undefined;
  }
}
