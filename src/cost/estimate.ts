import { awakeHoursPerWeek, type Schedule } from "../config/schedule.js";
import type { Spec } from "../config/schema.js";

/** us-east-1 list prices, 2026 (AWS pricing pages: Elastic Load Balancing, VPC public IPv4, Fargate, RDS for PostgreSQL, CloudWatch, ECR). */
export const PRICES = {
  hoursPerMonth: 730,
  albHour: 0.0225,
  publicIpv4Hour: 0.005,
  fargate: { X86_64: { vcpuHour: 0.04048, gbHour: 0.004445 }, ARM64: { vcpuHour: 0.03238, gbHour: 0.00356 } },
  /**
   * Fargate Spot: "up to a 70% discount off the regular Fargate price" (https://aws.amazon.com/fargate/pricing/,
   * read 2026-11-28), x86 only. The one figure AWS publishes: the actual Spot price varies by region and over
   * time, so this is the best case, and the estimate says so.
   */
  fargateSpotDiscount: 0.7,
  /**
   * RDS for PostgreSQL, Single-AZ on-demand, per hour (https://aws.amazon.com/rds/postgresql/pricing/): the
   * classes a user of this stack would pick. Any other class makes the total "incomplete", never smaller.
   */
  rdsHour: {
    "db.t4g.micro": 0.016, "db.t4g.small": 0.032, "db.t4g.medium": 0.065, "db.t4g.large": 0.129,
    "db.t3.micro": 0.018, "db.t3.small": 0.036, "db.t3.medium": 0.072, "db.t3.large": 0.145,
    "db.m6g.large": 0.159, "db.m7g.large": 0.168,
  } as Record<string, number>,
  rdsStorageGbMonth: 0.115,
  /**
   * DB snapshots kept after `down` (final and manual): billed as backup storage, free only up to a live instance's
   * provisioned storage, $0.095 per GB-month in us-east-1 (https://aws.amazon.com/rds/postgresql/pricing/,
   * "Backup Storage"; read 2026-12-03).
   */
  rdsSnapshotGbMonth: 0.095,
  natGatewayHour: 0.045,
  /** Per hosted zone (https://aws.amazon.com/route53/pricing/); queries for alias records to an ALB are free. */
  route53ZoneMonth: 0.5,
} as const;

/** What a line bills for, when a resource of the stack does: absent before a first `up`, the line costs nothing yet. */
export type Billed = "load balancer" | "service" | "database";
export const PRICES_FROM = "us-east-1 list prices, 2026";

export interface CostLine { item: string; monthly: number | "usage"; note?: string; bills?: Billed }
export interface Estimate {
  region: string;
  pricesFrom: string;
  lines: CostLine[];
  /** null when an item the stack bills by the hour has no price in the table: see `incomplete`. */
  total: number | null;
  /** What the total leaves out for want of a price. */
  incomplete: string[];
  asleepTotal: number;
  savings: { item: string; monthly: number; note: string }[];
}

