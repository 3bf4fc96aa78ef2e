import { DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import { DescribeOrderableDBInstanceOptionsCommand } from "@aws-sdk/client-rds";
import type { Aws } from "../aws/clients.js";
import type { Spec } from "../config/schema.js";
import { describeAwsError } from "../aws/errors.js";
import { UserError } from "../errors.js";

/** Why the AZs could not be checked against the DB class, and what to do about it. */
export interface Unchecked { why: string; hint: string }

/**
 * The AZs that offer the DB's engine and instance class (DescribeOrderableDBInstanceOptions): AZ names map to
 * different physical zones in each account, and some zones lack a class (e.g. Graviton in use1-az3), where RDS
 * answers InsufficientDBInstanceCapacity minutes into the run. When it cannot tell, says why: the call was
 * refused (a permission), or it was answered with no AZ at all (RDS sells the class for this engine nowhere
 * in the region, or the endpoint does not model offerings: moto, emulator-gaps.ts), where CreateDBInstance
 * gives RDS's own, precise refusal.
 */
async function zonesOfferingDb(aws: Aws, spec: Spec): Promise<Set<string> | Unchecked> {
  const zones = new Set<string>();
  const { instanceClass, engineVersion } = spec.database;
  let Marker: string | undefined;
  try {
    do {
      const page = await aws.rds.send(new DescribeOrderableDBInstanceOptionsCommand({
        Engine: "postgres", DBInstanceClass: instanceClass, Vpc: true, Marker,
        ...(engineVersion.includes(".") ? { EngineVersion: engineVersion } : {}),
      }));
      for (const o of page.OrderableDBInstanceOptions ?? []) for (const z of o.AvailabilityZones ?? []) if (z.Name) zones.add(z.Name);
      Marker = page.Marker;
    } while (Marker);
  } catch (e) {
    return {
      why: `could not ask where RDS offers ${instanceClass} (${describeAwsError("rds:DescribeOrderableDBInstanceOptions", e)})`,
      hint: "allow rds:DescribeOrderableDBInstanceOptions, or name AZs that offer the class in the spec",
    };
  }
  if (zones.size) return zones;
  return {
    why: `RDS answered that no AZ of ${spec.region} offers ${instanceClass} for PostgreSQL ${engineVersion} (an answer, not a missing permission): `
      + "the class is not sold for this engine version in this region, or this endpoint does not list offerings (a local emulator)",
    hint: `on AWS, pick an instanceClass the region offers (\`aws rds describe-orderable-db-instance-options --engine postgres --region ${spec.region} --query "OrderableDBInstanceOptions[].DBInstanceClass"\`); CreateDBInstance would refuse this one`,
  };
}

export interface AzChoice { zones: [string, string]; unchecked?: Unchecked }

export async function chooseAzs(aws: Aws, spec: Spec): Promise<AzChoice> {
  const answer = await zonesOfferingDb(aws, spec);
  const offering = answer instanceof Set ? answer : undefined;
  const unchecked = answer instanceof Set ? undefined : answer;
  const offers = (z: string) => !offering || offering.has(z);
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
    return { zones: spec.availabilityZones, ...(unchecked ? { unchecked } : {}) };
  }
  const primary = available.find(offers);
  const second = available.find((z) => z !== primary && offers(z)) ?? available.find((z) => z !== primary);
  if (!primary || !second) {
    throw new UserError(`region ${spec.region} has no two available AZs where RDS offers ${spec.database.instanceClass}`, "an ALB and a DB subnet group need two; pick another region or instanceClass");
  }
  return { zones: [primary, second], ...(unchecked ? { unchecked } : {}) };
}
