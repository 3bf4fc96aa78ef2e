import { scope } from "./scope.mjs";
// src/config's own unit files only, the fastest first (a mutant costs one process of 1-2 s per file); the
// stack-level files that also touch it (bites, render, schedule on the fake) would add ~25 s to each survivor
// on a loaded machine. The checker compiles src/config alone (stryker/tsconfig.config.json): the whole
// project's check took longer per mutant than the tests, leaving the test runner waiting.
export default { ...scope("config", ["src/config/**/*.ts"], ["limits", "config", "config-schedule"]), tsconfigFile: "stryker/tsconfig.config.json" };
