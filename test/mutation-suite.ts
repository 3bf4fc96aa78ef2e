// The test files a mutation run of src/resources runs after the golden ones (stryker/resources.mjs), in one
// process: a mutant they all let through then costs their tests, not 21 process starts and SDK loads (~1 s each).
// The runner still stops at the first failing test. Not a *.test.ts file: `npm test` runs each file on its own.
import "./tagging.test.js";
import "./memo.test.js";
import "./app-settings.test.js";
import "./aws-answers.test.js";
import "./network.test.js";
import "./dns-ownership.test.js";
import "./conformance.test.js";
import "./permissions.test.js";
import "./spot.test.js";
import "./fidelity.test.js";
import "./real-aws.test.js";
import "./tags.test.js";
import "./https.test.js";
import "./deletion-protection.test.js";
import "./snapshots.test.js";
import "./restore.test.js";
import "./drift.test.js";
import "./schedule.test.js";
import "./up-rollout.test.js";
import "./regions.test.js";
import "./reliability.test.js";
