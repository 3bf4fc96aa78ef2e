import { scope } from "./scope.mjs";

// The engine's own unit tests first (each runs in well under a second and kills most mutants), then the slower
// files that reach the engine through the stack. The type check of a mutant covers the engine's own files
// (stryker/engine.tsconfig.json): the whole project is many times slower to check on every mutant, and a
// mutant that breaks only an importer's types is then run and counted, never dropped.
export default {
  ...scope("engine", ["src/engine/**/*.ts"], ["engine-plan", "engine-apply", "poll", "engine", "bites", "plan-contract", "plan-apply", "reliability"]),
  tsconfigFile: "stryker/engine.tsconfig.json",
};
