// Rewrites the README's list of AWS permissions from the registry (dist/ must be built: node scripts/transpile.js).
import { readFileSync, writeFileSync } from "node:fs";
const { permissionLines } = await import(new URL("../dist/src/stack/permissions.js", import.meta.url));
const path = new URL("../README.md", import.meta.url);
const readme = readFileSync(path, "utf8").replace(/(every stack needs to find and delete what an earlier spec\n\(`https`, `schedule`\) left:\n\n)[\s\S]*?(\n\n`PowerUserAccess`)/, (_, head, tail) => `${head}${permissionLines().join("\n")}${tail}`);
writeFileSync(path, readme);
