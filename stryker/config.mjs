import { scope } from "./scope.mjs";
export default scope("config", ["src/config/**/*.ts"], ["limits", "bites", "schedule", "render"]);
