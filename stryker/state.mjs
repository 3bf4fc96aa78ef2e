import { scope } from "./scope.mjs";
export default scope("state", ["src/state/**/*.ts"], ["state-store", "state-aws", "bites", "state-s3", "two-runs", "reliability"]);
