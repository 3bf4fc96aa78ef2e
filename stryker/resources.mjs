import { scope } from "./scope.mjs";
export default scope("resources", ["src/resources/**/*.ts"], ["contract", "conformance", "fidelity", "real-aws", "drift", "tags", "tagging", "network", "https", "dns-ownership", "spot", "crash-matrix", "lost-response"]);
