import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { ACMClient, RequestCertificateCommand, type RequestCertificateCommandInput } from "@aws-sdk/client-acm";
import { afterEach, beforeEach, describe, it } from "node:test";
import { APP, Harness } from "./helpers.js";

const DOMAIN = "api.example.com";
let h: Harness;
beforeEach(() => { h = new Harness(); });
afterEach(() => h.close());

const spec = (value: object) => h.writeSpec(value);
const withHttps = () => spec({ https: { domain: DOMAIN } });
const plain = () => spec({});

/** The user, having read the CNAME `up` printed, adds it at their DNS provider `afterMs` after the request. */
function userAddsCnameAfter(afterMs: number): void {
  h.fake.onCall = (op) => {
    if (op !== "DescribeCertificate") return;
    for (const c of h.fake.acm.certs.values()) if (h.fake.clock.now() >= c.requestedAt + afterMs) h.fake.addPublicCname(c.recordName, c.recordValue);
  };
}

const listeners = () => [...h.fake.elb.listeners.values()].map((l) => ({ port: l.port, protocol: l.protocol, redirect: l.redirect?.StatusCode ?? null, forward: !!l.targetGroupArn, certs: l.certificates.length })).sort((a, b) => a.port - b.port);
const worldOpen = () => [...h.fake.ec2.sgs.values()].flatMap((g) => g.rules.filter((r) => r.source === "0.0.0.0/0" || r.source === "::/0").map((r) => `${g.name}:${r.from}-${r.to}`)).sort();

