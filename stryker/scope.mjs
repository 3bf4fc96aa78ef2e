// One StrykerJS set-up, four scopes (stryker/<folder>.mjs): each mutates one folder and runs only the test files
// that aim at it, in the order given (fast ones first: the tap runner stops at a mutant's first failing file).
// A scope's score is a lower bound, as the other test files could only kill more. Test files that run the CLI as
// a child process (input, config-location, interrupt, state-signals, ux) are left out: the child runs the CLI's
// bundle, which the sandbox does not rebuild, and not the mutant. The TypeScript checker compiles the folder alone
// (stryker/tsconfig.<folder>.json): the whole project's check cost more per mutant than the tests; a mutant that
// breaks only an importer's types is then run and counted instead of dropped, which can only lower the score.
export function scope(name, mutate, tests) {
  return {
    $schema: "../node_modules/@stryker-mutator/core/schema/stryker-schema.json",
    mutate,
    testRunner: "tap",
    // "name" is test/name.test.ts; a name with its extension (a file that groups others) is taken as it is.
    tap: { testFiles: tests.map((t) => `dist/test/${t.endsWith(".js") ? t : `${t}.test.js`}`), nodeArgs: ["--no-experimental-detect-module"] },
    buildCommand: "node scripts/transpile.js",
    checkers: ["typescript"],
    tsconfigFile: `stryker/tsconfig.${name}.json`,
    typescriptChecker: { prioritizePerformanceOverAccuracy: true },
    coverageAnalysis: "perTest",
    // Kept between runs (and in the repository, scripts/mutate.mjs): a second run tests only mutants whose code
    // changed. The tap runner cannot tell Stryker which tests changed: after adding tests, re-test a file's old
    // survivors with `--force`.
    incremental: true,
    incrementalFile: `reports/stryker-${name}.json`,
    ignoreStatic: true,
    concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
    reporters: ["clear-text", "progress-append-only", "html", "json"],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: `.stryker-tmp/${name}`,
    // Not copied into the sandbox: another scope's sandbox (two runs side by side, or one stopped before its
    // clean-up: 5,000 files each) and the reports.
    ignorePatterns: [".stryker-tmp", "reports"],
    cleanTempDir: "always",
  };
}
