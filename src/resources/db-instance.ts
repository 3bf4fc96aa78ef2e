import {
  AddTagsToResourceCommand, CreateDBInstanceCommand, DeleteDBInstanceCommand, DescribeDBEngineVersionsCommand,
  ModifyDBInstanceCommand, RestoreDBInstanceFromDBSnapshotCommand, StartDBInstanceCommand, StopDBInstanceCommand, type DBInstance, type ModifyDBInstanceCommandInput,
} from "@aws-sdk/client-rds";
import { createHash } from "node:crypto";
import { hasCode } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { findDbInstance, type StackSnapshot } from "../aws/rds.js";
import { assertOurs, tagList, tagMap, type Tags } from "../aws/tags.js";
import { TAG_PASSWORD_HASH } from "../config/names.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { dbSubnetGroup } from "./db-subnet-group.js";
import { secrets } from "./secrets.js";
import { rdsGroup } from "./security-group.js";
import { tagged } from "./tagging.js";

const KEY = "db-instance";
/**
 * Which password the instance was given, kept as a tag on the instance itself so that a crash between the
 * create and the state write, or a lost state file, still knows whether the password we hold is the live one.
 */
export const passwordHash = (password: string) => createHash("sha256").update(password).digest("hex").slice(0, 16);
const PASSWORD_TAG = TAG_PASSWORD_HASH;
const UNKNOWN_PASSWORD = "(unknown)";
const CA_CERTIFICATE = "rds-ca-rsa2048-g1";
/** Why `up` never turns off a deletion protection someone turned on: it guards the data; `down` asks for a flag. */
export const DELETION_PROTECTION_LEFT_ALONE = "someone turned it on to guard against deletion; `down --disable-deletion-protection` turns it off";

const desired = (spec: DesiredStack, ref: RefFn) => ({
  engine: "postgres",
  engineVersion: spec.database.engineVersion,
  instanceClass: spec.database.instanceClass,
  storageType: spec.database.storageType,
  allocatedStorage: spec.database.allocatedStorage,
  backupRetentionDays: spec.database.backupRetentionDays,
  multiAz: false,
  publiclyAccessible: false,
  storageEncrypted: false,
  // Off, as RDS makes it; turned on by hand it is left alone, and `down` refuses until told to turn it off.
  deletionProtection: false,
  // The engine's default parameter group, and the CA RDS gives new instances (named at create, so an account
  // whose default CA was changed still gets this one): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html
  parameterGroup: `default.postgres${spec.database.engineVersion.split(".")[0]}`,
  caCertificate: CA_CERTIFICATE,
  availabilityZone: spec.availabilityZones[0],
  dbSubnetGroup: ref(dbSubnetGroup).dbSubnetGroupName,
  securityGroupIds: [ref(rdsGroup).groupId],
  dbName: spec.database.name,
  username: spec.database.username,
  passwordHash: passwordHash(ref(secrets).dbPassword),
  // `sleep` stops the instance (instance hours stop billing; storage does not).
  stopped: spec.asleep.database,
});
type Want = ReturnType<typeof desired> & { tags: Tags };
/** `storageLockedUntil`: within 6 hours of our last storage change (remembered in state), when RDS takes none. */
type Attrs = Omit<{ [K in keyof Want]?: Want[K] }, "tags"> & { tags: Tags; status: string; storageLockedUntil?: string };
/** `storageChangedAt`: when `up` last changed the storage (RDS shows no such date), kept in state. */
type Out = { endpoint: string; port: string; engineVersion: string; arn: string; storageChangedAt?: string };

/**
 * RDS storage rules (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html):
 * an increase of at least 10 percent, and no further storage change for 6 hours or until storage optimization
 * has completed, whichever is longer.
 */
const STORAGE_LOCK_MS = 6 * 3_600_000;
const MIN_STORAGE_INCREASE = 1.1;

