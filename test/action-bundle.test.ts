// Apart from test/action.test.ts so that `npm run mutate` can leave it out: a mutant changes the sources, so the
// committed bundle differs from what they build whatever the mutant does.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";

const ROOT = new URL("../../", import.meta.url).pathname;

it("the Action's committed bundle (dist/action/index.js) is what the sources build: else `npm run build:action`", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/bundle-action.js"), "--check"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});
