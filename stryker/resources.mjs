import { scope } from "./scope.mjs";
// The kinds are tested through whole runs on the fake: `requests` (every request of whole runs pinned, 4 s) kills
// what changes a call; the files after it what it cannot see (refusals, ownership, drift, waits).
// The slowest files that also reach this folder (crash-matrix, lost-response: the engine's recovery, 15 s) are
// left out, as each survivor runs every file. No type check: the checker compiles the whole stack for each group
// of this folder's mutants (5 min of a core for vpc.ts's 86), more than running the tests on the mutants it
// would drop. Those run instead, and one that fails a test counts as killed where the other folders' runs drop
// it: this folder's score is not the lower bound the others are.
export default {
  ...scope("resources", ["src/resources/**/*.ts"], ["requests", "database-requests", "tagging", "network", "dns-ownership", "conformance", "spot", "fidelity", "real-aws", "tags", "https", "deletion-protection", "snapshots", "restore", "drift"]),
  checkers: [],
  // A mutant's time limit is 1.5 × its covering files' time in the first run + 5 s by default: here ~45 s of
  // whole-stack runs, which another process on the machine stretches past that (measured: a survivor of every
  // file, `downtimeOn: []`, reported as a timeout, which counts as killed). Real endless loops are rare here.
  timeoutFactor: 3,
  timeoutMS: 15_000,
};