describe("https with a domain", () => {
  it("plan lists the certificate, its validation, the 443 listener and the redirect", async () => {
    await h.up();
    const r = await h.cli(["plan", "--config", withHttps(), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const changes = JSON.parse(r.stdout).changes as { key: string; action: string; diffs: { path: string; after: unknown }[] }[];
    const byKey = new Map(changes.map((c) => [c.key, c]));
    assert.equal(byKey.get("certificate")?.action, "create");
    assert.equal(byKey.get("certificate-validation")?.action, "create");
    assert.equal(byKey.get("listener-https")?.action, "create");
    assert.deepEqual(byKey.get("listener-http")?.diffs.filter((d) => d.path.startsWith("action.")).map((d) => [d.path, d.after ?? null]), [
      ["action.forwardTo", null], ["action.redirectTo", "HTTPS:443"], ["action.status", "HTTP_301"],
    ]);
    assert.ok(byKey.get("sg-alb")?.diffs.some((d) => d.path === "ingress"), "443 opens on the ALB group");
    assert.ok(!byKey.has("dns-alias-record"), "no hosted zone: no Route 53 records planned");
  });

  it("up prints the CNAME, waits for it, and ends at the https:// URL", async () => {
    await h.up();
    userAddsCnameAfter(10 * 60_000);
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    const cert = [...h.fake.acm.certs.values()][0]!;
    assert.equal(cert.status, "ISSUED");
    assert.ok(r.stderr.includes(`CNAME ${cert.recordName} -> ${cert.recordValue}`), r.stderr);
    assert.match(r.stdout, new RegExp(`App URL: https://${DOMAIN}`));
    assert.equal(cert.tags["spontime:stack"], APP, "tagged at request");
    assert.deepEqual(listeners(), [
      { port: 80, protocol: "HTTP", redirect: "HTTP_301", forward: false, certs: 0 },
      { port: 443, protocol: "HTTPS", redirect: null, forward: true, certs: 1 },
    ]);
    assert.equal([...h.fake.elb.listeners.values()].find((l) => l.port === 443)!.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    const td = [...h.fake.ecs.taskDefs.values()].at(-1)!.def.containerDefinitions![0]!.environment!;
    assert.match(td.find((e) => e.name === "ALLOWED_HOSTS")!.value!, new RegExp(DOMAIN));
    assert.equal(td.find((e) => e.name === "CSRF_TRUSTED_ORIGINS")!.value, `https://${DOMAIN}`);
    const out = JSON.parse((await h.cli(["outputs", "--json", "--config", withHttps()])).stdout);
    assert.equal(out.url, `https://${DOMAIN}`);
    const elsewhere = JSON.parse((await h.cli(["outputs", "--json", "--config", h.writeSpec({ appName: "spontime-poc" })])).stdout);
    assert.equal(elsewhere.url, `https://${DOMAIN}`, "outputs from a spec that does not name the domain: the certificate's");
    const again = await h.cli(["plan", "--config", withHttps(), "--detailed-exitcode"]);
    assert.equal(again.code, 0, `converged: ${again.stdout}${again.stderr}`);
  });

  it("a run that stops waiting leaves the certificate pending, and the next up resumes the wait", async () => {
    await h.up();
    const ac = new AbortController();
    h.fake.onCall = (op) => { if (op === "DescribeCertificate" && h.fake.clock.now() > [...h.fake.acm.certs.values()][0]!.requestedAt + 5 * 60_000) ac.abort(); };
    const first = await h.cli(["up", "--yes", "--config", withHttps()], { signal: ac.signal });
    assert.notEqual(first.code, 0);
    assert.equal(h.fake.count("RequestCertificate"), 1);
    userAddsCnameAfter(0);
    const second = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(h.fake.count("RequestCertificate"), 1, "the same certificate, waited for again");
    assert.match(second.stdout, /App URL: https:\/\//);
  });

  it("a certificate ACM gave up on is named with its reason and what to do; none is requested again", async () => {
    await h.up();
    const states = async () => {
      const resources = JSON.parse((await h.cli(["status", "--json", "--config", withHttps()])).stdout).resources as { key: string; state: string }[];
      return resources.filter((r) => r.key.startsWith("certificate")).map((r) => `${r.key}: ${r.state}`);
    };
    const fix = "remove https from the spec and run up, then add it back for a new certificate";
    h.fake.onCall = (op) => { if (op === "DescribeCertificate") for (const c of h.fake.acm.certs.values()) Object.assign(c, { status: "FAILED", failureReason: "CAA_ERROR" }); };
    const failed = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /\(arn:aws:acm:[^)]+\) failed: ACM could not issue it: CAA_ERROR/);
    assert.deepEqual(await states(), ["certificate: ACM could not issue it: CAA_ERROR", `certificate-validation: the certificate is FAILED (CAA_ERROR): ${fix}`]);

    h.fake.onCall = undefined;
    for (const c of h.fake.acm.certs.values()) Object.assign(c, { status: "VALIDATION_TIMED_OUT", failureReason: undefined });
    const timedOut = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(timedOut.code, 1);
    assert.match(timedOut.stderr, new RegExp(`failed: the certificate is VALIDATION_TIMED_OUT: ${fix}`), "named, not tried on (no HTTPS listener made)");
    assert.deepEqual(listeners().map((l) => l.port), [80]);
    assert.equal(h.fake.count("RequestCertificate"), 1);
  });

  it("security: with HTTPS on, the only world-open ingress is 80 and 443 on the ALB group", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    assert.deepEqual(worldOpen(), [`${APP}-sg-alb:443-443`, `${APP}-sg-alb:80-80`]);
  });

  it("removing https goes back to plain HTTP in one up: nothing of it left, no long retries", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    h.fake.onCall = undefined;
    const started = h.clock.now();
    const r = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.fake.acm.certs.size, 0, "certificate deleted");
    assert.deepEqual(listeners(), [{ port: 80, protocol: "HTTP", redirect: null, forward: true, certs: 0 }]);
    assert.deepEqual(worldOpen(), [`${APP}-sg-alb:80-80`]);
    assert.ok(!Object.keys(h.state().resources).some((k) => /certificate|https|dns-/.test(k)), "state forgets them");
    const deletes = h.fake.calls.filter((c) => c.at >= started && c.op.startsWith("Delete")).map((c) => c.op);
    assert.ok(deletes.indexOf("DeleteListener") < deletes.indexOf("DeleteCertificate"), deletes.join(","));
    assert.equal(h.fake.count("DeleteCertificate"), 1, "the listener went first: no in-use retries");
    assert.match(r.stdout, /App URL: http:\/\/spontime-poc-alb/);
    const again = await h.cli(["plan", "--config", plain(), "--detailed-exitcode"]);
    assert.equal(again.code, 0, again.stdout);
  });

  it("removing https needs acm:DeleteCertificate: the preflight checks the plan's deletes before any change", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    h.fake.onCall = undefined;
    h.fake.deniedActions = ["acm:DeleteCertificate"];
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(h.fake.mutatingCalls().map((c) => c.op), []);
    assert.match(r.stderr, /error {3}permissions: 1 action\(s\) up needs are not allowed .*: acm:DeleteCertificate/);
    assert.equal(h.fake.acm.certs.size, 1, "the certificate is still there");
  });

  it("down deletes the HTTPS pieces too, even with https gone from the spec", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.taggedResources(APP), []);
  });

  it("with a Route 53 zone for the domain: 0 manual steps, the validation record and an alias to the ALB written", async () => {
    const zone = h.fake.createHostedZone("example.com");
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /App URL: https:\/\/api\.example\.com/);
    const records = h.fake.route53.zones.get(zone)!.records;
    const alias = records.find((x) => x.Type === "A")!;
    assert.equal(alias.Name, `${DOMAIN}.`);
    assert.equal(alias.AliasTarget!.DNSName, `${[...h.fake.elb.lbs.values()][0]!.dns}.`);
    assert.equal(records.filter((x) => x.Type === "CNAME").length, 1);
    h.fake.pushImage(APP, "v1");
    const deploy = await h.cli(["deploy", "--tag", "v1", "--config", withHttps()]);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(deploy.stdout, /https:\/\/api\.example\.com is healthy/);
    const off = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(h.fake.route53.zones.get(zone)!.records, [], "both records removed with https");
  });

  it("a new domain replaces the certificate create-before-delete: the 443 listener moves to the new one, then the old one goes; one run, no in-use retry (issue 24 item 19)", async () => {
    const zone = h.fake.createHostedZone("example.com");
    await h.up("--config", withHttps());
    const old = [...h.fake.acm.certs.values()][0]!;
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--config", spec({ https: { domain: "www.example.com" } })]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /still in use/);
    assert.equal(h.fake.calls.filter((c) => c.op === "DeleteCertificate").length, 1, "deleted once, when nothing used it any more");
    const certs = [...h.fake.acm.certs.values()].filter((c) => c.tags["spontime:stack"] === APP);
    assert.deepEqual(certs.map((c) => c.domain), ["www.example.com"]);
    assert.ok(!h.fake.acm.certs.has(old.arn), "the old certificate is gone");
    assert.equal([...h.fake.elb.listeners.values()].find((l) => l.port === 443)!.certificates[0], certs[0]!.arn);
    assert.deepEqual(h.fake.route53.zones.get(zone)!.records.filter((x) => x.Type === "A").map((x) => x.Name), ["www.example.com."]);
    assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", spec({ https: { domain: "www.example.com" } })])).code, 0);
  });

  it("https removed then added again within the hour: a new request (a new idempotency token), not the deleted certificate back (issue 24 item 5)", async () => {
    h.fake.createHostedZone("example.com");
    await h.up("--config", withHttps());
    const first = [...h.fake.acm.certs.keys()][0]!;
    await h.up("--config", plain());
    assert.equal(h.fake.acm.certs.size, 0);
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    const [second] = [...h.fake.acm.certs.values()];
    assert.ok(second && second.arn !== first, "a new certificate");
    assert.equal(second.status, "ISSUED");
  });

  it("refuses an A record for the domain that spontime-infra did not write", async () => {
    const zone = h.fake.createHostedZone("example.com");
    h.fake.route53.zones.get(zone)!.records.push({ Name: `${DOMAIN}.`, Type: "A", TTL: 300, ResourceRecords: [{ Value: "192.0.2.1" }] });
    const r = await h.cli(["plan", "--config", withHttps()]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /which is not this stack's: refusing to take it over/);
  });

  it("cost: HTTPS adds $0 (the certificate is free; a hosted zone, if the user has one, is named with its price)", async () => {
    const plainCost = JSON.parse((await h.cli(["cost", "--json", "--config", plain()])).stdout);
    const httpsCost = JSON.parse((await h.cli(["cost", "--json", "--config", withHttps()])).stdout);
    assert.equal(httpsCost.total, plainCost.total);
    assert.ok(httpsCost.lines.some((l: { item: string; monthly: unknown }) => l.item.startsWith("ACM public certificate") && l.monthly === 0));
    assert.ok(httpsCost.lines.some((l: { item: string; note?: string }) => l.item.startsWith("Route 53 hosted zone") && l.note?.includes("$0.5/month")));
  });

  it("a domain longer than ACM's 64 characters is refused offline (exit 2) before any AWS call (issue 24 item 11)", async () => {
    const long = `${"a".repeat(53)}.example.com`; // 65 characters
    const r = await h.cli(["validate", "--config", spec({ https: { domain: long } })]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /https\.domain: ACM takes at most 64 characters/);
    assert.equal((await h.cli(["validate", "--config", spec({ https: { domain: long.slice(1) } })])).code, 0);
    const up = await h.cli(["up", "--yes", "--config", spec({ https: { domain: long } })]);
    assert.equal(up.code, 2);
    assert.deepEqual(h.fake.calls, []);
  });

  it("a domain that is not a hostname is refused before any AWS call", async () => {
    const r = await h.cli(["plan", "--config", spec({ https: { domain: "https://api.example.com/" } })]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /https\.domain/);
    assert.equal(h.fake.calls.length, 0);
  });
});

