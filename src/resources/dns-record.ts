import { ChangeResourceRecordSetsCommand, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import { findRecord, fqdn, recordExists, recordMissing } from "../aws/route53.js";
import type { RefFn, Stored } from "../engine/types.js";
import { UserError } from "../errors.js";
import { certificate } from "./certificate.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";
import { httpsListener } from "./https-listener.js";
import { loadBalancer } from "./load-balancer.js";

/** One record set as this stack wants it: a CNAME's value, or an alias A record's target. */
type Want = { zoneId: string; name: string; type: "A" | "CNAME"; value: string };
type Attrs = Partial<Want>;

const valueOf = (set: ResourceRecordSet): string =>
  set.AliasTarget ? `alias:${set.AliasTarget.HostedZoneId}:${fqdn(set.AliasTarget.DNSName ?? "").replace(/^dualstack\./, "")}` : (set.ResourceRecords ?? []).map((r) => r.Value).join(",");

const toSet = (want: Want): ResourceRecordSet => {
  if (want.type === "CNAME") return { Name: want.name, Type: "CNAME", TTL: 300, ResourceRecords: [{ Value: want.value }] };
  const [, HostedZoneId, DNSName] = want.value.split(":");
  return { Name: want.name, Type: "A", AliasTarget: { HostedZoneId, DNSName, EvaluateTargetHealth: false } };
};

const change = (ctx: Ctx, zoneId: string, Action: "CREATE" | "UPSERT" | "DELETE", set: ResourceRecordSet) =>
  ctx.aws.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action, ResourceRecordSet: set }] } }));

/**
 * A Route 53 record in the account's zone for the domain, written only when that zone exists (the registry
 * includes it then). Route 53 records carry no tags: a record is ours when the state file names it, or when it
 * already says what we would write (the certificate's own CNAME, an alias to our ALB); any other record of the
 * same name is the user's and is refused, never overwritten.
 */
function dnsRecord(key: string, title: (spec: DesiredStack) => string, type: Want["type"], want: (spec: DesiredStack, ref: RefFn) => { name: string; value: string }, after?: { key: string }[]) {
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
      const zoneId = prior?.outputs.zoneId ?? ctx.spec.hostedZone?.id;
      const name = prior?.outputs.name ?? expectedName(ctx);
      if (!zoneId || !name) return undefined;
      const set = await findRecord(ctx.aws, zoneId, name, type);
      if (!set) return undefined;
      const value = valueOf(set);
      if (!prior && value !== expectedValue(ctx)) {
        throw new UserError(`Route 53 already has ${type} ${fqdn(name)} (${value}), not made by spontime-infra: refusing to overwrite it`, "remove that record, or point https.domain at a name that is free");
      }
      return { id: `${zoneId}/${fqdn(name)}/${type}`, state: "ready", attrs: { zoneId, name: fqdn(name), type, value }, outputs: { zoneId, zoneName: prior?.outputs.zoneName ?? ctx.spec.hostedZone?.name ?? "", name: fqdn(name) } };
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
  // What observe compares a record found without state against: from what this run already knows.
  const expectedName = (ctx: Ctx) => want(ctx.spec, refFromRecords(ctx)).name;
  const expectedValue = (ctx: Ctx) => want(ctx.spec, refFromRecords(ctx)).value;
  return resource;
}

const refFromRecords = (ctx: Ctx): RefFn => ((r: { key: string }) => ctx.records.get(r.key)?.outputs ?? {}) as RefFn;

/** The CNAME that proves to ACM that this account controls the domain (ACM gives its name and value). */
export const validationRecord = dnsRecord("dns-validation-record", (spec) => `Route 53 validation record for ${spec.https?.domain ?? "the domain"}`, "CNAME", (_spec, ref) => {
  const c = ref(certificate);
  return { name: c.validationName ? fqdn(c.validationName) : "", value: c.validationValue ? fqdn(c.validationValue) : "" };
});

/** `domain` → the ALB, as an alias A record (free queries, follows the ALB's addresses), once HTTPS answers. */
export const aliasRecord = dnsRecord("dns-alias-record", (spec) => `Route 53 alias ${spec.https?.domain ?? "record"} -> the load balancer`, "A", (spec, ref) => {
  const lb = ref(loadBalancer);
  return { name: spec.https ? fqdn(spec.https.domain) : "", value: `alias:${lb.canonicalHostedZoneId}:${lb.dnsName ? fqdn(lb.dnsName) : ""}` };
}, [httpsListener]);
