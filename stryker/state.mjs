import { scope } from "./scope.mjs";
export default scope("state", ["src/state/**/*.ts"], ["state-store", "state-claim", "state-aws"]);
