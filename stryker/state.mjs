import { scope } from "./scope.mjs";
export default scope("state", ["src/state/**/*.ts"], ["bites", "state-s3", "two-runs", "reliability"]);
