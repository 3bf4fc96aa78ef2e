// Bundles the CLI into dist/cli/ for bin/: Node 20 spends about 1 ms per ESM file it loads, and `validate` alone
// loaded 125 files (95 of them zod's), so it took 3× `node -e 0` unbundled. Each command module stays a chunk of
// its own, loaded on use as before. The AWS SDK is bundled too, from its ES module build (package.json "module")
// so that only the commands and schemas we use are kept: loading it from node_modules took a command that calls
// AWS about twice as long to start (EC2's CommonJS build alone is 2 MB). AWS recommends bundling the v3 SDK for
// start-up time (https://aws.amazon.com/blogs/developer/reduce-lambda-cold-start-times-migrate-to-aws-sdk-for-javascript-v3/);
// `npm run test:e2e` runs this bundle against moto, the SDK's wiring included.
// Runs after scripts/transpile.js (and tsc's type check in npm run build).
import { build } from "esbuild";
import { nodeBundle } from "./esbuild-node.js";
import { rmSync } from "node:fs";

const outdir = "dist/cli";
rmSync(outdir, { recursive: true, force: true }); // chunk names carry a hash: old ones would pile up
await build({
  entryPoints: ["src/cli/main.ts"],
  outdir,
  ...nodeBundle,
  splitting: true,
  // Stack traces (--debug) name src/*.ts lines: bin turns source maps on for --debug.
  sourcemap: true,
  sourcesContent: false,
});
