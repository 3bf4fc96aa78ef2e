import { scope } from "./scope.mjs";
// The kinds are tested through whole runs on the fake: the golden files `requests` and `database-requests`
// (every request of whole runs pinned, with the plan's text, the state left and what the user is told; 4 s each)
// kill what changes any of those; test/mutation-suite.ts then runs 21 files in one process (40 s) for what they
// cannot see (refusals, ownership, drift, waits, AWS's rarer answers, schedules, rollouts, secrets);
// lost-response last (15 s): a lost answer at every mutating call of up and down, and of drift repairs, is what
// reads each kind's "already exists" codes. crash-matrix (the engine's recovery after a crash at each call, 11 s)
// is left out, as each survivor runs every file. No type check: the checker compiles the whole stack for each
// group of this folder's mutants (5 min of a core for vpc.ts's 86), more than running the tests on the mutants
// it would drop. Those run instead, and one that fails a test counts as killed where the other folders' runs
// drop it: this folder's score is not the lower bound the others are.
export default {
  ...scope("resources", ["src/resources/**/*.ts"], ["requests", "database-requests", "mutation-suite.js", "lost-response"]),
  checkers: [],
  // A mutant's time limit is 1.5 × its covering files' time in the first run + 5 s by default: here ~45 s of
  // whole-stack runs, which another process on the machine stretches past that (measured: a survivor of every
  // file, `downtimeOn: []`, reported as a timeout, which counts as killed). Real endless loops are rare here.
  timeoutFactor: 3,
  timeoutMS: 15_000,
};
