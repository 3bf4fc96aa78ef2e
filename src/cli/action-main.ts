// The GitHub Action's entry (action.yml `runs.main`, bundled by scripts/bundle-action.js): inputs from INPUT_*
// variables, `spontime-infra deploy --json`, outputs to $GITHUB_OUTPUT.
import { runAction } from "./action.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.exitCode = await runAction(process.env);
