// npm run mutate [-- engine config state resources] [stryker options]: runs StrykerJS once per named scope
// (stryker/<scope>.mjs; all four when none is named), one after the other, as each run takes both cores.
import { spawnSync } from "node:child_process";

const scopes = ["engine", "config", "state", "resources"];
const named = process.argv.slice(2).filter((a) => scopes.includes(a));
const options = process.argv.slice(2).filter((a) => !scopes.includes(a));
for (const s of named.length ? named : scopes) {
  const run = spawnSync("npx", ["stryker", "run", `stryker/${s}.mjs`, ...options], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
