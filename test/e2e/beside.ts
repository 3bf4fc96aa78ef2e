/**
 * Beside other stacks, on moto (issue 23 items 2 and 3): one appName in two regions of one account (IAM is
 * account-wide in moto as in AWS), and a shared Route 53 zone holding records that are not the stack's. What
 * each step checks is read from moto itself, not through the CLI's own view.
 */
import assert from "node:assert/strict";
import * as EC2 from "@aws-sdk/client-ec2";
import * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import * as IAM from "@aws-sdk/client-iam";
import * as Route53 from "@aws-sdk/client-route-53";
import { unreportedDrift, type CliRun, type ContractTarget } from "../contract.js";
import { MOTO_CONFIG, MOTO_UNREPORTED } from "./emulator-gaps.js";
import { inventory, type Sdk } from "./inventory.js";

export const APP3 = "spontime-beside";
const EAST = "us-east-1";
const WEST = "eu-west-1";
const ZONE = "beside.example.com";
const DOMAIN = `api.${ZONE}`;

export interface Beside {
  /** The CLI for this app's stack in `region`: its own spec file and state directory, AWS_REGION set to match. */
  cli(region: string, argv: string[]): Promise<CliRun>;
  /** Writes the spec of this app's stack in `region`. */
  writeSpec(region: string, spec: object): void;
  step(name: string, fn: () => Promise<void>): Promise<void>;
  sdk: Sdk;
}