/** "15" in the spec means "any 15.x": the live version is then compared by its major only. */
const comparableVersion = (spec: DesiredStack, live: string | undefined) => (spec.database.engineVersion.includes(".") ? live : live?.split(".")[0]);

// RDS statuses (DescribeDBInstances, DBInstanceStatus). `storage-optimization` is left out on purpose: the
// instance is available then, and it lasts hours after a storage change.
const PENDING = new Set(["creating", "stopping", "backing-up", "modifying", "rebooting", "resetting-master-credentials", "renaming", "starting", "configuring-enhanced-monitoring", "upgrading", "maintenance", "moving-to-vpc", "configuring-log-exports"]);
const FAILED = new Set(["failed", "incompatible-network", "incompatible-option-group", "incompatible-parameters", "incompatible-restore", "inaccessible-encryption-credentials", "restore-error", "storage-full"]);

function stateOf(status: string) {
  if (status === "deleting") return { state: "deleting" as const, why: status };
  if (PENDING.has(status)) return { state: "pending" as const, why: status };
  if (FAILED.has(status)) return { state: "failed" as const, why: `status ${status}` };
  return { state: "ready" as const };
}

function attrsOf(ctx: Ctx, db: DBInstance, tags: Tags): Attrs {
  return {
    engine: db.Engine,
    engineVersion: comparableVersion(ctx.spec, db.EngineVersion),
    instanceClass: db.DBInstanceClass,
    storageType: db.StorageType as Want["storageType"],
    allocatedStorage: db.AllocatedStorage,
    backupRetentionDays: db.BackupRetentionPeriod,
    multiAz: db.MultiAZ ?? false,
    publiclyAccessible: db.PubliclyAccessible ?? false,
    storageEncrypted: db.StorageEncrypted ?? false,
    deletionProtection: db.DeletionProtection ?? false,
    parameterGroup: db.DBParameterGroups?.[0]?.DBParameterGroupName,
    caCertificate: db.CACertificateIdentifier,
    availabilityZone: db.AvailabilityZone,
    dbSubnetGroup: db.DBSubnetGroup?.DBSubnetGroupName,
    securityGroupIds: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).sort(),
    dbName: db.DBName,
    username: db.MasterUsername,
    passwordHash: tags[PASSWORD_TAG] ?? UNKNOWN_PASSWORD,
    stopped: db.DBInstanceStatus === "stopped" || db.DBInstanceStatus === "stopping",
    tags: tags,
    status: db.DBInstanceStatus ?? "unknown",
  };
}

/**
 * The newest minor of the spec's major RDS offers, unless the spec pins one. Where DescribeDBEngineVersions is
 * not allowed (a restricted IAM policy), the major alone: RDS then picks its default minor.
 */
async function engineVersionToCreate(ctx: Ctx): Promise<string> {
  const pinned = ctx.spec.database.engineVersion;
  if (pinned.includes(".")) return pinned;
  try {
    const out = await ctx.aws.rds.send(new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: `postgres${pinned}` }));
    const versions = (out.DBEngineVersions ?? []).map((v) => v.EngineVersion!).filter((v) => v.startsWith(`${pinned}.`));
    const minor = (v: string) => Number(v.split(".")[1]);
    return versions.sort((a, b) => minor(b) - minor(a))[0] ?? pinned;
  } catch {
    return pinned;
  }
}

/** a < b for RDS versions like "15.4" and "15.10" (numeric per part; a missing minor compares as equal). */
function olderVersion(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < Math.min(x!.length, y!.length); i++) if (x![i] !== y![i]) return x![i]! < y![i]!;
  return false;
}

/**
 * The database again from a snapshot of the stack's, with the stack's settings: RestoreDBInstanceFromDBSnapshot
 * takes the class, network, storage and backups, and keeps the snapshot's data, engine version, master user and
 * password (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html).
 * The password-hash tag says which password that is (the snapshot's copy of the instance's tag); when it is not
 * the one in state (a state file lost since), the engine's convergence after the create sets ours with
 * ModifyDBInstance, so the app's DATABASE_URL works.
 */
