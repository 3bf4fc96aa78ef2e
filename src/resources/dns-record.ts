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
/** `set`: the record exactly as read, what a DELETE must repeat. `foreign`: what holds the wanted name instead. */
type Attrs = Partial<Want> & { set?: ResourceRecordSet; foreign?: string };

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

const takeOverRefused = (record: string) =>
  `Route 53 already has ${record}, which is not this stack's: refusing to take it over. Remove or repoint it yourself, or run again with --take-over-dns to point it at this stack (its current value is then lost)`;

const notice = (ctx: Ctx, line: string) => { if (!ctx.notices.includes(line)) ctx.notices.push(line); };

/**
 * A Route 53 record in the account's zone for the domain, written only when that zone exists (the registry
 * includes it then). Route 53 records carry no tags, and a state file can be copied or edited, so a record is
 * ours only when it says exactly what this stack writes: `locate` derives that from resources that are tagged
 * (the certificate, the load balancer). Whatever the state file says, a record that fails that check is never
 * changed or deleted: `down` and a spec without `https` leave it (with a notice), and `up` refuses to take the
 * name over unless `--take-over-dns` says so (the plan shows which record and what it says). An ownership TXT
 * record beside it (external-dns's registry) would add records and calls and cannot sit beside a CNAME
 * (RFC 1034 3.6.2, https://github.com/kubernetes-sigs/external-dns/issues/262); the value proves as much here.
 */
function dnsRecord(key: string, title: (spec: DesiredStack) => string, type: Want["type"], want: (spec: DesiredStack, ref: RefFn) => { name: string; value: string }, locate: (ctx: Ctx) => Promise<Located | undefined>, after?: { key: string }[]) {
  const desired = (spec: DesiredStack, ref: RefFn): Want => ({ zoneId: spec.hostedZone?.id ?? "", type, ...want(spec, ref) });
  const resource: StackResource<Want, Attrs, { zoneId: string; zoneName: string; name: string }> = {
    key,
    kind: "route53:record",
    client: "route53",
    tagging: "none",
    actions: { observe: ["route53:ListHostedZonesByName", "route53:ListResourceRecordSets", "acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate", "elasticloadbalancing:DescribeLoadBalancers"], create: ["route53:ChangeResourceRecordSets"], update: ["route53:ChangeResourceRecordSets"], delete: ["route53:ChangeResourceRecordSets"] },
    ignored: { "TTL": "how long resolvers cache the answer; any value leads to the same place" },
    repairLimits: { value: "only with `--take-over-dns`: a record repointed by hand is no longer provably the stack's, so `up` stops and says so" },
    ...(after ? { after } : {}),
    replaceOn: ["zoneId", "name", "type"],
    // A retried CREATE whose first answer was lost.
    alreadyExists: recordExists,
    title,
    desired,
    refuse: (_want, live) => live.attrs.foreign && takeOverRefused(live.attrs.foreign),
    async observe(ctx, prior: Stored | undefined) {
      const keeping = !!ctx.spec.https && !!ctx.spec.hostedZone && !ctx.tearingDown;
      const ours = await locate(ctx);
      if (!ours) return undefined;
      const read = async (zone: HostedZone, name: string, as: Want["type"] = type) => {
        const set = await findRecord(ctx.aws, zone.id, name, as);
        if (!set) return undefined;
        const value = valueOf(set);
        return { id: `${zone.id}/${name}/${as}`, state: "ready" as const, attrs: { zoneId: zone.id, name, type: as, value, set }, outputs: { zoneId: zone.id, zoneName: zone.name, name } };
      };
      const says = (value: string) => ours.value !== undefined && fqdn(value) === fqdn(ours.value);
      const left = (value: string, name: string) => notice(ctx, `Left ${type} ${name} (${value}) in Route 53: it does not point at this stack, so it is not this stack's to change or delete.`);
      const fromState = prior?.outputs.zoneId && prior.outputs.name ? { zone: { id: prior.outputs.zoneId, name: prior.outputs.zoneName ?? "" }, name: fqdn(prior.outputs.name) } : undefined;
      // The state file names another name (the spec's domain changed, or the file is another stack's): that record is
      // this stack's only if it says exactly what this stack writes; then it is replaced at the new name.
      if (fromState && fromState.name !== ours.name) {
        const old = await read(fromState.zone, fromState.name);
        if (old && says(old.attrs.value)) return old;
        if (old) left(old.attrs.value, old.attrs.name);
      }
      const zone = fromState?.name === ours.name ? fromState.zone : await zoneFor(ctx, ours.domain);
      // A CNAME at the domain points it elsewhere too, and no A record can sit beside it (RFC 1034 3.6.2): taken
      // over, it is replaced (deleted as read, then the alias created), as a change of `type` is.
      const live = zone && ((await read(zone, ours.name)) ?? (keeping && type === "A" ? await read(zone, ours.name, "CNAME") : undefined));
      if (!live) return undefined;
      if (!says(live.attrs.value)) {
        // The name this stack wants, held by a record that is not its own: taken over only when asked (refuse, above).
        if (keeping) return ctx.takeOverDns ? live : { ...live, attrs: { ...live.attrs, foreign: `${live.attrs.type} ${live.attrs.name} (${live.attrs.value})` } };
        left(live.attrs.value, live.attrs.name);
        return undefined;
      }
      if (!keeping && ours.shared?.length) {
        notice(ctx, `Left ${type} ${ours.name} in Route 53: ACM validates ${ours.shared.join(", ")} (not this stack's) with the same record.`);
        return undefined;
      }
      return live;
    },
    async create(ctx, w) {
      await change(ctx, w.zoneId, "CREATE", toSet(w));
      return { id: `${w.zoneId}/${fqdn(w.name)}/${type}`, outputs: { zoneId: w.zoneId, zoneName: ctx.spec.hostedZone?.name ?? "", name: fqdn(w.name) } };
    },
    async update(ctx, w, live) {
      // Every path that applies a plan (sleep and wake too) stops here, not only those that check `refuse` first.
      if (live.attrs.foreign) throw new UserError(takeOverRefused(live.attrs.foreign));
      await change(ctx, w.zoneId, "UPSERT", toSet(w));
    },
    async delete(ctx, live) {
      // Route 53 deletes a record only when the DELETE repeats it exactly (TTL, values, alias target): the set as read
      // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html), less an empty
      // ResourceRecords list that a listing may carry for an alias and a change refuses (aws/aws-sdk-php#56).
      const { ResourceRecords, ...set } = live.attrs.set!;
      try {
        await change(ctx, live.attrs.zoneId!, "DELETE", ResourceRecords?.length ? { ...set, ResourceRecords } : set);
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
