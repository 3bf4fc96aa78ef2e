import { scope } from "./scope.mjs";
// src/state's own unit files only: they call the store, the backends, bootstrap and the claim directly (a mutant
// costs one or two processes of ~2 s). The CLI-level files that also touch it (bites, state-s3, two-runs,
// reliability) would add ~20 s to each survivor on a loaded machine. The checker compiles src/state alone.
export default { ...scope("state", ["src/state/**/*.ts"], ["state-store", "state-claim", "state-aws"]), tsconfigFile: "stryker/tsconfig.state.json" };