describe("optional kinds (https, schedule) are looked for only where AWS may hold them", () => {
  const optionalReads = (from: number) => h.fake.calls.slice(from).filter((c) => ["acm", "route53", "scheduler"].includes(c.service)).map((c) => c.op);

  it("a no-op up of a stack that never had https or a schedule sends no ACM, Route 53 or Scheduler call", async () => {
    await h.up();
    const before = h.fake.calls.length;
    await h.up();
    assert.deepEqual(optionalReads(before), []);
  });

  it("once https is removed and gone, the next up stops looking for it", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    await h.up("--config", plain());
    const before = h.fake.calls.length;
    await h.up("--config", plain());
    assert.deepEqual(optionalReads(before), []);
  });
});

describe("the stack's certificates, found by tag", () => {
  const HOUR = 3_600_000;
  const inUse = () => [...h.fake.elb.listeners.values()].flatMap((l) => l.certificates);

  /** The stack's RequestCertificate, its answer lost, sent again after ACM's one-hour idempotency token expired. */
  async function requestAgainAfterTheTokenExpired(): Promise<string> {
    const request = h.fake.calls.find((c) => c.op === "RequestCertificate")!.input as RequestCertificateCommandInput;
    await h.clock.run(() => h.fake.passTime(2 * HOUR));
    const out = await h.clock.run(() => new ACMClient({ region: "us-east-1" }).send(new RequestCertificateCommand(request)));
    return out.CertificateArn!;
  }

  it("a second certificate left by a request retried after the token's hour: up keeps the one in use and deletes the extra", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    const kept = inUse()[0]!;
    const extra = await requestAgainAfterTheTokenExpired();
    assert.notEqual(extra, kept, "ACM made a second certificate");
    const plan = JSON.parse((await h.cli(["plan", "--config", withHttps(), "--json"])).stdout);
    assert.deepEqual(plan.changes.find((c: { key: string }) => c.key === "certificate").duplicates, [extra]);
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...h.fake.acm.certs.keys()], [kept]);
    assert.deepEqual(inUse(), [kept]);
    assert.equal(h.state().resources.certificate!.id, kept);
    const again = await h.cli(["plan", "--config", withHttps(), "--detailed-exitcode"]);
    assert.equal(again.code, 0, `the deleted extra, still listed for a moment, is skipped: ${again.stderr}`);
  });

  it("in a CI log (no terminal) the wait for validation is never silent for more than 10 s", async () => {
    userAddsCnameAfter(65_000);
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    const stamps = r.stderr.split("\n").filter((l) => /^certificate issued for api\.example\.com .*: waiting/.test(l)).map((l) => {
      const m = /\[(?:(\d+)m)?(\d+)s\]$/.exec(l); // none on the first line, at 0 s
      return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : 0;
    });
    assert.ok(stamps.length >= 6 && stamps.at(-1)! >= 55, r.stderr);
    assert.match(r.stderr, /^certificate issued for api\.example\.com \(DNS validation\): done \(ready\)/m, "the wait's row ends");
    // Stamps are whole seconds and a status line follows a look's answer: 10 s apart can read as 11.
    assert.ok(stamps.every((t, i) => i === 0 || t - stamps[i - 1]! <= 11), `gaps: ${stamps.join(" ")}`);
  });

  it("an extra certificate that something uses is never handed over for deletion", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    const extra = await requestAgainAfterTheTokenExpired();
    // Someone serves it too (a second certificate on the 443 listener, as ELB's AddListenerCertificates would).
    [...h.fake.elb.listeners.values()].find((l) => l.port === 443)!.certificates.push(extra);
    const plan = JSON.parse((await h.cli(["plan", "--config", withHttps(), "--json"])).stdout);
    assert.deepEqual(plan.changes.find((c: { key: string }) => c.key === "certificate").duplicates ?? [], []);
    h.resetCalls();
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.fake.count("DeleteCertificate"), 0);
    assert.ok(h.fake.acm.certs.has(extra));
  });

  it("with the state file lost as well: the issued certificate in use is adopted, the pending extra deleted, nothing requested", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    const kept = inUse()[0]!;
    h.fake.onCall = undefined;
    const extra = await requestAgainAfterTheTokenExpired();
    h.fake.acm.certs.get(extra)!.requestedAt = 0; // older than the one in use: "the first one found" would pick it
    rmSync(h.statePath);
    const requests = h.fake.count("RequestCertificate");
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(h.fake.count("RequestCertificate"), requests);
    assert.deepEqual([...h.fake.acm.certs.keys()], [kept]);
    assert.deepEqual(inUse(), [kept]);
  });
});