const round = (n: number) => Math.round(n * 100) / 100;
const H = PRICES.hoursPerMonth;
const WEEKS_PER_MONTH = H / (24 * 7);
/** What `sleep`/`wake` by hand would follow when the spec has no schedule: weekdays 8:00-20:00. */
const OFFICE_HOURS: Schedule = { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" };
/** Hours per month the tasks and the database run under a schedule (local week, so time zone and DST aside). */
const awakeHoursPerMonth = (s: Schedule) => {
  const week = awakeHoursPerWeek(s);
  return { service: week.service * WEEKS_PER_MONTH, database: week.database * WEEKS_PER_MONTH };
};

/** Monthly list-price estimate of the stack the spec describes; usage-priced items are listed, not guessed. */
export function estimate(spec: Spec, kept?: { snapshotsGb: number; liveStorageGb: number }): Estimate {
  const tasks = spec.app.desiredCount;
  const vcpu = spec.app.cpu / 1024;
  const gb = spec.app.memory / 1024;
  // With a schedule the tasks (and their IPs) bill only while awake, the DB while it runs.
  const hours = spec.schedule ? awakeHoursPerMonth(spec.schedule) : { service: H, database: H };
  const fargateFullTime = (arch: "X86_64" | "ARM64") => tasks * (vcpu * PRICES.fargate[arch].vcpuHour + gb * PRICES.fargate[arch].gbHour) * H;
  const fargateMonth = (arch: "X86_64" | "ARM64") => (fargateFullTime(arch) * hours.service) / H;
  const rdsHour = PRICES.rdsHour[spec.database.instanceClass];
  const alb = PRICES.albHour * H;
  const albIps = 2 * PRICES.publicIpv4Hour * H;
  const taskIps = tasks * PRICES.publicIpv4Hour * hours.service;
  const spot = spec.app.capacity === "FARGATE_SPOT";
  const fargate = fargateMonth(spec.app.architecture) * (spot ? 1 - PRICES.fargateSpotDiscount : 1);
  const rds = rdsHour === undefined ? undefined : rdsHour * hours.database;
  const scheduled = spec.schedule ? `, awake ${Math.round(hours.service)} h/month by schedule` : "";
  const storage = spec.database.allocatedStorage * PRICES.rdsStorageGbMonth;
  const lines: CostLine[] = [
    { item: "Application Load Balancer (hours)", monthly: round(alb), bills: "load balancer" },
    { item: "ALB load balancer capacity units", monthly: "usage", note: "$0.008 per LCU-hour" },
    { item: "public IPv4 addresses: 2 for the ALB", monthly: round(albIps), bills: "load balancer" },
    { item: `public IPv4 address: ${tasks} for the task${tasks === 1 ? "" : "s"}${scheduled}`, monthly: round(taskIps), bills: "service" },
    {
      item: `Fargate${spot ? " Spot" : ""} ${spec.app.architecture} ${tasks} × ${vcpu} vCPU + ${gb} GB${scheduled}`, monthly: round(fargate), bills: "service",
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
      ...(spot ? { note: "at AWS's \"up to 70%\" off: the actual Spot price varies by region and over time; AWS can interrupt a task with a 2-minute warning" } : {}),
    },
    rds === undefined
      ? { item: `RDS ${spec.database.instanceClass} (hours)`, monthly: "usage", note: "no price for this class in the table: see the RDS pricing page", bills: "database" }
      : { item: `RDS ${spec.database.instanceClass} Single-AZ (hours)${spec.schedule ? `, running ${Math.round(hours.database)} h/month by schedule` : ""}`, monthly: round(rds), bills: "database" },
    { item: `RDS storage ${spec.database.allocatedStorage} GB ${spec.database.storageType}`, monthly: round(storage), bills: "database" },
    { item: "RDS backups (up to 100% of storage)", monthly: 0, note: "free within the provisioned size" },
    { item: "CloudWatch Logs", monthly: "usage", note: "$0.50/GB ingested, $0.03/GB-month stored" },
    { item: "ECR storage", monthly: "usage", note: "$0.10/GB-month" },
    { item: "data transfer out", monthly: "usage" },
    // HTTPS adds nothing: public ACM certificates are free (https://aws.amazon.com/certificate-manager/pricing/).
    ...(spec.https ? [
      { item: `ACM public certificate for ${spec.https.domain}`, monthly: 0, note: "public certificates are free" },
      { item: "Route 53 hosted zone for the domain", monthly: "usage" as const, note: `$${PRICES.route53ZoneMonth}/month if the account has one (then DNS needs no manual step); not created by this tool` },
    ] : []),
    ...(kept?.snapshotsGb ? [snapshotCost(kept.snapshotsGb, kept.liveStorageGb)] : []),
  ];
  const incomplete = rds === undefined ? [`RDS ${spec.database.instanceClass} hours`] : [];
  const total = incomplete.length ? null : round(lines.reduce((sum, l) => sum + (typeof l.monthly === "number" ? l.monthly : 0), 0));
  // Asleep: no task, RDS stopped; the ALB, its addresses and the DB storage still bill.
  const asleepTotal = round(alb + albIps + storage + (kept?.snapshotsGb ? Number(snapshotCost(kept.snapshotsGb, kept.liveStorageGb).monthly) : 0));
  const office = awakeHoursPerMonth(OFFICE_HOURS);
  const sleepable = fargate + taskIps + (rds ?? 0);
  const officeHours = (fargate + taskIps) * (office.service / H) + (rds ?? 0) * (office.database / H);
  const savings = [
    ...(spot ? [] : [
      { item: "ARM64 (Graviton) task", monthly: round(fargate - fargateMonth("ARM64")), note: "spec app.architecture: \"ARM64\"; the image must be built for arm64" },
      { item: "Fargate Spot", monthly: round(fargate - fargateMonth("X86_64") * (1 - PRICES.fargateSpotDiscount)), note: "spec app.capacity: \"FARGATE_SPOT\" (x86 only): up to 70% off, a task can be interrupted with a 2-minute warning" },
    ]),
    ...(spec.schedule ? [] : [{ item: "sleep nights and weekends", monthly: round(sleepable - officeHours), note: `spec schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "..." } sleeps and wakes it by itself${rds === undefined ? " (plus the database hours, not priced)" : ""}` }]),
    { item: "already avoided: NAT gateway", monthly: round(PRICES.natGatewayHour * H), note: "tasks use a public IP instead" },
    ...(rds === undefined ? [] : [{ item: "already avoided: Multi-AZ RDS", monthly: round(rds + storage), note: "a standby doubles instance hours and storage" }]),
  ].filter((s) => s.monthly > 0 && !(s.item.startsWith("ARM64") && spec.app.architecture === "ARM64"));
  return { region: spec.region, pricesFrom: PRICES_FROM, lines, total, incomplete, asleepTotal, savings };
}

/**
 * The monthly total, before usage, of the billed parts that exist (none before a first `up`: $0); null when a
 * part that exists has no price in the table.
 */
export function monthlyOf(spec: Spec, present: ReadonlySet<Billed>): number | null {
  const lines = estimate(spec).lines.filter((l) => l.bills && present.has(l.bills));
  if (lines.some((l) => l.monthly === "usage")) return null;
  return round(lines.reduce((sum, l) => sum + (typeof l.monthly === "number" ? l.monthly : 0), 0));
}

/** What kept DB snapshots cost a month: all of them once the stack is down, beyond the instance's storage while it runs. */
export function snapshotCost(snapshotsGb: number, liveStorageGb = 0): CostLine {
  const billed = Math.max(0, snapshotsGb - liveStorageGb);
  return {
    item: "DB snapshots kept", monthly: round(billed * PRICES.rdsSnapshotGbMonth),
    note: `${snapshotsGb} GB at $${PRICES.rdsSnapshotGbMonth}/GB-month${liveStorageGb ? `, ${Math.min(snapshotsGb, liveStorageGb)} GB free while the database runs` : ""}; \`spontime-infra snapshots\``,
  };
}
