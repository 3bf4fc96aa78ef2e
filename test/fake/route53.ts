/**
 * Route 53: public hosted zones and their record sets, as ListHostedZonesByName, ListResourceRecordSets and
 * ChangeResourceRecordSets see them. Names are stored fully qualified and lowercase, as Route 53 answers them.
 */
import * as R53 from "@aws-sdk/client-route-53";
import type { FakeAws } from "./aws.js";
import { awsError, type Service } from "./common.js";

export interface RecordSet { Name: string; Type: string; TTL?: number; ResourceRecords?: { Value: string }[]; AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean } }
export interface HostedZone { id: string; name: string; records: RecordSet[]; private?: boolean }
export interface Route53State { zones: Map<string, HostedZone> }

export const emptyRoute53 = (): Route53State => ({ zones: new Map() });

export const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();
/**
 * Zones and records list in the order of their labels read right to left ("com.example.api"), then by type
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html,
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).
 */
const sortKey = (name: string) => fqdn(name).split(".").filter(Boolean).reverse().join(".");

/** Whether two record sets say the same: TTL, values in any order, alias target (names compared fully qualified). */
function sameValues(a: RecordSet, b: RecordSet): boolean {
  const values = (r: RecordSet) => (r.ResourceRecords ?? []).map((v) => v.Value).sort();
  const alias = (r: RecordSet) => r.AliasTarget && [r.AliasTarget.HostedZoneId, fqdn(r.AliasTarget.DNSName), r.AliasTarget.EvaluateTargetHealth];
  return a.TTL === b.TTL && JSON.stringify(values(a)) === JSON.stringify(values(b)) && JSON.stringify(alias(a)) === JSON.stringify(alias(b));
}

export function route53Service(fake: FakeAws): Service<typeof R53> {
  const zones = () => fake.route53.zones;
  const zone = (id: string | undefined) => {
    const z = zones().get((id ?? "").replace(/^\/hostedzone\//, ""));
    if (!z) throw awsError("NoSuchHostedZone", `No hosted zone found with ID: ${id}`, 404);
    return z;
  };
  const same = (a: RecordSet, name: string, type: string) => a.Name === fqdn(name) && a.Type === type;
  return {
    client: R53.Route53Client,
    sdk: R53,
    reads: {
      /**
       * Public and private zones alike, a private zone of the same name as a public one included; zones of one
       * name come in the order of their ids, and a truncated page names the next zone by name and id
       * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
       */
      ListHostedZonesByName: (i) => {
        const sorted = [...zones().values()].sort((a, b) => sortKey(a.name).localeCompare(sortKey(b.name)) || a.id.localeCompare(b.id));
        const from = !i.DNSName ? sorted : sorted.filter((z) => {
          const order = sortKey(z.name).localeCompare(sortKey(i.DNSName!));
          return order > 0 || (order === 0 && (!i.HostedZoneId || z.id >= i.HostedZoneId));
        });
        const max = i.MaxItems ?? 100;
        const next = from[max];
        return {
          HostedZones: from.slice(0, max).map((z) => ({ Id: `/hostedzone/${z.id}`, Name: z.name, CallerReference: z.id, Config: { PrivateZone: !!z.private } })),
          IsTruncated: !!next, ...(next ? { NextDNSName: next.name, NextHostedZoneId: next.id } : {}),
        };
      },
      ListResourceRecordSets: (i) => {
        const sorted = [...zone(i.HostedZoneId).records].sort((a, b) => sortKey(a.Name).localeCompare(sortKey(b.Name)) || a.Type.localeCompare(b.Type));
        const start = i.StartRecordName ? sortKey(i.StartRecordName) : "";
        const from = sorted.filter((r) => sortKey(r.Name) > start || (sortKey(r.Name) === start && (!i.StartRecordType || r.Type >= i.StartRecordType)));
        return { ResourceRecordSets: structuredClone(from.slice(0, i.MaxItems ?? 300)), IsTruncated: from.length > (i.MaxItems ?? 300) };
      },
    },
    writes: {
      /**
       * A batch is all or nothing: CREATE of an existing record or DELETE of a missing one (or one whose values
       * differ) fails the whole batch with InvalidChangeBatch
       * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
       */
      ChangeResourceRecordSets: (i) => {
        const z = zone(i.HostedZoneId);
        const records = structuredClone(z.records);
        for (const { Action, ResourceRecordSet: set } of i.ChangeBatch?.Changes ?? []) {
          const rec: RecordSet = { ...(structuredClone(set) as RecordSet), Name: fqdn(set!.Name!) };
          if (rec.AliasTarget) rec.AliasTarget.DNSName = fqdn(rec.AliasTarget.DNSName);
          const at = records.findIndex((r) => same(r, rec.Name, rec.Type));
          const what = `resource record set [name='${rec.Name}', type='${rec.Type}']`;
          // A CNAME shares its name with no other record (RFC 1034 3.6.2); Route 53's words for a CREATE or UPSERT
          // that would: hashicorp/terraform#9732, aws/aws-sdk-java#1996.
          const beside = records.filter((r) => r.Name === rec.Name && r.Type !== rec.Type);
          if (Action !== "DELETE" && rec.Type !== "CNAME" && beside.some((r) => r.Type === "CNAME")) {
            throw awsError("InvalidChangeBatch", `[RRSet of type ${rec.Type} with DNS name ${rec.Name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${z.name}]`);
          }
          if (Action !== "DELETE" && rec.Type === "CNAME" && beside.length) {
            throw awsError("InvalidChangeBatch", `[RRSet of type CNAME with DNS name ${rec.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${z.name}]`);
          }
          if (Action === "CREATE") {
            if (at >= 0) throw awsError("InvalidChangeBatch", `[Tried to create ${what} but it already exists]`);
            records.push(rec);
          } else if (Action === "UPSERT") {
            if (at >= 0) records[at] = rec;
            else records.push(rec);
          } else {
            // "To delete a resource record set, you must specify all the same values that are in the current
            // resource record set" (API_ChangeResourceRecordSets); the message as AWS words it:
            // https://github.com/kubernetes-sigs/external-dns/issues/732.
            if (at < 0) throw awsError("InvalidChangeBatch", `[Tried to delete ${what} but it was not found]`);
            if (!sameValues(records[at]!, rec)) throw awsError("InvalidChangeBatch", `[Tried to delete ${what} but the values provided do not match the current values]`);
            records.splice(at, 1);
          }
        }
        z.records = records;
        return { ChangeInfo: { Id: `/change/${fake.id("C")}`, Status: "PENDING", SubmittedAt: new Date(fake.clock.now()) } };
      },
    },
  };
}
