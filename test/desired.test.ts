// The stack a run wants is one pure function of the spec and what the run's steps learnt (src/stack/desired.ts):
// which fact wins for the AZs, the hosted zone and "asleep", and that nothing it is given is changed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpecSchema } from "../src/config/schema.js";
import type { Observed } from "../src/engine/plan.js";
import type { Live } from "../src/engine/types.js";
import { desiredStack, type Facts } from "../src/stack/desired.js";

const spec = (more: object = {}) => SpecSchema.parse({ appName: "spontime", region: "eu-west-3", ...more });
const live = (outputs: Record<string, unknown> = {}, attrs: Record<string, unknown> = {}): Live => ({ id: "x", state: "ready", attrs, outputs } as Live);
const subnets = (a: string, b: string): Observed => new Map([["subnet-public-a", live({ availabilityZone: a })], ["subnet-public-b", live({ availabilityZone: b })]]);
const seen = (resources: Observed, at = Date.UTC(2026, 11, 3, 12)) => ({ observed: { resources, at } });
const zone = (id: string) => ({ id, name: "example.com" });
const azs = (s: ReturnType<typeof spec>, facts: Facts) => desiredStack(s, facts).spec.availabilityZones;

describe("the AZs a run wants", () => {
  it("the spec's, then the state file's, then the live subnets', then connect's choice, then the region's a and b", () => {
    const connected = { connected: { zones: ["eu-west-3c", "eu-west-3a"] as [string, string] } };
    const all: Facts = { recorded: { azs: ["eu-west-3b", "eu-west-3c"] }, ...connected, ...seen(subnets("eu-west-3a", "eu-west-3b")) };
    assert.deepEqual(azs(spec({ availabilityZones: ["eu-west-3c", "eu-west-3b"] }), all), ["eu-west-3c", "eu-west-3b"]);
    assert.deepEqual(azs(spec(), all), ["eu-west-3b", "eu-west-3c"]);
    assert.deepEqual(azs(spec(), { recorded: {}, ...connected, ...seen(subnets("eu-west-3a", "eu-west-3b")) }), ["eu-west-3a", "eu-west-3b"]);
    assert.deepEqual(azs(spec(), { recorded: {}, ...connected, ...seen(new Map([["subnet-public-a", live({ availabilityZone: "eu-west-3a" })]])) }), ["eu-west-3c", "eu-west-3a"], "one live subnet is not a pair");
    assert.deepEqual(azs(spec(), { recorded: {}, ...connected }), ["eu-west-3c", "eu-west-3a"]);
    assert.deepEqual(azs(spec(), { recorded: {} }), ["eu-west-3a", "eu-west-3b"]);
  });
});

describe("the hosted zone a run wants", () => {
  const https = { https: { domain: "api.example.com" } };
  it("Route 53's once connect asked (none when it has none), else the state file's; never without https", () => {
    const recorded = { hostedZone: zone("Z-STATE") };
    assert.deepEqual(desiredStack(spec(https), { recorded }).spec.hostedZone, zone("Z-STATE"));
    assert.deepEqual(desiredStack(spec(https), { recorded, connected: { hostedZone: zone("Z-LIVE") } }).spec.hostedZone, zone("Z-LIVE"));
    assert.equal("hostedZone" in desiredStack(spec(https), { recorded, connected: { hostedZone: null } }).spec, false);
    assert.equal("hostedZone" in desiredStack(spec(), { recorded, connected: { hostedZone: zone("Z-LIVE") } }).spec, false);
  });
});

describe("what a run wants asleep", () => {
  const service = (tags: Record<string, string>, desiredCount = 1): Observed => new Map([["ecs-service", live({}, { tags, desiredCount })]]);
  const asleepTag = service({ "spontime:asleep": "true" }, 0);
  // Thu 3 Dec 2026 22:00 in Paris: inside the sleep window of a weekday 08:00-20:00 schedule.
  const night = Date.UTC(2026, 11, 3, 21);
  const scheduled = spec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } });

  it("sleep or wake chosen for the run wins over the state file, the tag and the schedule", () => {
    const d = desiredStack(scheduled, { recorded: { sleeping: true }, ...seen(asleepTag, night), asleepChosen: { service: false, database: false } });
    assert.deepEqual(d.spec.asleep, { service: false, database: false });
    assert.equal(d.sleepingFound, undefined);
    assert.equal(d.scheduleTurn, undefined);
  });

  it("the state file's sleep holds; with the state file lost, the service's tag says it (and the state file should learn it)", () => {
    assert.deepEqual(desiredStack(scheduled, { recorded: { sleeping: true } }).spec.asleep, { service: true, database: true });
    const found = desiredStack(spec(), { recorded: {}, ...seen(asleepTag) });
    assert.deepEqual(found.spec.asleep, { service: true, database: true });
    assert.equal(found.sleepingFound, true);
    // A wake recorded after the tag was read (or a tag left by hand) is not a sleep.
    assert.deepEqual(desiredStack(spec(), { recorded: { sleeping: false }, ...seen(asleepTag) }).spec.asleep, { service: false, database: false });
  });

  it("with a schedule, what the schedule has asleep at the minute observed, once observed; awake before", () => {
    assert.deepEqual(desiredStack(scheduled, { recorded: {} }).spec.asleep, { service: false, database: false });
    const d = desiredStack(scheduled, { recorded: {}, ...seen(service({}), night) });
    assert.deepEqual(d.spec.asleep, { service: true, database: true, bySchedule: true });
    assert.equal(d.scheduleTurn, "asleep now: the schedule's sleep window Thu 20:00-Fri 08:00 (Europe/Paris) holds until Fri 08:00");
    assert.match(d.notice ?? "", /^Asleep until Fri 08:00 \(Europe\/Paris\) by schedule/);
    const day = desiredStack(scheduled, { recorded: {}, ...seen(service({}), Date.UTC(2026, 11, 3, 12)) });
    assert.deepEqual(day.spec.asleep, { service: false, database: false, bySchedule: true });
    assert.equal(day.notice, undefined);
  });

  it("is pure: the same facts want the same stack, and neither the spec nor the facts are changed", () => {
    const s = scheduled;
    const facts: Facts = { recorded: { azs: ["eu-west-3a", "eu-west-3b"] }, connected: { hostedZone: null }, ...seen(service({}), night) };
    const before = structuredClone({ s, facts: { ...facts, observed: undefined } });
    const first = desiredStack(s, facts);
    assert.deepEqual(desiredStack(s, facts), first);
    assert.deepEqual({ s, facts: { ...facts, observed: undefined } }, before);
    assert.notEqual(first.spec, s);
  });
});
