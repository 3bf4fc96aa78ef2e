/**
 * The spec's optional parts on moto, on a second stack of the same run: a `schedule` (EventBridge Scheduler,
 * an IAM role and its policy) and `https` (ACM, Route 53, a 443 listener). Each is added, checked in moto
 * itself (not through the CLI's own view), re-applied as a no-op, and removed until moto holds nothing of it.
 */
import assert from "node:assert/strict";
import * as ACM from "@aws-sdk/client-acm";
import * as EC2 from "@aws-sdk/client-ec2";
import * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import * as IAM from "@aws-sdk/client-iam";
import * as Route53 from "@aws-sdk/client-route-53";
import * as Scheduler from "@aws-sdk/client-scheduler";
import { unreportedDrift, type CliRun, type ContractTarget } from "../contract.js";
import { MOTO_CONFIG } from "./emulator-gaps.js";
import type { Sdk } from "./inventory.js";

export const APP2 = "spontime-e2e";
const SCHEDULE = { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" };
const ZONE = "e2e.example.com";
const DOMAIN = `api.${ZONE}`;
const BASE = { appName: APP2, ...MOTO_CONFIG };

export interface SecondStack {
  /** The CLI, the inventory and the target's gaps, for this stack (its own config file). */
  target: ContractTarget;
  /** Replaces this stack's spec file. */
  writeSpec(spec: object): void;
  step(name: string, fn: () => Promise<void>): Promise<void>;
  sdk: Sdk;
}

type Rows = { resources: { key: string; sync: string; fields: string[] }[]; schedule: { awake: string[]; timezone: string; next: { action: string; at: string } | null } | null };
const ok = (r: CliRun, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
const summary = (r: CliRun) => (JSON.parse(r.stdout) as { summary: Record<string, number> }).summary;
const notFound = (e: { name?: string }) => e.name === "ResourceNotFoundException" || e.name === "NoSuchEntityException";

/** `up`, then a second `up` that must change nothing but what the target does not report. */
async function upThenNoOp(t: ContractTarget, what: string): Promise<CliRun> {
  const first = await t.cli(["up", "--yes", "--json"]);
  ok(first, `up (${what})`);
  const status = await t.cli(["status", "--json"]);
  ok(status, "status");
  const resent = unreportedDrift(t, (JSON.parse(status.stdout) as Rows).resources);
  const again = await t.cli(["up", "--yes", "--json"]);
  ok(again, `second up (${what})`);
  assert.equal(t.mutatingCalls(again), resent.length, `second up (${what}) makes no mutating call but re-sending ${resent.join(", ") || "nothing"}`);
  assert.deepEqual(summary(again), { create: 0, update: resent.length, replace: 0, delete: 0 });
  return first;
}

/** What EventBridge Scheduler and IAM hold for the stack's schedule, read from moto directly. */
async function scheduling(sdk: Sdk) {
  const scheduler = new Scheduler.SchedulerClient(sdk);
  const iam = new IAM.IAMClient(sdk);
  const GroupName = `${APP2}-sleep`;
  const group = await scheduler.send(new Scheduler.GetScheduleGroupCommand({ Name: GroupName })).catch((e) => { if (notFound(e)) return undefined; throw e; });
  const groupTags = group ? (await scheduler.send(new Scheduler.ListTagsForResourceCommand({ ResourceArn: group.Arn }))).Tags ?? [] : [];
  // Every group's schedules, not just the stack's group: a schedule left in another group would still fire.
  const listed = (await scheduler.send(new Scheduler.ListSchedulesCommand({}))).Schedules ?? [];
  const schedules = await Promise.all(listed.filter((s) => s.Name!.startsWith(`${APP2}-`))
    .map((s) => scheduler.send(new Scheduler.GetScheduleCommand({ Name: s.Name, GroupName: s.GroupName }))));
  const role = (await iam.send(new IAM.GetRoleCommand({ RoleName: `${APP2}-us-east-1-scheduler` })).catch((e) => { if (notFound(e)) return undefined; throw e; }))?.Role;
  const policies = role ? await Promise.all(((await iam.send(new IAM.ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames ?? [])
    .map(async (PolicyName) => JSON.parse(decodeURIComponent((await iam.send(new IAM.GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName }))).PolicyDocument!)) as { Statement: { Action: string[]; Resource: string[] }[] })) : [];
  return { group, groupTags, schedules, role, policies };
}

const NOTHING = { group: undefined, schedules: [], role: undefined, policies: 0 };
const left = (s: Awaited<ReturnType<typeof scheduling>>) => ({ group: s.group?.Name, schedules: s.schedules.map((x) => x.Name), role: s.role?.RoleName, policies: s.policies.length });

export async function scheduleSteps({ target: t, writeSpec, step, sdk }: SecondStack): Promise<void> {
  await step("schedule: up creates the schedule group, the scheduler role and its policy, and one schedule per action", async () => {
    assert.deepEqual(await t.tagged(), [], "the second stack starts from nothing");
    writeSpec({ ...BASE, schedule: SCHEDULE });
    await upThenNoOp(t, "with a schedule");
    const s = await scheduling(sdk);
    assert.ok(s.group, "the schedule group exists");
    assert.ok(s.groupTags.some((x) => x.Key === "spontime:stack" && x.Value === APP2), "the group carries the stack's tag");
    assert.deepEqual(s.schedules.map((x) => x.Name).sort(), ["database-start", "database-stop", "service-sleep", "service-wake"].map((a) => `${APP2}-${a}-1`));
    for (const x of s.schedules) {
      assert.equal(x.GroupName, `${APP2}-sleep`);
      assert.equal(x.ScheduleExpressionTimezone, "Europe/Paris");
      assert.equal(x.State, "ENABLED");
      assert.equal(x.Target?.RoleArn, s.role?.Arn, `${x.Name} runs as the stack's scheduler role`);
      assert.match(x.Target!.Arn!, /^arn:aws:scheduler:::aws-sdk:(ecs:updateService|rds:(stop|start)DBInstance)$/);
    }
    const statements = s.policies.flatMap((p) => p.Statement);
    assert.deepEqual(statements.flatMap((x) => [x.Action].flat()).sort(), ["ecs:UpdateService", "rds:StartDBInstance", "rds:StopDBInstance"]);
    assert.ok(statements.every((x) => [x.Resource].flat().every((r) => !r.includes("*"))), "no wildcard resource");
  });

  await step("schedule: status shows the windows and the next sleep or wake in the schedule's time zone", async () => {
    const json = await t.cli(["status", "--json"]);
    ok(json, "status --json");
    const { schedule } = JSON.parse(json.stdout) as Rows;
    assert.deepEqual([schedule?.awake, schedule?.timezone], [[SCHEDULE.awake], SCHEDULE.timezone]);
    assert.match(`${schedule?.next?.action} ${schedule?.next?.at}`, /^(sleep|wake) (Mon|Tue|Wed|Thu|Fri) (08|20):00$/);
    const text = await t.cli(["status"]);
    ok(text, "status");
    assert.match(text.stdout, /Schedule: +awake Mon-Fri 08:00-20:00 \(Europe\/Paris\); next (sleep|wake) (Mon|Tue|Wed|Thu|Fri) (08|20):00/);
  });

  await step("schedule removed from the spec: up leaves no schedule, group, role or policy in moto, and the next up is a no-op", async () => {
    writeSpec(BASE);
    await upThenNoOp(t, "schedule removed");
    assert.deepEqual(left(await scheduling(sdk)), NOTHING);
  });
}

/** What ACM, ELB, EC2 and Route 53 hold for the stack's HTTPS, read from moto directly. */
async function httpsParts(sdk: Sdk, zoneId: string) {
  const acm = new ACM.ACMClient(sdk);
  const elb = new ELB.ElasticLoadBalancingV2Client(sdk);
  const certificates = await Promise.all(((await acm.send(new ACM.ListCertificatesCommand({}))).CertificateSummaryList ?? [])
    .map(async (c) => (await acm.send(new ACM.DescribeCertificateCommand({ CertificateArn: c.CertificateArn }))).Certificate!));
  const alb = (await elb.send(new ELB.DescribeLoadBalancersCommand({ Names: [`${APP2}-alb`] }))).LoadBalancers![0]!;
  const listeners = (await elb.send(new ELB.DescribeListenersCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Listeners ?? [];
  const group = (await new EC2.EC2Client(sdk).send(new EC2.DescribeSecurityGroupsCommand({ GroupIds: alb.SecurityGroups }))).SecurityGroups![0]!;
  const records = (await new Route53.Route53Client(sdk).send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
  return {
    alb, certificates,
    listeners: listeners.map((l) => ({ port: l.Port, protocol: l.Protocol, sslPolicy: l.Protocol === "HTTPS" ? l.SslPolicy : undefined, certificates: l.Certificates?.map((c) => c.CertificateArn), action: l.DefaultActions?.[0] })),
    worldOpen: (group.IpPermissions ?? []).filter((p) => p.IpRanges?.some((r) => r.CidrIp === "0.0.0.0/0")).map((p) => p.FromPort!).sort((a, b) => a - b),
    records: records.filter((r) => r.Type !== "NS" && r.Type !== "SOA"),
  };
}

export async function httpsSteps({ target: t, writeSpec, step, sdk }: SecondStack): Promise<void> {
  let zoneId = "";
  await step("https with a Route 53 zone for the domain: up requests the certificate, writes its validation record, waits for ISSUED, then adds the 443 listener, the redirect and the alias (0 manual steps); a second up is a no-op", async () => {
    const zone = await new Route53.Route53Client(sdk).send(new Route53.CreateHostedZoneCommand({ Name: ZONE, CallerReference: `e2e-${Date.now()}` }));
    zoneId = zone.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
    writeSpec({ ...BASE, https: { domain: DOMAIN } });
    const up = await upThenNoOp(t, "with https");
    assert.ok(up.stderr.includes(`certificate issued for ${DOMAIN} (DNS validation): done`), "up waited for the certificate");
    const h = await httpsParts(sdk, zoneId);
    assert.equal(h.certificates.length, 1, "one certificate");
    const cert = h.certificates[0]!;
    assert.deepEqual([cert.DomainName, cert.Status, cert.DomainValidationOptions?.[0]?.ValidationMethod], [DOMAIN, "ISSUED", "DNS"]);
    const cname = cert.DomainValidationOptions![0]!.ResourceRecord!;
    assert.deepEqual(h.records.map((r) => [r.Name, r.Type, r.ResourceRecords?.[0]?.Value ?? `alias ${r.AliasTarget?.DNSName}`]).sort(), [
      [`${DOMAIN}.`, "A", `alias ${h.alb.DNSName}.`],
      [cname.Name, "CNAME", cname.Value],
    ].sort(), "the validation CNAME as ACM gives it, and the domain's alias to the ALB");
    const tg = h.listeners.find((l) => l.port === 443)?.action?.TargetGroupArn;
    assert.match(tg ?? "", /:targetgroup\/spontime-e2e-tg\//, "443 forwards to the stack's target group");
    assert.deepEqual(h.listeners.sort((a, b) => a.port! - b.port!), [
      { port: 80, protocol: "HTTP", sslPolicy: undefined, certificates: undefined, action: { Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", Host: "#{host}", Path: "/#{path}", Query: "#{query}", StatusCode: "HTTP_301" } } },
      { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificates: [cert.CertificateArn], action: { Type: "forward", TargetGroupArn: tg } },
    ]);
    assert.deepEqual(h.worldOpen, [80, 443], "the ALB group opens 80 and 443 to the world, nothing else");
    assert.equal((JSON.parse((await t.cli(["outputs", "--json"])).stdout) as { url: string }).url, `https://${DOMAIN}`);
  });

  await step("https removed from the spec: one up goes back to plain HTTP, no certificate, 443 listener, redirect or record is left in moto; the next up is a no-op", async () => {
    writeSpec(BASE);
    await upThenNoOp(t, "https removed");
    const h = await httpsParts(sdk, zoneId);
    assert.deepEqual(h.certificates, []);
    assert.deepEqual(h.records, []);
    assert.deepEqual(h.listeners.map((l) => [l.port, l.protocol, l.action?.Type]), [[80, "HTTP", "forward"]]);
    assert.deepEqual(h.worldOpen, [80]);
    assert.match((JSON.parse((await t.cli(["outputs", "--json"])).stdout) as { url: string }).url, /^http:\/\/.+\.elb\.amazonaws\.com$/);
  });
}

export async function teardownSteps({ target: t, writeSpec, step, sdk }: SecondStack): Promise<void> {
  await step("schedule back on, then down: no schedule, group, role, policy or anything tagged is left in moto", async () => {
    writeSpec({ ...BASE, schedule: SCHEDULE });
    ok(await t.cli(["up", "--yes", "--json"]), "up");
    assert.equal((await scheduling(sdk)).schedules.length, 4);
    ok(await t.cli(["down", "--yes", "--skip-final-snapshot", "--json"]), "down");
    assert.deepEqual(left(await scheduling(sdk)), NOTHING);
    assert.deepEqual(await t.tagged(), []);
  });
}