async function restore(ctx: Ctx, want: Want, from: StackSnapshot) {
  const id = ctx.names.dbInstance;
  await ctx.aws.rds.send(new RestoreDBInstanceFromDBSnapshotCommand({
    DBInstanceIdentifier: id,
    DBSnapshotIdentifier: from.id,
    DBInstanceClass: want.instanceClass,
    StorageType: want.storageType,
    // A restore may grow the storage, never shrink it below the snapshot's.
    ...(want.allocatedStorage > from.sizeGb ? { AllocatedStorage: want.allocatedStorage } : {}),
    BackupRetentionPeriod: want.backupRetentionDays,
    MultiAZ: false,
    AvailabilityZone: want.availabilityZone,
    PubliclyAccessible: false,
    DeletionProtection: want.deletionProtection,
    CACertificateIdentifier: want.caCertificate,
    DBSubnetGroupName: want.dbSubnetGroup,
    VpcSecurityGroupIds: want.securityGroupIds,
    CopyTagsToSnapshot: true,
    // RDS tag values take no parentheses: with no hash known, none is set and the password is set after.
    Tags: tagList({ ...want.tags, ...(from.passwordHash ? { [PASSWORD_TAG]: from.passwordHash } : {}) }),
  }));
  ctx.notices.push(`The database was restored from ${from.id} (taken ${from.takenAt}, ${from.sizeGb} GB)${from.passwordHash === want.passwordHash ? "" : "; its password was set to the one in state, so DATABASE_URL works"}.`);
  return { id, outputs: {} };
}

