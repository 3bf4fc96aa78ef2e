import { scope } from "./scope.mjs";
// src/config's own unit files only (fast: a mutant costs one process of ~2 s); the stack-level files that also
// touch it (bites, render, schedule on the fake) would add ~25 s to each survivor on a loaded machine.
export default scope("config", ["src/config/**/*.ts"], ["limits", "config", "config-schedule"]);
