/**
 * Tagging is declared, not written (src/resources/tagging.ts): every kind AWS can tag, as the registry holds
 * them, wants the stack's tags and keeps them in sync with its service's tag calls only.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TAGGERS } from "../src/aws/tags.js";
import { stackTags, TAG_RESOURCE, TAG_STACK } from "../src/config/names.js";
import { SpecSchema } from "../src/config/schema.js";
import type { Ctx, DesiredStack } from "../src/resources/context.js";
import { ALL_RESOURCES } from "../src/stack/resources.js";

const spec: DesiredStack = { ...SpecSchema.parse({ tags: { team: "web" }, https: { domain: "api.example.com" }, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" } }), availabilityZones: ["us-east-1a", "us-east-1b"], asleep: { service: false, database: false } };
const ref = (() => new Proxy({}, { get: () => "x" })) as never;

/** The IAM prefix of a client's actions, where it is not the client's own name. */
const IAM_PREFIX: Record<string, string> = { elbv2: "elasticloadbalancing" };

describe("a kind's declaration", () => {
  it("its client is the service of its own actions; a kind with no client (state only) makes nothing and changes nothing in AWS", () => {
    for (const r of ALL_RESOURCES) {
      const actions = Object.values(r.actions).flat();
      const mutating = [r.actions.create, r.actions.update, r.actions.delete].flat().filter(Boolean);
      if (r.client === "none") assert.deepEqual(mutating, [], r.key);
      else assert.ok(actions.some((a) => a!.startsWith(`${IAM_PREFIX[r.client] ?? r.client}:`)), `${r.key}: client ${r.client}, actions ${actions.join(" ")}`);
    }
  });
});

describe("tagging, once for every kind", () => {
  const taggable = ALL_RESOURCES.filter((r) => r.tagging !== "none");

  it("every kind AWS can tag wants the stack's tags, the user's among them", () => {
    assert.ok(taggable.length >= 20, `${taggable.length} taggable kinds`);
    for (const r of taggable) {
      const tags = r.desired(spec, ref).tags as Record<string, string>;
      assert.deepEqual({ ...tags, ...stackTags(spec, r.key) }, tags, `${r.key} carries every stack tag (and may add its own)`);
    }
  });

  it("a change of tags is the service's tag calls and nothing else, through the kind's client; tags others added are not ours", async () => {
    for (const r of taggable) {
      const sent: string[] = [];
      const client = { send: async (command: object) => { sent.push(command.constructor.name); return {}; } };
      const used = new Set<string>();
      const aws = new Proxy({}, { get: (_, name) => (used.add(String(name)), client) });
      const live = { id: "arn:x", state: "ready" as const, attrs: { tags: { ...stackTags(spec, r.key), team: "old" } }, outputs: { arn: "arn:x", dbSubnetGroupArn: "arn:x", repositoryArn: "arn:x", logGroupArn: "arn:x", groupArn: "arn:x" } };
      const ctx = { aws, spec, clock: { now: () => 0, sleep: async () => {} } } as unknown as Ctx;
      await r.update!(ctx, r.desired(spec, ref), live, ["tags"]);
      const [add] = TAGGERS[r.tagging as keyof typeof TAGGERS].actions;
      assert.deepEqual(sent.length, 1, `${r.key}: ${sent.join(", ")}`);
      assert.match(sent[0]!, new RegExp(`^${add.split(":")[1]}Command$`), r.key);
      assert.deepEqual([...used], [r.client], `${r.key}: its tag calls go through the client it declares`);
    }
    const vpc = taggable.find((r) => r.key === "vpc")!;
    const answer = { Vpcs: [{ VpcId: "vpc-1", Tags: [{ Key: TAG_STACK, Value: spec.appName }, { Key: TAG_RESOURCE, Value: "vpc" }, { Key: "theirs", Value: "x" }] }], EnableDnsSupport: { Value: true }, EnableDnsHostnames: { Value: true } };
    const ec2 = { send: async () => answer, sendWith: () => async () => answer };
    const observed = await vpc.observe({ spec, aws: { ec2 }, reads: { get: (_k: string, read: () => unknown) => read() } } as unknown as Ctx, undefined);
    assert.deepEqual(observed!.attrs.tags, { [TAG_STACK]: spec.appName, [TAG_RESOURCE]: "vpc" }, "a tag someone else added is not ours: never drift");
  });
});
