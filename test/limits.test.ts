import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LIMITS, limitViolation, type LimitKind } from "../src/config/limits.js";
import { generatedNames, names } from "../src/config/names.js";
import { SpecSchema } from "../src/config/schema.js";

// The longest appName the spec accepts: every name derived from it must still fit. Parsed in the tests, not
// as the file loads: a spec the schema refused would fail each test, not the file (StrykerJS counts that apart).
const longest = () => SpecSchema.parse({ appName: "a".repeat(23) + "b", region: "ap-southeast-1", tags: { ["t".repeat(127)]: "v".repeat(255) } });
const generated = (kind: LimitKind) => generatedNames(longest()).filter(([k]) => k === kind).map(([, v]) => v);

/** One test per limit: what the tool generates fits, and a value just past the rule is refused. */
const cases: Record<LimitKind, { over: string[] }> = {
  elbName: { over: ["a".repeat(33), "-alb", "alb-", "my_alb"] },
  iamRoleName: { over: ["r".repeat(65), "role name"] },
  rdsInstanceId: { over: ["d".repeat(64), "1db", "my--db", "my-db-"] },
  rdsFinalSnapshotId: { over: ["s".repeat(256), "app-final-", "app--final", "9app"] },
  rdsSubnetGroupName: { over: ["g".repeat(256), "default"] },
  logGroupName: { over: ["/".repeat(513), "/ecs/my app"] },
  ecsName: { over: ["e".repeat(256), "my.service"] },
  ecrRepositoryName: { over: ["r".repeat(257), "MyRepo", "a"] },
  serviceClientToken: { over: ["t".repeat(37), "with space"] },
  runTaskClientToken: { over: ["t".repeat(65)] },
  ec2ClientToken: { over: ["t".repeat(65), "token with space"] },
  startedBy: { over: ["spontime-infra run", "s".repeat(129)] },
  tagKey: { over: ["k".repeat(128), "aws:reserved", "AWS:reserved", "rds:x", " lead", ""] },
  tagValue: { over: ["v".repeat(256), "semi;colon", "trail "] },
};

describe("every generated name and identifier fits its documented limit", () => {
  for (const [kind, { over }] of Object.entries(cases) as [LimitKind, { over: string[] }][]) {
    it(`${LIMITS[kind].what}: ${LIMITS[kind].rule}`, () => {
      const values = generated(kind);
      assert.ok(values.length > 0, `the tool generates a ${kind}`);
      for (const v of values) assert.equal(limitViolation(kind, v), undefined, v);
      for (const v of over) assert.match(limitViolation(kind, v) ?? "accepted", /breaks AWS's rule/, `${JSON.stringify(v)} must be refused`);
    });
  }

  it("RunTask's startedBy has no space (AWS refuses \"spontime-infra run\")", () => {
    assert.equal(limitViolation("startedBy", names(longest()).startedBy), undefined);
  });

  it("a spec whose names would break a limit is refused when it loads", () => {
    const r = SpecSchema.safeParse({ tags: { team: "a;b" } });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /tag value/);
  });
});
