// npm run mutate [-- engine config state resources] [stryker options]: runs StrykerJS once per named scope
// (stryker/<scope>.mjs; all four when none is named), one after the other, as each run takes both cores.
// Each scope's incremental results are kept in the repository (stryker/results/<scope>.json.gz, committed with
// the tests that changed them): a folder takes hours on 2 cores, more than one sitting, and a fresh clone or
// another machine then goes on from the last run instead of from nothing. The working copy Stryker reads and
// writes is reports/stryker-<scope>.json; it is taken from the kept one when missing, and kept after each run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";

const scopes = ["engine", "config", "state", "resources"];
const named = process.argv.slice(2).filter((a) => scopes.includes(a));
const options = process.argv.slice(2).filter((a) => !scopes.includes(a));
mkdirSync("reports", { recursive: true });
for (const s of named.length ? named : scopes) {
  const working = `reports/stryker-${s}.json`;
  const kept = `stryker/results/${s}.json.gz`;
  if (!existsSync(working) && existsSync(kept)) writeFileSync(working, gunzipSync(readFileSync(kept)));
  const run = spawnSync("npx", ["stryker", "run", `stryker/${s}.mjs`, ...options], { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
  writeFileSync(kept, gzipSync(readFileSync(working), { level: 9 }));
}
