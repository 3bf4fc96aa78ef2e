import { scope } from "./scope.mjs";
export default scope("engine", ["src/engine/**/*.ts"], ["engine-plan", "engine-apply", "poll", "engine", "bites", "plan-contract", "plan-apply", "reliability"]);
