import { scope } from "./scope.mjs";
// The kinds are tested through whole runs on the fake: `requests` (every request of up, an edit, sleep, wake and
// down, pinned; ~2 s) kills most mutants, the files after it what it cannot see (refusals, ownership, drift).
// The slowest files that also reach this folder (crash-matrix, lost-response: the engine's recovery, 15 s) are
// left out, as each survivor runs every file. No type check: the checker compiles the whole stack for each group
// of this folder's mutants (5 min of a core for vpc.ts's 86), more than running the tests on the mutants it
// would drop; those run instead and are counted, which can only lower the score.
export default {
  ...scope("resources", ["src/resources/**/*.ts"], ["requests", "tagging", "network", "dns-ownership", "conformance", "spot", "fidelity", "real-aws", "tags", "https", "deletion-protection", "snapshots", "restore", "drift"]),
  checkers: [],
};
