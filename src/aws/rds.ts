import { DescribeDBInstancesCommand, type DBInstance } from "@aws-sdk/client-rds";
import { sharedRead, type ReadsCtx } from "../shared/reads.js";
import type { Aws } from "./clients.js";
import { absentIfNotFound } from "./errors.js";

/** The stack's DB instance, shared while observing: RDS describes its subnet group with it. */
export function findDbInstance(ctx: ReadsCtx & { aws: Aws; names: { dbInstance: string } }): Promise<DBInstance | undefined> {
  return sharedRead(ctx, "rds:db", async () =>
    (await absentIfNotFound(() => ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ctx.names.dbInstance }))))?.DBInstances?.[0]);
}
