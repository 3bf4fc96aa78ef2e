import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { ACMClient, RequestCertificateCommand } from "@aws-sdk/client-acm";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { RecordSet } from "./fake/route53.js";
import { APP, Harness } from "./helpers.js";

const DOMAIN = "api.example.com";
let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const withHttps = () => h.writeSpec({ https: { domain: DOMAIN } });
const records = (zone: string) => h.fake.route53.zones.get(zone)!.records;
const names = (zone: string) => records(zone).map((r) => `${r.Type} ${r.Name}`).sort();
/** The owner's own server, as they would point the domain at it by hand. */
const OWNERS: RecordSet = { Name: `${DOMAIN}.`, Type: "A", TTL: 60, ResourceRecords: [{ Value: "203.0.113.7" }] };

async function upWithZone(): Promise<string> {
  const zone = h.fake.createHostedZone("example.com");
  await h.up("--config", withHttps());
  assert.deepEqual(names(zone), [`A ${DOMAIN}.`, `CNAME ${[...h.fake.acm.certs.values()][0]!.recordName}`]);
  return zone;
}

describe("a Route 53 record is this stack's only when it says what the stack wrote (issue 23)", () => {
  it("the owner repoints the domain by hand: down leaves their record, deletes everything else, exit 0 (and again)", async () => {
    const zone = await upWithZone();
    const at = records(zone).findIndex((r) => r.Type === "A");
    records(zone)[at] = structuredClone(OWNERS);
    for (const run of [1, 2]) {
      const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--config", withHttps()]);
      assert.equal(r.code, 0, `down #${run}: ${r.stderr}`);
      assert.deepEqual(records(zone), [OWNERS]);
      assert.deepEqual(h.fake.taggedResources(APP), []);
    }
  });

  it("the domain already points elsewhere: plan and up refuse before any change, naming the record; --take-over-dns repoints it", async () => {
    const zone = h.fake.createHostedZone("example.com");
    records(zone).push(structuredClone(OWNERS));
    const plan = await h.cli(["plan", "--config", withHttps()]);
    assert.equal(plan.code, 2);
    assert.match(plan.stderr, /Route 53 already has A api\.example\.com\. \(203\.0\.113\.7\), which is not this stack's: refusing to take it over.*--take-over-dns/);
    const up = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(up.code, 2);
    assert.deepEqual(h.fake.mutatingCalls(), []);
    assert.deepEqual(records(zone), [OWNERS]);

    const shown = await h.cli(["plan", "--config", withHttps(), "--take-over-dns"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /~ Route 53 alias api\.example\.com -> the load balancer[^\n]*\n\s+value: "?203\.0\.113\.7"? → /);
    const taken = await h.cli(["up", "--yes", "--config", withHttps(), "--take-over-dns"]);
    assert.equal(taken.code, 0, taken.stderr);
    const alias = records(zone).find((r) => r.Type === "A")!;
    assert.equal(alias.AliasTarget?.DNSName, `${[...h.fake.elb.lbs.values()][0]!.dns}.`);
  });

  it("down leaves the validation CNAME while another certificate of the domain (not ours) still needs it", async () => {
    const zone = await upWithZone();
    const cname = records(zone).find((r) => r.Type === "CNAME")!;
    await h.clock.run(() => new ACMClient({ region: "us-east-1" }).send(new RequestCertificateCommand({ DomainName: DOMAIN, ValidationMethod: "DNS" })));
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), [cname]);
    assert.match(r.stderr, /Left CNAME .* ACM validates .* \(not this stack's\) with the same record/);
  });

  it("a state file naming another stack's records: up --yes neither replaces nor deletes them", async () => {
    const zone = h.fake.createHostedZone("example.com");
    const theirs: RecordSet[] = [
      { Name: "www.example.com.", Type: "A", AliasTarget: { HostedZoneId: "Z35SXDOTRQ7X7K", DNSName: "other-alb-1.us-east-1.elb.amazonaws.com.", EvaluateTargetHealth: false } },
      { Name: "_0123456789abcdef.www.example.com.", Type: "CNAME", TTL: 300, ResourceRecords: [{ Value: "_fedcba9876543210.acm-validations.aws." }] },
    ];
    records(zone).push(...structuredClone(theirs));
    await h.up("--config", withHttps());
    // As a state file copied from the other stack would say: its records, at their names.
    const state = JSON.parse(readFileSync(h.statePath, "utf8"));
    state.resources["dns-alias-record"].outputs.name = theirs[0]!.Name;
    state.resources["dns-validation-record"].outputs.name = theirs[1]!.Name;
    writeFileSync(h.statePath, JSON.stringify(state), { mode: 0o600 });
    for (const command of [["up", "--yes"], ["down", "--yes", "--skip-final-snapshot"]]) {
      const r = await h.cli([...command, "--config", withHttps()]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(records(zone).filter((x) => x.Name.includes("www")), theirs, command[0]);
    }
    assert.deepEqual(names(zone), ["A www.example.com.", "CNAME _0123456789abcdef.www.example.com."]);
  });

  it("a DELETE repeats the record exactly as read: a TTL changed by hand does not stop down", async () => {
    const zone = await upWithZone();
    records(zone).find((r) => r.Type === "CNAME")!.TTL = 60;
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), []);
  });
});

describe("the hosted zone for the domain (issue 24 item 12)", () => {
  it("a private zone of the same name is skipped: the records go to the public zone", async () => {
    const hidden = h.fake.createHostedZone("example.com", { private: true });
    const zone = h.fake.createHostedZone("example.com");
    await h.up("--config", withHttps());
    assert.equal(records(zone).length, 2);
    assert.deepEqual(records(hidden), []);
  });

  it("two public zones of the domain's name: refused before any change, both named", async () => {
    const one = h.fake.createHostedZone("example.com");
    const two = h.fake.createHostedZone("example.com");
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`2 public hosted zones named example\\.com\\. \\(${one}, ${two}\\)`));
    assert.deepEqual(h.fake.mutatingCalls(), []);
  });
});