describe("Route 53 records after a lost state file", () => {
  const records = (zone: string) => h.fake.route53.zones.get(zone)!.records.map((r) => `${r.Type} ${r.Name}`).sort();
  const upWithZone = async () => {
    const zone = h.fake.createHostedZone("example.com");
    await h.up("--config", withHttps());
    assert.equal(records(zone).length, 2);
    rmSync(h.statePath);
    return zone;
  };

  it("https still on: both records are found (their values are our certificate's and our ALB's) and adopted, none written", async () => {
    const zone = await upWithZone();
    const before = h.fake.calls.length;
    const r = await h.cli(["up", "--yes", "--config", withHttps()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(h.fake.calls.slice(before).filter((c) => c.op === "ChangeResourceRecordSets" || c.op === "RequestCertificate"), []);
    assert.equal(records(zone).length, 2);
    assert.equal((await h.cli(["plan", "--config", withHttps(), "--detailed-exitcode"])).code, 0);
  });

  it("https removed from the spec: up finds both records through the tagged certificate and deletes them with it", async () => {
    const zone = await upWithZone();
    const r = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), []);
    assert.equal(h.fake.acm.certs.size, 0);
  });

  it("down with https gone from the spec deletes the records too", async () => {
    const zone = await upWithZone();
    const r = await h.cli(["down", "--yes", "--skip-final-snapshot", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), []);
    assert.deepEqual(h.fake.taggedResources(APP), []);
  });

  it("a validation CNAME that another certificate of the domain (not ours) also uses is left in place, and said so", async () => {
    const zone = await upWithZone();
    const theirs = await h.clock.run(() => new ACMClient({ region: "us-east-1" }).send(new RequestCertificateCommand({ DomainName: DOMAIN, ValidationMethod: "DNS" })));
    const r = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), [`CNAME ${[...h.fake.acm.certs.values()][0]!.recordName}`]);
    assert.deepEqual([...h.fake.acm.certs.keys()], [theirs.CertificateArn]);
    assert.match(r.stderr, /Left CNAME .* ACM validates .* \(not this stack's\) with the same record/);
  });

  it("an A record for the domain that points elsewhere is not ours: left alone when https is removed", async () => {
    const zone = await upWithZone();
    const alias = h.fake.route53.zones.get(zone)!.records.find((x) => x.Type === "A")!;
    alias.AliasTarget!.DNSName = "someone-else-1.us-east-1.elb.amazonaws.com.";
    const r = await h.cli(["up", "--yes", "--config", plain()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(records(zone), [`A ${DOMAIN}.`]);
  });
});

describe("the confirmation before removing https says what really happens", () => {
  it("names the domain and says deletes, not \"data is lost\"; a database replacement still says it", async () => {
    userAddsCnameAfter(0);
    await h.up("--config", withHttps());
    const r = await h.cli(["up", "--config", plain()], { tty: true, input: "no\n" });
    assert.equal(r.code, 1);
    const prompt = r.stderr.split("\n").find((l) => l.startsWith("This "))!;
    assert.match(prompt, /deletes ACM certificate for api\.example\.com \(DNS validation\)/);
    assert.match(prompt, /deletes HTTPS listener :443 for api\.example\.com/);
    assert.doesNotMatch(prompt, /data is lost|replaces/);
    const db = await h.cli(["up", "--config", spec({ https: { domain: DOMAIN }, database: { name: "other" } })], { tty: true, input: "no\n" });
    assert.match(db.stderr, /This replaces RDS PostgreSQL .* \(data is lost\)/);
  });
});
