import { DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import { DescribeOrderableDBInstanceOptionsCommand } from "@aws-sdk/client-rds";
import type { Aws } from "../aws/clients.js";
import type { Spec } from "../config/schema.js";
import { UserError } from "../errors.js";

/**
 * The AZs that offer the DB's engine and instance class (DescribeOrderableDBInstanceOptions): AZ names map to
 * different physical zones in each account, and some zones lack a class (e.g. Graviton in use1-az3), where RDS
 * answers InsufficientDBInstanceCapacity minutes into the run. Undefined when it cannot tell: the call is not
 * allowed, or it lists no offering at all (then CreateDBInstance gives RDS's own, precise refusal).
 */
async function zonesOfferingDb(aws: Aws, spec: Spec): Promise<Set<string> | undefined> {
  const zones = new Set<string>();
  let Marker: string | undefined;
  try {
    do {
      const page = await aws.rds.send(new DescribeOrderableDBInstanceOptionsCommand({
        Engine: "postgres", DBInstanceClass: spec.database.instanceClass, Vpc: true, Marker,
        ...(spec.database.engineVersion.includes(".") ? { EngineVersion: spec.database.engineVersion } : {}),
      }));
      for (const o of page.OrderableDBInstanceOptions ?? []) for (const z of o.AvailabilityZones ?? []) if (z.Name) zones.add(z.Name);
      Marker = page.Marker;
    } while (Marker);
  } catch {
    return undefined;
  }
  return zones.size ? zones : undefined;
}

export interface AzChoice { zones: [string, string]; note?: string }

/**
 * Two AZs: the first (task and DB) one that offers the DB class, the second any other available one (it holds
 * only the ALB's second subnet and the DB subnet group's spare). Explicit AZs in the spec are checked the same way.
 */
export async function chooseAzs(aws: Aws, spec: Spec): Promise<AzChoice> {
  const offering = await zonesOfferingDb(aws, spec);
  const offers = (z: string) => !offering || offering.has(z);
  const unchecked = offering ? undefined : `could not tell where RDS offers ${spec.database.instanceClass} (rds:DescribeOrderableDBInstanceOptions): AZs not checked`;
  const out = await aws.ec2.send(new DescribeAvailabilityZonesCommand({
    Filters: [{ Name: "state", Values: ["available"] }, { Name: "zone-type", Values: ["availability-zone"] }],
  }));
  const available = (out.AvailabilityZones ?? []).map((z) => z.ZoneName!).sort();
  if (spec.availabilityZones) {
    // Both, before any change: the second holds the ALB's second subnet and the DB subnet group's spare.
    for (const z of spec.availabilityZones) {
      if (!available.includes(z)) throw new UserError(`availabilityZones: ${z} is not an available AZ of ${spec.region}`, `pick two among ${available.join(", ")}, or leave availabilityZones out`);
    }
    const [a] = spec.availabilityZones;
    if (!offers(a)) throw new UserError(`${a} does not offer ${spec.database.instanceClass} for PostgreSQL`, `pick a first AZ among ${[...offering!].sort().join(", ")}, or another instanceClass`);
    return { zones: spec.availabilityZones, ...(unchecked ? { note: unchecked } : {}) };
  }
  const primary = available.find(offers);
  const second = available.find((z) => z !== primary && offers(z)) ?? available.find((z) => z !== primary);
  if (!primary || !second) {
    throw new UserError(`region ${spec.region} has no two available AZs where RDS offers ${spec.database.instanceClass}`, "an ALB and a DB subnet group need two; pick another region or instanceClass");
  }
  return { zones: [primary, second], ...(unchecked ? { note: unchecked } : {}) };
}
