// The GitHub Action's prebuilt bundle, dist/action/index.js (committed: action.yml runs it with the runner's own
// Node, so a deploy starts in seconds, installs nothing and leaves the job's Node alone). One minified file with
// the AWS SDK inside, from the same sources as the CLI. `npm run build:action` writes it; `--check` (npm test,
// test/action.test.ts) fails when the committed file is not what the sources build.
import { build } from "esbuild";
import { nodeBundle } from "./esbuild-node.js";
import { readFileSync, writeFileSync } from "node:fs";

const OUT = "dist/action/index.js";
const check = process.argv.includes("--check");
const result = await build({
  entryPoints: ["src/cli/action-main.ts"],
  outfile: OUT,
  write: false,
  ...nodeBundle,
  minify: true,
  legalComments: "none",
});
const built = result.outputFiles[0].text;
if (check) {
  let committed = "";
  try { committed = readFileSync(OUT, "utf8"); } catch { /* missing: stale */ }
  if (committed !== built) {
    console.error(`${OUT} is not what the sources build: run \`npm run build:action\` and commit it`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, built);
}
