import { ChangeResourceRecordSetsCommand, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import { findLoadBalancer } from "../aws/elbv2.js";
import { findHostedZone, findRecord, fqdn, recordExists, recordMissing } from "../aws/route53.js";
import { sharedRead } from "../shared/reads.js";
import type { RefFn, Stored } from "../engine/types.js";
import { UserError } from "../errors.js";
import { certificate, findCertificates } from "./certificate.js";
import type { Ctx, DesiredStack, HostedZone, StackResource } from "./context.js";
import { httpsListener } from "./https-listener.js";
import { loadBalancer } from "./load-balancer.js";

/** One record set as this stack wants it: a CNAME's value, or an alias A record's target. */
type Want = { zoneId: string; name: string; type: "A" | "CNAME"; value: string };
type Attrs = Partial<Want>;

/** A record of ours as AWS shows it, before anything was read: where it is and what it must say. */
type Located = { domain: string; name: string; value?: string; shared?: string[] };

const valueOf = (set: ResourceRecordSet): string =>
  set.AliasTarget ? aliasValue(set.AliasTarget.HostedZoneId, set.AliasTarget.DNSName) : (set.ResourceRecords ?? []).map((r) => r.Value).join(",");
/** An alias target as one string; ELB's own name may come back with Route 53's "dualstack." prefix. */
const aliasValue = (zoneId: string | undefined, dnsName: string | undefined) => `alias:${zoneId}:${fqdn(dnsName ?? "").replace(/^dualstack\./, "")}`;

const toSet = (want: Want): ResourceRecordSet => {
  if (want.type === "CNAME") return { Name: want.name, Type: "CNAME", TTL: 300, ResourceRecords: [{ Value: want.value }] };
  const [, HostedZoneId, DNSName] = want.value.split(":");
  return { Name: want.name, Type: "A", AliasTarget: { HostedZoneId, DNSName, EvaluateTargetHealth: false } };
};

const change = (ctx: Ctx, zoneId: string, Action: "CREATE" | "UPSERT" | "DELETE", set: ResourceRecordSet) =>
  ctx.aws.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action, ResourceRecordSet: set }] } }));

/** The zone for the domain: the one `connect` found for the spec's, else (https gone from the spec) Route 53 is asked. */
const zoneFor = (ctx: Ctx, domain: string): Promise<HostedZone | undefined> =>
  ctx.spec.https?.domain === domain && ctx.spec.hostedZone ? Promise.resolve(ctx.spec.hostedZone) : sharedRead(ctx, `route53:zone:${domain}`, () => findHostedZone(ctx.aws, domain));

/** The certificate the stack keeps, found as its own resource finds it (the same shared read while observing). */
const stackCertificate = (ctx: Ctx) => findCertificates(ctx, ctx.records.get(certificate.key));

/**
 * A Route 53 record in the account's zone for the domain, written only when that zone exists (the registry
 * includes it then). Route 53 records carry no tags, so a record is ours when the state file names it, or, found
 * without it (a lost state file, with or without `https` still in the spec), when it says what only this stack
 * would write: `locate` derives that from resources that are tagged (the certificate, the load balancer). A
 * record of the same name saying anything else is the user's: refused while the spec wants the name, left alone
 * otherwise; never overwritten or deleted.
 */
