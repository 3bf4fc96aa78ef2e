import { scope } from "./scope.mjs";
export default scope("engine", ["src/engine/**/*.ts"], ["poll", "engine", "bites", "plan-contract", "plan-apply", "reliability"]);
