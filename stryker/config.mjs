import { scope } from "./scope.mjs";
// src/config's own unit files only (fast: a mutant costs one process of ~2 s); the stack-level files that also
// touch it (bites, render, schedule on the fake) would add ~25 s to each survivor on a loaded machine.
// The checker compiles src/config alone (stryker/tsconfig.config.json): the whole project took the
// TypeScript checker longer per mutant than the tests, leaving the test runner waiting.
export default { ...scope("config", ["src/config/**/*.ts"], ["config", "config-schedule", "limits"]), tsconfigFile: "stryker/tsconfig.config.json" };