function dnsRecord(key: string, title: (spec: DesiredStack) => string, type: Want["type"], want: (spec: DesiredStack, ref: RefFn) => { name: string; value: string }, locate: (ctx: Ctx) => Promise<Located | undefined>, after?: { key: string }[]) {
  const desired = (spec: DesiredStack, ref: RefFn): Want => ({ zoneId: spec.hostedZone?.id ?? "", type, ...want(spec, ref) });
  const resource: StackResource<Want, Attrs, { zoneId: string; zoneName: string; name: string }> = {
    key,
    kind: "route53:record",
    ...(after ? { after } : {}),
    replaceOn: ["zoneId", "name", "type"],
    // A retried CREATE whose first answer was lost.
    alreadyExists: recordExists,
    title,
    desired,
    async observe(ctx, prior: Stored | undefined) {
      const wanted = !!ctx.spec.https && !!ctx.spec.hostedZone;
      const ours = await locate(ctx);
      const zone = prior?.outputs.zoneId ? { id: prior.outputs.zoneId, name: prior.outputs.zoneName ?? "" } : ours && (await zoneFor(ctx, ours.domain));
      const name = prior?.outputs.name ?? ours?.name;
      if (!zone || !name) return undefined;
      const set = await findRecord(ctx.aws, zone.id, name, type);
      if (!set) return undefined;
      const value = valueOf(set);
      if (!prior && (!ours?.value || fqdn(value) !== fqdn(ours.value))) {
        if (!wanted) return undefined;
        throw new UserError(`Route 53 already has ${type} ${fqdn(name)} (${value}), not made by spontime-infra: refusing to overwrite it`, "remove that record, or point https.domain at a name that is free");
      }
      if (!wanted && ours?.shared?.length) {
        const notice = `Left ${type} ${fqdn(name)} in Route 53: ACM validates ${ours.shared.join(", ")} (not this stack's) with the same record.`;
        if (!ctx.notices.includes(notice)) ctx.notices.push(notice);
        return undefined;
      }
      return { id: `${zone.id}/${fqdn(name)}/${type}`, state: "ready", attrs: { zoneId: zone.id, name: fqdn(name), type, value }, outputs: { zoneId: zone.id, zoneName: zone.name, name: fqdn(name) } };
    },
    async create(ctx, w) {
      await change(ctx, w.zoneId, "CREATE", toSet(w));
      return { id: `${w.zoneId}/${fqdn(w.name)}/${type}`, outputs: { zoneId: w.zoneId, zoneName: ctx.spec.hostedZone?.name ?? "", name: fqdn(w.name) } };
    },
    async update(ctx, w) {
      await change(ctx, w.zoneId, "UPSERT", toSet(w));
    },
    async delete(ctx, live) {
      // DELETE must repeat the record exactly as it is: its live value, not the spec's.
      const { zoneId, name, value } = live.attrs as Want;
      try {
        await change(ctx, zoneId, "DELETE", toSet({ zoneId, name, type, value }));
      } catch (e) {
        if (!recordMissing(e)) throw e;
      }
    },
  };
  return resource;
}

/**
 * The CNAME that proves to ACM that this account controls the domain (ACM gives its name and value). Ours when
 * its value is the one ACM gave the stack's certificate. ACM gives every certificate of a domain in an account
 * the same record (https://github.com/dflook/cloudformation-dns-certificate/issues/7): while a certificate that
 * is not this stack's uses it, removing `https` leaves it in place, or that certificate could not renew.
 */
export const validationRecord = dnsRecord("dns-validation-record", (spec) => `Route 53 validation record for ${spec.https?.domain ?? "the domain"}`, "CNAME", (_spec, ref) => {
  const c = ref(certificate);
  return { name: c.validationName ? fqdn(c.validationName) : "", value: c.validationValue ? fqdn(c.validationValue) : "" };
}, async (ctx) => {
  const found = await stackCertificate(ctx);
  const record = found?.cert.DomainValidationOptions?.[0]?.ResourceRecord;
  if (!found?.cert.DomainName || !record?.Name || !record.Value) return undefined;
  return { domain: found.cert.DomainName, name: fqdn(record.Name), value: fqdn(record.Value), shared: found.othersForDomain };
});

/**
 * `domain` → the ALB, as an alias A record (free queries, follows the ALB's addresses), once HTTPS answers. Ours
 * when it points at the stack's ALB: found by its name, which is unique in the account's region, and refused by
 * the load balancer's own observe unless it is tagged for this stack.
 */
export const aliasRecord = dnsRecord("dns-alias-record", (spec) => `Route 53 alias ${spec.https?.domain ?? "record"} -> the load balancer`, "A", (spec, ref) => {
  const lb = ref(loadBalancer);
  return { name: spec.https ? fqdn(spec.https.domain) : "", value: `alias:${lb.canonicalHostedZoneId}:${lb.dnsName ? fqdn(lb.dnsName) : ""}` };
}, async (ctx) => {
  const domain = ctx.spec.https?.domain ?? (await stackCertificate(ctx))?.cert.DomainName;
  if (!domain) return undefined;
  const lb = await findLoadBalancer(ctx);
  return { domain, name: fqdn(domain), ...(lb?.DNSName ? { value: aliasValue(lb.CanonicalHostedZoneId, lb.DNSName) } : {}) };
}, [httpsListener]);
