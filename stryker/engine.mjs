import { scope } from "./scope.mjs";
export default scope("engine", ["src/engine/**/*.ts"], ["poll", "engine", "engine-plan", "engine-apply", "bites", "plan-contract", "plan-apply", "reliability"]);
