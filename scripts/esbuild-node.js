// What both bundles (the CLI's, scripts/bundle.js; the GitHub Action's, scripts/bundle-action.js) build with.
export const nodeBundle = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // The AWS SDK from its ES module build (package.json "module"), so that only the commands used are kept.
  mainFields: ["module", "main"],
  // commander is CommonJS and requires Node's own modules: an ES module has no `require` unless given one.
  banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
  logLevel: "warning",
};
