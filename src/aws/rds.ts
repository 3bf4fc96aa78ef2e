import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, type DBInstance } from "@aws-sdk/client-rds";
import { TAG_PASSWORD_HASH, TAG_STACK } from "../config/names.js";
import { sharedRead, type ReadsCtx } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";

/** The stack's DB instance, shared while observing: RDS describes its subnet group with it. */
export function findDbInstance(ctx: ReadsCtx & { aws: Aws; names: { dbInstance: string } }): Promise<DBInstance | undefined> {
  return sharedRead(ctx, "rds:db", async () =>
    (await absentIfNotFound(() => ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.names.dbInstance }))))?.DBInstances?.[0]);
}

/** A DB snapshot of the stack's: a final one `down` left, or a manual one taken before a replacement. */
export interface StackSnapshot {
  id: string;
  arn: string;
  takenAt: string;
  sizeGb: number;
  status: string;
  engineVersion: string;
  /** The password-hash tag copied from the instance (CopyTagsToSnapshot): which password the snapshot holds. */
  passwordHash?: string;
}

/**
 * The stack's snapshots, newest first: those of its DB instance's name that carry its `spontime:stack` tag (copied
 * from the instance, which is created with CopyTagsToSnapshot). Another stack's or a hand-made snapshot of the same
 * name is never ours: never listed, restored or deleted. A final snapshot is of type manual
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html).
 */
export async function findStackSnapshots(ctx: { aws: Aws; names: { dbInstance: string; app: string } }): Promise<StackSnapshot[]> {
  const out: StackSnapshot[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.aws.rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: ctx.names.dbInstance, SnapshotType: "manual", Marker }));
    for (const x of page.DBSnapshots ?? []) {
      const tags = Object.fromEntries((x.TagList ?? []).map((t) => [t.Key!, t.Value ?? ""]));
      if (tags[TAG_STACK] !== ctx.names.app) continue;
      out.push({
        id: x.DBSnapshotIdentifier!, arn: x.DBSnapshotArn!, takenAt: (x.SnapshotCreateTime ?? new Date(0)).toISOString(), sizeGb: x.AllocatedStorage ?? 0,
        status: x.Status ?? "unknown", engineVersion: x.EngineVersion ?? "", ...(tags[TAG_PASSWORD_HASH] ? { passwordHash: tags[TAG_PASSWORD_HASH] } : {}),
      });
    }
    Marker = page.Marker;
  } while (Marker);
  return out.sort((a, b) => b.takenAt.localeCompare(a.takenAt));
}
