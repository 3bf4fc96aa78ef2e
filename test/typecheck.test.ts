import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { it } from "node:test";

const ROOT = new URL("../..", import.meta.url).pathname;
const TSC = new URL("../../node_modules/typescript/bin/tsc", import.meta.url).pathname;

// `npm test` builds with esbuild, which does not check types (scripts/transpile.js): this is the check tsc
// does in `npm run build`, run as one test file so that it shares the two cores with the others.
it("tsc finds no type error in src, test and bench", () => {
  const r = spawnSync(process.execPath, [TSC, "-p", "tsconfig.json", "--noEmit", "--incremental", "--tsBuildInfoFile", "dist/typecheck.tsbuildinfo"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
