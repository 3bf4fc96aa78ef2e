import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, type HostedZone, type ListHostedZonesByNameCommandOutput, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import { UserError } from "../errors.js";
import type { Aws } from "./clients.js";
import { codeSaying } from "./errors.js";

/** Route 53 answers names fully qualified ("api.example.com."); the spec and ACM's records may not be. */
export const fqdn = (name: string): string => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/**
 * The account's public hosted zone that serves `domain`: the longest zone name that is `domain` or one of its
 * parents. ListHostedZonesByName lists zones in order of their reversed labels from `DNSName` on, zones of one
 * name together, private ones included (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
 * A private zone of the same name only answers inside its VPCs: it is skipped, never written to. Two public
 * zones of one name (one delegated, one forgotten) are refused: which one the world sees is not for us to guess.
 */
export async function findHostedZone(aws: Aws, domain: string): Promise<{ id: string; name: string } | undefined> {
  const labels = fqdn(domain).split(".").filter(Boolean);
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = `${labels.slice(i).join(".")}.`;
    const named = await zonesNamed(aws, candidate);
    const open = named.filter((z) => !z.Config?.PrivateZone).map((z) => ({ id: z.Id!.replace(/^\/hostedzone\//, ""), name: candidate }));
    if (open.length > 1) {
      throw new UserError(`Route 53 has ${open.length} public hosted zones named ${candidate} (${open.map((z) => z.id).join(", ")}): refusing to guess which one serves ${domain}`,
        "delete the zone the domain's registrar does not point at (compare its NS records with `dig NS` of the domain), then run again");
    }
    if (open[0]) return open[0];
  }
  return undefined;
}

/** Every hosted zone named exactly `name`, public or private, over as many pages as they fill. */
async function zonesNamed(aws: Aws, name: string): Promise<HostedZone[]> {
  const found: HostedZone[] = [];
  let page: { DNSName: string; HostedZoneId?: string } | undefined = { DNSName: name };
  while (page) {
    const out: ListHostedZonesByNameCommandOutput = await aws.route53.send(new ListHostedZonesByNameCommand({ ...page, MaxItems: 10 }));
    const zones = out.HostedZones ?? [];
    found.push(...zones.filter((z) => z.Name?.toLowerCase() === name));
    page = out.IsTruncated && zones.at(-1)?.Name?.toLowerCase() === name && out.NextDNSName ? { DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId! } : undefined;
  }
  return found;
}

/** The record set of this name and type in the zone, if any (a listing starts at the name; the first answer is it or another). */
export async function findRecord(aws: Aws, zoneId: string, name: string, type: "A" | "CNAME"): Promise<ResourceRecordSet | undefined> {
  const out = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn(name), StartRecordType: type, MaxItems: 1 }));
  const set = out.ResourceRecordSets?.[0];
  return set && fqdn(set.Name ?? "") === fqdn(name) && set.Type === type ? set : undefined;
}

/**
 * ChangeResourceRecordSets refuses a whole batch with InvalidChangeBatch; the message says which case: a CREATE
 * of a record that exists ("already exists") or a DELETE of one that does not ("not found").
 */
export const changeBatchSays = (what: RegExp) => codeSaying("InvalidChangeBatch", what);
export const recordExists = changeBatchSays(/already exists/i);
export const recordMissing = changeBatchSays(/not found/i);
