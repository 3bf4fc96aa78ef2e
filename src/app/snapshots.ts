import { DeleteDBSnapshotCommand } from "@aws-sdk/client-rds";
import { findDbInstance, findStackSnapshots, type StackSnapshot } from "../aws/rds.js";
import { UserError } from "../errors.js";
import type { AppCtx } from "./context.js";

export type { StackSnapshot };

/** The stack's DB snapshots (final and manual), newest first; needs no state file. */
export const listSnapshots = (ctx: AppCtx): Promise<StackSnapshot[]> => findStackSnapshots(ctx);

/** Deletes one of the stack's snapshots; one that is not the stack's (untagged, another stack's) is refused (exit 2). */
export async function deleteSnapshot(ctx: AppCtx, snapshot: StackSnapshot): Promise<void> {
  await ctx.aws.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshot.id }));
}

/** The stack's snapshot of that id, or a clear error listing what the stack has. */
export function ownSnapshot(snapshots: StackSnapshot[], id: string): StackSnapshot {
  const found = snapshots.find((x) => x.id === id);
  if (!found) {
    throw new UserError(`${id} is not a DB snapshot of this stack (only snapshots tagged for it are: ${snapshots.map((x) => x.id).join(", ") || "none"})`, "`spontime-infra snapshots` lists them");
  }
  return found;
}

/** What `cost` and `status` need: the snapshots kept, and the live instance's storage (backups free up to it). */
export async function keptSnapshots(ctx: AppCtx): Promise<{ snapshots: StackSnapshot[]; liveStorageGb: number }> {
  const [snapshots, db] = await Promise.all([listSnapshots(ctx), findDbInstance(ctx)]);
  return { snapshots, liveStorageGb: db && db.DBInstanceStatus !== "deleting" ? db.AllocatedStorage ?? 0 : 0 };
}
