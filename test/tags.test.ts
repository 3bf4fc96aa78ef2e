import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpecSchema } from "../src/config/schema.js";
import { APP, Harness } from "./helpers.js";
import { ALL_RESOURCES } from "../src/stack/resources.js";
import { kindOf } from "./contract.js";

const PARIS = { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" };
const BOOKKEEPING = "spontime:user-tags";

/**
 * `n` user tags as varied as AWS allows on every kind the stack tags: Unicode letters, spaces inside, each of
 * _.:/=+-@, an empty value (not with a schedule: Scheduler refuses it); with `n` at the maximum, keys and
 * values at their longest (127 and 255 characters).
 */
function userTags(n: number): Record<string, string> {
  const longest = n >= 44;
  const keys = ["team", "cost center", "Projet:Été/2026", "owner@example.com", "a_b.c=d+e-f", "数据", "k"];
  return Object.fromEntries(Array.from({ length: n }, (_, i) => {
    const key = `${keys[i % keys.length]} ${i}`;
    const value = i % 3 === 0 ? "Données = 42 @ été" : i % 3 === 1 ? "arn/like:value_1.2+3-4" : "ü";
    return longest ? [key.padEnd(127, "é"), value.padEnd(255, "x")] : [key, value];
  }));
}

/** The stack on every taggable kind: EC2, ELB, RDS, ECS, ECR, Logs, IAM, Scheduler (a schedule) and ACM (https). */
async function stackWith(tags: Record<string, string>): Promise<{ h: Harness; spec: (t: Record<string, string>) => string }> {
  const h = new Harness();
  h.fake.createHostedZone("example.com");
  const spec = (t: Record<string, string>) => h.writeSpec({ tags: t, schedule: PARIS, https: { domain: "api.example.com" } });
  const r = await h.cli(["up", "--yes", "--config", spec(tags)]);
  assert.equal(r.code, 0, r.stderr);
  return { h, spec };
}

/** Every kind AWS can tag, as the registry declares them. */
const KINDS = [...new Set(ALL_RESOURCES.filter((r) => r.tagging !== "none").map((r) => r.kind))];

describe("any tag set AWS accepts works on every taggable kind", () => {
  for (const n of [0, 1, 2, 10, 44]) {
    it(`${n} user tags: on every resource, up again a no-op, the bookkeeping never shown`, async () => {
      const tags = userTags(n);
      const { h, spec } = await stackWith(tags);
      try {
        const live = h.fake.stackTags(APP);
        assert.deepEqual(KINDS.filter((k) => ![...live.keys()].some((name) => kindOf(name) === k)), [], "every taggable kind was made");
        for (const [name, have] of live) {
          for (const [k, v] of Object.entries(tags)) assert.equal(have[k], v, `${name} carries ${k}`);
          assert.equal(BOOKKEEPING in have, n > 0, `${name}: the record of user keys, only with user keys`);
        }
        h.resetCalls();
        const again = await h.cli(["up", "--yes", "--json", "--config", spec(tags)]);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(h.fake.mutatingCalls().length, 0, "a second up changes nothing");
        // Plans and status never show the record (checked with one, two and the most user tags; none has no record).
        for (const command of n === 0 || n === 10 ? [] : [["plan"], ["plan", "--json"], ["status"], ["status", "--json"]]) {
          const r = await h.cli([...command, "--config", spec(tags)]);
          assert.equal(r.code, 0, r.stderr);
          assert.ok(!r.stdout.includes(BOOKKEEPING), `${command.join(" ")} never shows the bookkeeping tag`);
        }
      } finally {
        h.close();
      }
    });
  }

  it("a user key removed from the spec goes from every resource; a tag someone else added stays; the plan shows only the user's key", async () => {
    const tags = userTags(10);
    const { h, spec } = await stackWith(tags);
    try {
      for (const have of h.fake.stackTags(APP).values()) have["their-tag"] = "theirs";
      const [gone, ...kept] = Object.keys(tags);
      const fewer = Object.fromEntries(kept.map((k) => [k, tags[k]!]));
      const plan = await h.cli(["plan", "--json", "--config", spec(fewer)]);
      const diffs = (JSON.parse(plan.stdout) as { changes: { diffs: { path: string }[] }[] }).changes.flatMap((c) => c.diffs.map((d) => d.path));
      assert.ok(diffs.length > 0 && diffs.every((p) => p === `tags.${gone}`), `only tags.${gone} changes: ${[...new Set(diffs)].join(", ")}`);
      const r = await h.cli(["up", "--yes", "--config", spec(fewer)]);
      assert.equal(r.code, 0, r.stderr);
      for (const [name, have] of h.fake.stackTags(APP)) {
        assert.ok(!(gone! in have), `${name}: ${gone} removed`);
        assert.equal(have["their-tag"], "theirs", `${name}: someone else's tag left alone`);
        for (const k of kept) assert.equal(have[k], tags[k], `${name} keeps ${k}`);
      }
      // Every user tag gone: the record goes with the last one.
      assert.equal((await h.cli(["up", "--yes", "--config", spec({})])).code, 0);
      for (const [name, have] of h.fake.stackTags(APP)) {
        assert.deepEqual(Object.keys(have).filter((k) => !k.startsWith("spontime:") && !["Name", "ManagedBy", "their-tag"].includes(k)), [], name);
        assert.ok(!(BOOKKEEPING in have), `${name}: no record left`);
      }
    } finally {
      h.close();
    }
  });

  it("a resource tagged by 0.1.0 (the record held the one key itself) still has that key removed", async () => {
    const { h, spec } = await stackWith({ team: "a" });
    try {
      for (const have of h.fake.stackTags(APP).values()) have[BOOKKEEPING] = "team";
      assert.equal((await h.cli(["up", "--yes", "--config", spec({})])).code, 0);
      for (const [name, have] of h.fake.stackTags(APP)) assert.ok(!("team" in have), name);
    } finally {
      h.close();
    }
  });
});

describe("tags AWS would refuse on some kind are refused when the spec loads, all at once", () => {
  const issues = (spec: object) => {
    const r = SpecSchema.safeParse(spec);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts the largest set and refuses one more", () => {
    assert.deepEqual(issues({ tags: userTags(44) }), []);
    assert.match(issues({ tags: userTags(45) }).join("\n"), /45 tags: at most 44/);
  });

  it("names each bad tag: reserved prefixes, the tool's own keys, lengths, characters, edge spaces", () => {
    const found = issues({
      tags: { "aws:x": "1", "RDS:x": "1", Name: "n", "spontime:stack": "s", ["k".repeat(128)]: "1", v: "v".repeat(256), "semi;colon": "1", " lead": "1", ok: "aws:no" },
    }).join("\n");
    for (const bad of [/"aws:x"/, /"RDS:x"/, /"Name" is the tool's own/, /"spontime:stack" is the tool's own/, /"k{128}" \(128 characters\)/, /tag value "v{256}"/,
      /"semi;colon"/, /" lead"/, /tag value "aws:no"/]) {
      assert.match(found, bad);
    }
  });

  it("an empty value is refused only with a schedule (Scheduler's minimum is 1 character)", () => {
    assert.deepEqual(issues({ tags: { empty: "" } }), []);
    assert.deepEqual(issues({ schedule: PARIS, tags: { empty: "" } }), ["tags.empty: an empty value, which EventBridge Scheduler refuses on the schedule group: give it a value"]);
  });
});