describe("every path that applies a plan keeps off a record that is not the stack's", () => {
  it("sleep after the owner repointed the domain: their record is unchanged, and the refusal says why", async () => {
    const zone = await upWithZone();
    const at = records(zone).findIndex((r) => r.Type === "A");
    records(zone)[at] = structuredClone(OWNERS);
    const r = await h.cli(["sleep", "--config", withHttps()]);
    assert.match(r.stderr, /Route 53 already has A api\.example\.com\. \(203\.0\.113\.7\), which is not this stack's: refusing to take it over/);
    assert.deepEqual(records(zone).find((x) => x.Type === "A"), OWNERS);
  });
});

describe("a CNAME at the domain points it elsewhere too", () => {
  it("plan refuses and names it; --take-over-dns replaces it with the alias (no A record can sit beside a CNAME)", async () => {
    const zone = h.fake.createHostedZone("example.com");
    const theirs: RecordSet = { Name: `${DOMAIN}.`, Type: "CNAME", TTL: 120, ResourceRecords: [{ Value: "myapp.herokudns.com." }] };
    records(zone).push(structuredClone(theirs));
    const plan = await h.cli(["plan", "--config", withHttps()]);
    assert.equal(plan.code, 2);
    assert.match(plan.stderr, /Route 53 already has CNAME api\.example\.com\. \(myapp\.herokudns\.com\.\), which is not this stack's/);
    const taken = await h.cli(["up", "--yes", "--config", withHttps(), "--take-over-dns"]);
    assert.equal(taken.code, 0, taken.stderr);
    assert.deepEqual(records(zone).filter((r) => r.Name === `${DOMAIN}.`).map((r) => [r.Type, r.AliasTarget?.DNSName]), [["A", `${[...h.fake.elb.lbs.values()][0]!.dns}.`]]);
  });
});