export const dbInstance = tagged<Want, Attrs, Out>({
  key: KEY,
  kind: "rds:db-instance",
  client: "rds",
  tagging: "rds",
  actions: { observe: ["rds:DescribeDBInstances"], create: ["rds:DescribeDBEngineVersions", "rds:CreateDBInstance", "rds:DescribeDBSnapshots", "rds:RestoreDBInstanceFromDBSnapshot"], update: ["rds:DescribeDBEngineVersions", "rds:ModifyDBInstance", "rds:StartDBInstance", "rds:StopDBInstance", "rds:AddTagsToResource"], delete: ["rds:DeleteDBInstance", "rds:CreateDBSnapshot"] },
  tagTarget: (live) => live.outputs.arn,
  ignored: {
    "maintenance and backup windows, auto minor version upgrade": "RDS picks them; moving them changes when RDS works, not what the app gets",
    "Performance Insights, enhanced monitoring, log exports": "observability someone turned on; they change neither the connection nor the data",
    "storage autoscaling, IOPS, throughput": "they only ever add capacity; `allocatedStorage` and `storageType` are compared",
  },
  stateful: true,
  replaceOn: ["engine", "dbName", "username", "storageEncrypted", "availabilityZone", "dbSubnetGroup"],
  fieldNotes: {
    availabilityZone: "a snapshot is taken first and the new instance is restored from it",
    dbSubnetGroup: "a snapshot is taken first and the new instance is restored from it",
    engine: "a snapshot is taken first; the new instance starts empty (RDS restores a snapshot only as it was)",
    dbName: "a snapshot is taken first; the new instance starts empty (RDS restores a snapshot only as it was)",
    username: "a snapshot is taken first; the new instance starts empty (RDS restores a snapshot only as it was)",
    storageEncrypted: "a snapshot is taken first; the new instance starts empty (RDS restores a snapshot only as it was)",
    parameterGroup: "static parameters take effect at the next reboot",
  },
  // A new CA certificate restarts the instance (ApplyImmediately).
  downtimeOn: ["instanceClass", "engineVersion", "multiAz", "caCertificate"],
  // `sleep` stops it once the service, which uses it, runs no task; `wake` starts it first.
  afterDependents: (diffs) => diffs.some((d) => d.field === "stopped" && d.after === true),
  leftAlone: { deletionProtection: DELETION_PROTECTION_LEFT_ALONE },
  repairLimits: {
    engineVersion: "never downgraded: a newer version set by hand stops `up` (saying so) until the spec names it",
    allocatedStorage: "never shrunk: storage grown by hand stops `up` (saying so) until the spec has it",
  },
  inUse: hasCode("InvalidDBInstanceState"),
  // A retried CreateDBInstance whose first answer was lost, or one a crashed run made: the tag tells the password.
  alreadyExists: hasCode("DBInstanceAlreadyExists"),
  // A retried ModifyDBInstance (or Start/Stop) whose first attempt landed finds the instance busy with it.
  alreadyDone: hasCode("InvalidDBInstanceState"),
  readyTimeoutMs: 45 * 60_000,
  waitUntilGone: true,
  // RDS takes 10-15 min to create an instance and minutes to delete one.
  typicalReadyMs: 8 * 60_000,
  typicalGoneMs: 3 * 60_000,
  title: (spec) => `RDS PostgreSQL ${spec.database.engineVersion} ${spec.database.instanceClass}, ${spec.database.allocatedStorage} GB ${spec.database.storageType} (${spec.availabilityZones[0]})${
    spec.restoreFrom ? `, restore from ${spec.restoreFrom.id} (taken ${spec.restoreFrom.takenAt.slice(0, 16).replace("T", " ")} UTC, ${spec.restoreFrom.sizeGb} GB)` : ""}`,
  desired,
  // ModifyDBInstance rules from the RDS User Guide ("Modifying an Amazon RDS DB instance", "Working with storage").
  refuse(want, live, changed) {
    if (live.attrs.deletionProtection && changed.some((f) => dbInstance.replaceOn!.includes(f as keyof Want))) {
      return `replacing the database means deleting it, and its deletion protection is on: turn it off in the RDS console (or \`aws rds modify-db-instance --no-deletion-protection\`) first`;
    }
    if (changed.includes("allocatedStorage") && want.allocatedStorage < (live.attrs.allocatedStorage ?? 0)) {
      return `RDS cannot shrink allocated storage (${live.attrs.allocatedStorage} GB → ${want.allocatedStorage} GB): set it back, or dump the data, and recreate the database`;
    }
    // Minor versions too: RDS answers "Cannot upgrade postgres from 15.10 to 15.4" (hashicorp/terraform#22462).
    if (changed.includes("engineVersion") && olderVersion(want.engineVersion, live.outputs.engineVersion)) {
      return `RDS cannot downgrade PostgreSQL (${live.outputs.engineVersion} → ${want.engineVersion}): restore a snapshot of the older version instead`;
    }
    // ModifyDBInstance needs an available instance (InvalidDBInstanceState otherwise, API_ModifyDBInstance.html).
    if (live.attrs.stopped && want.stopped && changed.some((f) => f !== "stopped" && f !== "tags")) {
      return `the database is stopped (the stack is asleep) and RDS modifies only a running instance: run \`spontime-infra wake\` (or \`up --wake\`) first, then \`up\``;
    }
    const have = live.attrs.allocatedStorage ?? 0;
    if (changed.includes("allocatedStorage") && want.allocatedStorage > have && want.allocatedStorage < have * MIN_STORAGE_INCREASE) {
      return `RDS takes a storage increase of at least 10% (${have} GB → at least ${Math.ceil(have * MIN_STORAGE_INCREASE)} GB, not ${want.allocatedStorage} GB): set database.allocatedStorage to ${Math.ceil(have * MIN_STORAGE_INCREASE)} or more`;
    }
    const storageChange = changed.includes("storageType") || changed.includes("allocatedStorage");
    if (storageChange && live.attrs.status === "storage-optimization") {
      return "RDS refuses a storage change while the last one is still being optimized (up to 6 hours after it): try again later";
    }
    if (storageChange && live.attrs.storageLockedUntil) {
      return `RDS takes no storage change within 6 hours of the last one: try again after ${live.attrs.storageLockedUntil}`;
    }
    return undefined;
  },
  async observe(ctx, prior) {
    const id = ctx.names.dbInstance;
    const db = await findDbInstance(ctx);
    if (!db || db.DBInstanceStatus === "deleted") return undefined;
    const tags = tagMap(db.TagList);
    assertOurs("RDS instance", id, tags, ctx.spec.appName, db.DBInstanceArn);
    const status = db.DBInstanceStatus ?? "unknown";
    // Forgotten once the 6 hours are over: the state file then holds no date.
    const changedAt = prior?.outputs.storageChangedAt;
    const until = changedAt ? Date.parse(changedAt) + STORAGE_LOCK_MS : 0;
    const lockedUntil = until > ctx.clock.now() ? new Date(until).toISOString() : undefined;
    return {
      id,
      ...stateOf(status),
      attrs: { ...attrsOf(ctx, db, tags), ...(lockedUntil ? { storageLockedUntil: lockedUntil } : {}) },
      outputs: {
        endpoint: db.Endpoint?.Address ?? "", port: String(db.Endpoint?.Port ?? 5432), engineVersion: db.EngineVersion ?? "", arn: db.DBInstanceArn ?? "",
        ...(changedAt ? { storageChangedAt: changedAt } : {}),
      },
    };
  },
  async create(ctx, want) {
    const id = ctx.names.dbInstance;
    const password = ctx.records.get(secrets.key)?.outputs.dbPassword;
    if (!password) throw new Error("no generated DB password in state: the secrets step must run first");
    if (ctx.spec.restoreFrom) return restore(ctx, want, ctx.spec.restoreFrom);
    await ctx.aws.rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: "postgres",
      EngineVersion: await engineVersionToCreate(ctx),
      DBInstanceClass: want.instanceClass,
      StorageType: want.storageType,
      AllocatedStorage: want.allocatedStorage,
      BackupRetentionPeriod: want.backupRetentionDays,
      MultiAZ: false,
      AvailabilityZone: want.availabilityZone,
      PubliclyAccessible: false,
      StorageEncrypted: false,
      DeletionProtection: want.deletionProtection,
      CACertificateIdentifier: want.caCertificate,
      DBSubnetGroupName: want.dbSubnetGroup,
      VpcSecurityGroupIds: want.securityGroupIds,
      DBName: want.dbName,
      MasterUsername: want.username,
      MasterUserPassword: password,
      CopyTagsToSnapshot: true,
      Tags: tagList({ ...want.tags, [PASSWORD_TAG]: want.passwordHash }),
    }));
    return { id, outputs: {} };
  },
  async update(ctx, want, live, changed) {
    const id = { DBInstanceIdentifier: live.id };
    // A stopped instance takes no modification: start it; the engine waits and calls again for the rest.
    if (live.attrs.stopped && !want.stopped) {
      await ctx.aws.rds.send(new StartDBInstanceCommand(id));
      return;
    }
    const modify = changed.filter((f) => f !== "stopped");
    let storageChangedAt: string | undefined;
    if (modify.length) {
      const input: ModifyDBInstanceCommandInput = { ...id, ApplyImmediately: true };
      if (modify.includes("instanceClass")) input.DBInstanceClass = want.instanceClass;
      if (modify.includes("engineVersion")) Object.assign(input, { EngineVersion: await engineVersionToCreate(ctx), AllowMajorVersionUpgrade: true });
      if (modify.includes("storageType")) input.StorageType = want.storageType;
      if (modify.includes("allocatedStorage")) input.AllocatedStorage = want.allocatedStorage;
      if (modify.includes("backupRetentionDays")) input.BackupRetentionPeriod = want.backupRetentionDays;
      if (modify.includes("multiAz")) input.MultiAZ = want.multiAz;
      if (modify.includes("publiclyAccessible")) input.PubliclyAccessible = want.publiclyAccessible;
      if (modify.includes("securityGroupIds")) input.VpcSecurityGroupIds = want.securityGroupIds;
      if (modify.includes("parameterGroup")) input.DBParameterGroupName = want.parameterGroup;
      if (modify.includes("caCertificate")) input.CACertificateIdentifier = want.caCertificate;
      // A state file lost and rebuilt: we cannot know the live password, so set the one we hold.
      if (modify.includes("passwordHash")) input.MasterUserPassword = ctx.records.get(secrets.key)!.outputs.dbPassword;
      await ctx.aws.rds.send(new ModifyDBInstanceCommand(input));
      if (modify.includes("allocatedStorage") || modify.includes("storageType")) storageChangedAt = new Date(ctx.clock.now()).toISOString();
      if (modify.includes("passwordHash")) await ctx.aws.rds.send(new AddTagsToResourceCommand({ ResourceName: live.outputs.arn, Tags: [{ Key: PASSWORD_TAG, Value: want.passwordHash }] }));
    }
    // Stop last: StopDBInstance needs `available`, and a modification in flight would be refused.
    if (want.stopped && !live.attrs.stopped && !modify.length) await ctx.aws.rds.send(new StopDBInstanceCommand(id));
    return storageChangedAt ? { storageChangedAt } : undefined;
  },
  async delete(ctx, live) {
    if (live.attrs.deletionProtection) {
      // `down` refuses earlier without the flag; this only guards a path that forgot to ask.
      if (!ctx.disableDeletionProtection) throw new UserError(`the database ${live.id} has deletion protection on`, "run `spontime-infra down --disable-deletion-protection` to turn it off and delete");
      // A stopped instance takes no modification: started first; the engine retries the delete until it can.
      if (live.attrs.stopped) {
        if (live.attrs.status === "stopped") await ctx.aws.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: live.id }));
        throw Object.assign(new Error(`${live.id} is starting, to turn its deletion protection off`), { name: "InvalidDBInstanceStateFault" });
      }
      await ctx.aws.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: live.id, DeletionProtection: false, ApplyImmediately: true }));
    }
    // In `up`, a delete is a replacement: the data is kept in a snapshot first, whatever --skip-final-snapshot says.
    const replacing = !ctx.tearingDown;
    const at = new Date(ctx.clock.now());
    const snapshot = replacing ? ctx.names.replaceSnapshot(at) : ctx.skipFinalSnapshot ? undefined : ctx.names.finalSnapshot(at);
    try {
      await ctx.aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: live.id, SkipFinalSnapshot: !snapshot, ...(snapshot ? { FinalDBSnapshotIdentifier: snapshot } : {}) }));
    } catch (e) {
      if (hasCode("DBInstanceNotFound")(e)) return;
      throw e;
    }
    // A snapshot restores with its own database name, master user and encryption: the new instance can take the
    // data only when those stay; a new AZ or subnet group is the restore's to choose.
    const restorable = live.attrs.dbName === ctx.spec.database.name && live.attrs.username === ctx.spec.database.username && !live.attrs.storageEncrypted;
    if (replacing && snapshot && restorable) {
      ctx.spec.restoreFrom = { id: snapshot, arn: "", takenAt: at.toISOString(), sizeGb: live.attrs.allocatedStorage ?? 0, status: "available", engineVersion: live.outputs.engineVersion, ...(live.attrs.passwordHash !== UNKNOWN_PASSWORD ? { passwordHash: live.attrs.passwordHash! } : {}) };
    } else if (replacing && snapshot) {
      ctx.notices.push(`The old database's data is in the snapshot ${snapshot}; the new instance started empty (see \`spontime-infra snapshots\`).`);
    } else if (snapshot) {
      ctx.notices.push(`The database's final snapshot is ${snapshot}: \`spontime-infra up\` offers to restore it (\`up --restore latest\`); \`spontime-infra snapshots\` lists what is kept and what it costs.`);
    }
  },
});
