// Builds dist/ (npm run build and npm test) without the type check: esbuild writes each .ts file's JavaScript as tsc would
// (same paths, ES modules, tsconfig's class-field semantics) in about a second, where tsc takes 20 s of one
// core to parse the SDK's type declarations and check. The check runs after it in `npm run build`,
// and in `npm test` as test/typecheck.test.ts, beside the other test files instead of before all of them.
import { build } from "esbuild";
import { existsSync, readdirSync, rmSync } from "node:fs";

const sources = ["src", "test", "bench"].flatMap((dir) => readdirSync(dir, { recursive: true }).filter((f) => f.endsWith(".ts")).map((f) => `${dir}/${f}`));
// A test file deleted or renamed in the source must not go on running from an old build.
for (const f of existsSync("dist") ? readdirSync("dist", { recursive: true }) : []) {
  // dist/cli/ is the CLI's bundle (scripts/bundle.js), dist/action/ the Action's committed one (scripts/bundle-action.js).
  if (f.endsWith(".js") && !f.startsWith("cli/") && !f.startsWith("action/") && !existsSync(f.replace(/\.js$/, ".ts"))) rmSync(`dist/${f}`);
}
await build({ entryPoints: sources, outdir: "dist", outbase: ".", format: "esm", platform: "node", target: "node20.19", logLevel: "warning" });