const ok = (r: CliRun, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
const mutating = (r: CliRun) => (JSON.parse(r.stdout) as { calls: { mutating: number } }).calls.mutating;

/** Every IAM role of the app in `region` with its trust, tags, attached and inline policies, as moto holds them. */
async function roles(sdk: Sdk, region: string) {
  const iam = new IAM.IAMClient(sdk);
  const listed = ((await iam.send(new IAM.ListRolesCommand({}))).Roles ?? []).filter((r) => r.RoleName!.startsWith(`${APP3}-${region}-`));
  return Promise.all(listed.map(async (r) => {
    const RoleName = r.RoleName!;
    const inline = (await iam.send(new IAM.ListRolePoliciesCommand({ RoleName }))).PolicyNames ?? [];
    return {
      name: RoleName, trust: r.AssumeRolePolicyDocument,
      tags: (await iam.send(new IAM.ListRoleTagsCommand({ RoleName }))).Tags,
      attached: (await iam.send(new IAM.ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies,
      inline: await Promise.all(inline.map(async (PolicyName) => (await iam.send(new IAM.GetRolePolicyCommand({ RoleName, PolicyName }))).PolicyDocument)),
    };
  }));
}

/** `up --json` that must change nothing but what moto does not report back. */
async function noOpUp(b: Beside, region: string): Promise<void> {
  const status = await b.cli(region, ["status", "--json"]);
  ok(status, `status (${region})`);
  const resent = unreportedDrift({ unreported: MOTO_UNREPORTED } as ContractTarget, (JSON.parse(status.stdout) as { resources: { key: string; sync: string; fields: string[] }[] }).resources);
  const again = await b.cli(region, ["up", "--yes", "--json"]);
  ok(again, `up (${region})`);
  assert.equal(mutating(again), resent.length, `up in ${region} makes no mutating call but re-sending ${resent.join(", ") || "nothing"}`);
}

export async function besideSteps(b: Beside): Promise<void> {
  const r53 = new Route53.Route53Client(b.sdk);
  const records = async (zoneId: string) => ((await r53.send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [])
    .filter((r) => r.Type !== "NS" && r.Type !== "SOA");

  await b.step("two stacks of one appName in two regions: down of one leaves the other's roles and policies unchanged, and the other's next up makes no mutating call", async () => {
    for (const region of [EAST, WEST]) {
      b.writeSpec(region, { appName: APP3, ...MOTO_CONFIG, region, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } });
      ok(await b.cli(region, ["up", "--yes", "--json"]), `up (${region})`);
    }
    const west = await roles(b.sdk, WEST);
    assert.deepEqual(west.map((r) => r.name).sort(), [`${APP3}-${WEST}-ecs-execution`, `${APP3}-${WEST}-scheduler`]);
    assert.equal((await roles(b.sdk, EAST)).length, 2);
    ok(await b.cli(EAST, ["down", "--yes", "--skip-final-snapshot", "--json"]), `down (${EAST})`);
    assert.deepEqual(await roles(b.sdk, EAST), []);
    assert.deepEqual(await roles(b.sdk, WEST), west);
    await noOpUp(b, WEST);
    ok(await b.cli(WEST, ["down", "--yes", "--skip-final-snapshot", "--json"]), `down (${WEST})`);
  });

  await b.step("a region from the environment that is not the spec's is refused before any AWS call (exit 2, both named)", async () => {
    const r = await b.cli(EAST, ["up", "--yes", "--region", WEST]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--region says ${WEST} but .* says region ${EAST}`));
  });

  let zoneId = "";
  await b.step("a shared zone whose domain points elsewhere (a private zone of the same name beside it): plan and up refuse and name the record; --take-over-dns repoints it in the public zone only", async () => {
    const vpc = (await new EC2.EC2Client(b.sdk).send(new EC2.CreateVpcCommand({ CidrBlock: "10.9.0.0/16" }))).Vpc!.VpcId!;
    const hidden = (await r53.send(new Route53.CreateHostedZoneCommand({ Name: ZONE, CallerReference: `beside-private-${Date.now()}`, VPC: { VPCRegion: EAST, VPCId: vpc }, HostedZoneConfig: { PrivateZone: true } }))).HostedZone!.Id!;
    zoneId = (await r53.send(new Route53.CreateHostedZoneCommand({ Name: ZONE, CallerReference: `beside-${Date.now()}` }))).HostedZone!.Id!.replace(/^\/hostedzone\//, "");
    const owners = { Name: `${DOMAIN}.`, Type: "A" as const, TTL: 60, ResourceRecords: [{ Value: "203.0.113.7" }] };
    await r53.send(new Route53.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: "CREATE", ResourceRecordSet: owners }] } }));
    b.writeSpec(EAST, { appName: APP3, ...MOTO_CONFIG, region: EAST, https: { domain: DOMAIN } });
    for (const argv of [["plan"], ["up", "--yes"]]) {
      const r = await b.cli(EAST, argv);
      assert.equal(r.code, 2, `${argv[0]}: ${r.stderr}`);
      assert.match(r.stderr, /Route 53 already has A api\.beside\.example\.com\. \(203\.0\.113\.7\), which is not this stack's: refusing to take it over/);
    }
    assert.deepEqual(await inventory(b.sdk, APP3), [], "nothing made before the refusal");
    ok(await b.cli(EAST, ["up", "--yes", "--json", "--take-over-dns"]), "up --take-over-dns");
    const alb = (await new ELB.ElasticLoadBalancingV2Client(b.sdk).send(new ELB.DescribeLoadBalancersCommand({ Names: [`${APP3}-alb`] }))).LoadBalancers![0]!;
    assert.equal((await records(zoneId)).find((r) => r.Type === "A")?.AliasTarget?.DNSName, `${alb.DNSName}.`);
    assert.deepEqual(await records(hidden), [], "the private zone is never written");
  });

  await b.step("the owner repoints the domain by hand and changes the validation record's TTL: down exits 0, leaves their A record as it is and nothing of the stack", async () => {
    const cname = (await records(zoneId)).find((r) => r.Type === "CNAME")!;
    const owners = { Name: `${DOMAIN}.`, Type: "A" as const, TTL: 60, ResourceRecords: [{ Value: "198.51.100.9" }] };
    await r53.send(new Route53.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [
      { Action: "UPSERT", ResourceRecordSet: owners },
      { Action: "UPSERT", ResourceRecordSet: { ...cname, TTL: 60 } },
    ] } }));
    for (const run of [1, 2]) {
      const r = await b.cli(EAST, ["down", "--yes", "--skip-final-snapshot"]);
      ok(r, `down #${run}`);
      assert.deepEqual((await records(zoneId)).map((x) => [x.Name, x.Type, x.TTL, x.ResourceRecords?.[0]?.Value]), [[owners.Name, "A", 60, "198.51.100.9"]]);
    }
    assert.deepEqual(await inventory(b.sdk, APP3), []);
  });
}
