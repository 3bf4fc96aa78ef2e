import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, type ResourceRecordSet } from "@aws-sdk/client-route-53";
import type { Aws } from "./clients.js";
import { errorCode } from "./errors.js";

/** Route 53 answers names fully qualified ("api.example.com."); the spec and ACM's records may not be. */
export const fqdn = (name: string): string => (name.endsWith(".") ? name : `${name}.`).toLowerCase();

/**
 * The account's public hosted zone that serves `domain`: the longest zone name that is `domain` or one of its
 * parents. ListHostedZonesByName lists zones in order of their reversed labels from `DNSName` on, so the first
 * answer for each candidate tells whether that exact zone exists
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
 */
export async function findHostedZone(aws: Aws, domain: string): Promise<{ id: string; name: string } | undefined> {
  const labels = fqdn(domain).split(".").filter(Boolean);
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = `${labels.slice(i).join(".")}.`;
    const out = await aws.route53.send(new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 1 }));
    const zone = out.HostedZones?.[0];
    if (zone && zone.Name?.toLowerCase() === candidate && !zone.Config?.PrivateZone) return { id: zone.Id!.replace(/^\/hostedzone\//, ""), name: candidate };
  }
  return undefined;
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
export const changeBatchSays = (what: RegExp) => (e: unknown): boolean => errorCode(e) === "InvalidChangeBatch" && what.test((e as Error).message);
export const recordExists = changeBatchSays(/already exists/i);
export const recordMissing = changeBatchSays(/not found/i);
