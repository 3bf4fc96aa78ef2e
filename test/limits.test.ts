import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REGIONS } from "../src/config/catalog.js";
import { LIMITS, limitViolation, type LimitKind } from "../src/config/limits.js";
import { generatedNames, names } from "../src/config/names.js";
import { SpecSchema } from "../src/config/schema.js";

const LONGEST_REGION = REGIONS.reduce((a, b) => (b.length > a.length ? b : a));
// The longest appName the spec accepts, in the longest region: every name derived from them must still fit. Parsed in the tests, not
// as the file loads: a spec the schema refused would fail each test, not the file (StrykerJS counts that apart).
const longest = () => SpecSchema.parse({ appName: "a".repeat(23) + "b", region: LONGEST_REGION, tags: { ["t".repeat(127)]: "v".repeat(255) } });
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

/**
 * What each rule lets through: every character it names (each end of a range), first, inside and last where the
 * rule allows it there, and values at the length limit. `under` values must be accepted.
 */
const EDGES = "AZaz09";
const around = (chars: string, { first = true, last = true } = {}) => [...chars].flatMap((c) => [...(first ? [`${c}x`] : []), `x${c}x`, ...(last ? [`x${c}`] : [])]);
const accepted: Record<LimitKind, string[]> = {
  elbName: [...around(EDGES), "x-x", "a".repeat(32), "A", "9"],
  iamRoleName: [...around(`${EDGES}_+=,.@-`), "r".repeat(64)],
  rdsInstanceId: [...around(EDGES.slice(0, 4)), ...around("09", { first: false }), ..."AZaz09".split("").map((c) => `x-${c}`), "d".repeat(63)],
  rdsFinalSnapshotId: [...around(EDGES.slice(0, 4)), ...around("09", { first: false }), ..."AZaz09".split("").map((c) => `x-${c}`), "s".repeat(255)],
  rdsSubnetGroupName: [...around(`${EDGES} ._-`), "defaults", "my default", "g".repeat(255)],
  logGroupName: [...around(`${EDGES}.-_/#`), "/".repeat(512)],
  ecsName: [...around(`${EDGES}_-`), "e".repeat(255)],
  ecrRepositoryName: ["az", "09", "a.z", "a_z", "a-z", "0/9", "az/09", "a.b/c_d/e-f", "ab.cd", "r".repeat(256)],
  serviceClientToken: ["!~", "~!", "t".repeat(36)],
  runTaskClientToken: ["!~", "~!", "t".repeat(64)],
  ec2ClientToken: ["!~", "~!", "t".repeat(64)],
  startedBy: [...around(`${EDGES}_/-`), "s".repeat(128)],
  tagKey: [...around(`${EDGES}é_.:/=+@-`), "x x", "awsx", "a aws:", "k".repeat(127)],
  tagValue: [...around(`${EDGES}é_.:/=+@-`), "x x", "", "rds", "v".repeat(255)],
};
const refused: Record<LimitKind, string[]> = {
  elbName: ["x_x", "x.x"],
  iamRoleName: ["x/x", "x:x"],
  rdsInstanceId: ["-x", "x_x", "Ab--c", "x-"],
  rdsFinalSnapshotId: ["-x", "x.x", "x-"],
  rdsSubnetGroupName: ["x/x", "x:x"],
  logGroupName: ["x:x", "x*"],
  ecsName: ["x/x", "x:x"],
  ecrRepositoryName: ["ab/", "/ab", "a//b", "a..b", "a._b", ".ab", "ab.", "a b", "Ab"],
  serviceClientToken: ["\x7f", "x\x7f"],
  runTaskClientToken: [" x", "xé"],
  ec2ClientToken: ["x ", ""],
  startedBy: ["x.x", "x:x"],
  tagKey: ["rds:x", "RDS:x", "Aws:x", "x\t", "x*"],
  tagValue: [" ", "aws:x", "RDS:x", "x*", " x"],
};

describe("every generated name and identifier fits its documented limit", () => {
  it("each rule accepts every character it names, where it allows it, up to its length", () => {
    for (const [kind, values] of Object.entries(accepted) as [LimitKind, string[]][]) {
      for (const v of values) assert.equal(limitViolation(kind, v), undefined, `${kind} ${JSON.stringify(v)}`);
    }
  });

  it("the refusal names the value, what it is and the rule in words", () => {
    const BAD = "x\u0000"; // a character no rule allows
    const messages: Record<LimitKind, string> = {
      elbName: `load balancer / target group name "${BAD}" (2 characters) breaks AWS's rule: at most 32 letters, digits and hyphens, not starting or ending with a hyphen`,
      iamRoleName: `IAM role name "${BAD}" (2 characters) breaks AWS's rule: at most 64 letters, digits and +=,.@_-`,
      rdsInstanceId: `RDS DB instance identifier "${BAD}" (2 characters) breaks AWS's rule: 1-63 letters, digits or hyphens; a letter first; no two consecutive hyphens; no hyphen at the end`,
      rdsFinalSnapshotId: `RDS final snapshot identifier "${BAD}" (2 characters) breaks AWS's rule: 1-255 letters, digits or hyphens; a letter first; no two consecutive hyphens; no hyphen at the end`,
      rdsSubnetGroupName: `DB subnet group name "${BAD}" (2 characters) breaks AWS's rule: at most 255 letters, digits, spaces, periods, underscores and hyphens; not "default"`,
      logGroupName: `log group name "${BAD}" (2 characters) breaks AWS's rule: 1-512 characters from a-z, A-Z, 0-9, '_', '-', '/', '.', '#'`,
      ecsName: `ECS cluster, service, task family or container name "${BAD}" (2 characters) breaks AWS's rule: at most 255 letters, digits, hyphens and underscores`,
      ecrRepositoryName: `ECR repository name "${BAD}" (2 characters) breaks AWS's rule: 2-256 lowercase letters, digits and . _ - / (each part starting and ending with a letter or digit)`,
      serviceClientToken: `CreateService clientToken "${BAD}" (2 characters) breaks AWS's rule: up to 36 ASCII characters in the range 33-126`,
      ec2ClientToken: `EC2 ClientToken (CreateRouteTable) "${BAD}" (2 characters) breaks AWS's rule: up to 64 ASCII characters`,
      runTaskClientToken: `RunTask clientToken "${BAD}" (2 characters) breaks AWS's rule: up to 64 ASCII characters`,
      startedBy: `RunTask startedBy "${BAD}" (2 characters) breaks AWS's rule: up to 128 letters, digits, hyphens, forward slashes and underscores (no spaces)`,
      tagKey: `tag key "${BAD}" (2 characters) breaks AWS's rule: 1-127 Unicode letters, digits, spaces and _.:/=+-@; no space first or last; not starting with aws: or rds:`,
      tagValue: `tag value "${BAD}" (2 characters) breaks AWS's rule: 0-255 Unicode letters, digits, spaces and _.:/=+-@; no space first or last; not starting with aws: or rds:`,
    };
    for (const [kind, message] of Object.entries(messages) as [LimitKind, string][]) assert.equal(limitViolation(kind, BAD), message, kind);
  });

  it("and refuses what it does not name", () => {
    for (const [kind, values] of Object.entries(refused) as [LimitKind, string[]][]) {
      for (const v of values) assert.match(limitViolation(kind, v) ?? "accepted", /breaks AWS's rule/, `${kind} ${JSON.stringify(v)}`);
    }
  });

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
