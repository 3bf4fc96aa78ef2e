import { scope } from "./scope.mjs";
export default scope("config", ["src/config/**/*.ts"], ["config", "config-schedule", "limits", "bites", "render", "schedule"]);
