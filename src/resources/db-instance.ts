import {
  AddTagsToResourceCommand, CreateDBInstanceCommand, DeleteDBInstanceCommand, StartDBInstanceCommand, StopDBInstanceCommand, DescribeDBEngineVersionsCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand,
  type DBInstance, type ModifyDBInstanceCommandInput,
} from "@aws-sdk/client-rds";
import { createHash } from "node:crypto";
import { absentIfNotFound } from "../aws/ec2.js";
import { errorCode } from "../aws/errors.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromKeyValueTags, keyValueTags } from "./owned.js";

const KEY = "db-instance";
/**
 * Which password the instance was given, kept as a tag on the instance itself so that a crash between the
 * create and the state write, or a lost state file, still knows whether the password we hold is the live one.
 */
export const passwordHash = (password: string) => createHash("sha256").update(password).digest("hex").slice(0, 16);
const PASSWORD_TAG = "spontime:password-hash";
const UNKNOWN_PASSWORD = "(unknown)";

const desired = (spec: Target, deps: Deps) => ({
  engine: "postgres",
  engineVersion: spec.database.engineVersion,
  instanceClass: spec.database.instanceClass,
  storageType: spec.database.storageType,
  allocatedStorage: spec.database.allocatedStorage,
  backupRetentionDays: spec.database.backupRetentionDays,
  multiAz: false,
  publiclyAccessible: false,
  storageEncrypted: false,
  availabilityZone: spec.availabilityZones[0],
  dbSubnetGroup: deps("db-subnet-group").dbSubnetGroupName!,
  securityGroupIds: [deps("sg-rds").groupId!],
  dbName: spec.database.name,
  username: spec.database.username,
  passwordHash: passwordHash(deps("secrets").dbPassword!),
  // `sleep` stops the instance (instance hours stop billing; storage does not).
  stopped: spec.sleeping,
});
type Want = ReturnType<typeof desired>;

/** "15" in the spec means "any 15.x": the live version is then compared by its major only. */
const comparableVersion = (spec: Target, live: string | undefined) => (spec.database.engineVersion.includes(".") ? live : live?.split(".")[0]);

const PENDING = new Set(["creating", "stopping", "backing-up", "modifying", "rebooting", "resetting-master-credentials", "renaming", "starting", "configuring-enhanced-monitoring", "upgrading", "storage-optimization", "maintenance", "moving-to-vpc", "configuring-log-exports"]);
const FAILED = new Set(["failed", "incompatible-network", "incompatible-option-group", "incompatible-parameters", "incompatible-restore", "inaccessible-encryption-credentials", "restore-error", "storage-full"]);

function attrsOf(spec: Target, db: DBInstance, hash: string) {
  return {
    engine: db.Engine,
    engineVersion: comparableVersion(spec, db.EngineVersion),
    instanceClass: db.DBInstanceClass,
    storageType: db.StorageType,
    allocatedStorage: db.AllocatedStorage,
    backupRetentionDays: db.BackupRetentionPeriod,
    multiAz: db.MultiAZ ?? false,
    publiclyAccessible: db.PubliclyAccessible ?? false,
    storageEncrypted: db.StorageEncrypted ?? false,
    availabilityZone: db.AvailabilityZone,
    dbSubnetGroup: db.DBSubnetGroup?.DBSubnetGroupName,
    securityGroupIds: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).sort(),
    dbName: db.DBName,
    username: db.MasterUsername,
    passwordHash: hash,
    stopped: db.DBInstanceStatus === "stopped" || db.DBInstanceStatus === "stopping",
  };
}

/** The newest 15.x minor RDS offers, unless the spec pins one. */
async function engineVersionToCreate(ctx: Ctx): Promise<string> {
  const pinned = ctx.spec.database.engineVersion;
  if (pinned.includes(".")) return pinned;
  const out = await ctx.aws.rds.send(new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: `postgres${pinned}` }));
  const versions = (out.DBEngineVersions ?? []).map((v) => v.EngineVersion!).filter((v) => v.startsWith(`${pinned}.`));
  const minor = (v: string) => Number(v.split(".")[1]);
  return versions.sort((a, b) => minor(b) - minor(a))[0] ?? pinned;
}

export const dbInstance: Resource<Want> = {
  key: KEY,
  kind: "rds:db-instance",
  dependsOn: ["db-subnet-group", "sg-rds", "secrets"],
  replaceOn: ["engine", "dbName", "username", "storageEncrypted", "availabilityZone", "dbSubnetGroup"],
  downtimeOn: ["instanceClass", "engineVersion", "multiAz"],
  readyTimeoutMs: 45 * 60_000,
  waitUntilGone: true,
  // aws-facts.md: 10-15 min to create; deletes take minutes too.
  typicalReadyMs: 8 * 60_000,
  typicalGoneMs: 3 * 60_000,
  title: (spec) => `RDS PostgreSQL ${spec.database.engineVersion} ${spec.database.instanceClass}, ${spec.database.allocatedStorage} GB ${spec.database.storageType}`,
  desired,
  async observe(ctx, prior) {
    const id = ctx.names.dbInstance;
    const db = (await absentIfNotFound(() => ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))))?.DBInstances?.[0];
    if (!db || db.DBInstanceStatus === "deleted") return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `RDS instance ${id}`, id, async () => fromKeyValueTags(db.TagList));
    const status = db.DBInstanceStatus ?? "unknown";
    const hash = fromKeyValueTags(db.TagList)[PASSWORD_TAG] ?? UNKNOWN_PASSWORD;
    return {
      id,
      attrs: attrsOf(ctx.spec, db, hash),
      outputs: {
        endpoint: db.Endpoint?.Address ?? "",
        port: String(db.Endpoint?.Port ?? 5432),
        status,
        engineVersion: db.EngineVersion ?? "",
      },
      ...(PENDING.has(status) ? { pending: status } : {}),
      ...(status === "deleting" ? { pending: "deleting" } : {}),
      ...(FAILED.has(status) ? { failed: `status ${status}` } : {}),
    };
  },
  async create(ctx, want) {
    const id = ctx.names.dbInstance;
    const password = ctx.state.data.resources.secrets?.outputs.dbPassword;
    if (!password) throw new Error("no generated DB password in state: the secrets step must run first");
    try {
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
        DBSubnetGroupName: want.dbSubnetGroup,
        VpcSecurityGroupIds: want.securityGroupIds,
        DBName: want.dbName,
        MasterUsername: want.username,
        MasterUserPassword: password,
        CopyTagsToSnapshot: true,
        Tags: keyValueTags({ ...stackTags(ctx.spec, KEY), [PASSWORD_TAG]: want.passwordHash }),
      }));
    } catch (e) {
      // Created by a run that died before saving: the password in state is the one it was given.
      if (errorCode(e) !== "DBInstanceAlreadyExists" && errorCode(e) !== "DBInstanceAlreadyExistsFault") throw e;
    }
    return { id, outputs: {} };
  },
  async update(ctx, want, _live, changed) {
    if (changed.includes("stopped")) {
      // A stopped instance takes no modification: start or stop alone, the rest on the next `up`.
      const id = { DBInstanceIdentifier: ctx.names.dbInstance };
      await ctx.aws.rds.send(want.stopped ? new StopDBInstanceCommand(id) : new StartDBInstanceCommand(id));
      return;
    }
    const input: ModifyDBInstanceCommandInput = { DBInstanceIdentifier: ctx.names.dbInstance, ApplyImmediately: true };
    if (changed.includes("instanceClass")) input.DBInstanceClass = want.instanceClass;
    if (changed.includes("engineVersion")) Object.assign(input, { EngineVersion: await engineVersionToCreate(ctx), AllowMajorVersionUpgrade: true });
    if (changed.includes("storageType")) input.StorageType = want.storageType;
    if (changed.includes("allocatedStorage")) input.AllocatedStorage = want.allocatedStorage;
    if (changed.includes("backupRetentionDays")) input.BackupRetentionPeriod = want.backupRetentionDays;
    if (changed.includes("multiAz")) input.MultiAZ = want.multiAz;
    if (changed.includes("publiclyAccessible")) input.PubliclyAccessible = want.publiclyAccessible;
    if (changed.includes("securityGroupIds")) input.VpcSecurityGroupIds = want.securityGroupIds;
    // A state file lost and rebuilt: we cannot know the live password, so set the one we hold.
    if (changed.includes("passwordHash")) input.MasterUserPassword = ctx.state.data.resources.secrets!.outputs.dbPassword;
    const out = await ctx.aws.rds.send(new ModifyDBInstanceCommand(input));
    if (changed.includes("passwordHash")) {
      await ctx.aws.rds.send(new AddTagsToResourceCommand({ ResourceName: out.DBInstance!.DBInstanceArn, Tags: [{ Key: PASSWORD_TAG, Value: want.passwordHash }] }));
    }
  },
  async delete(ctx, live) {
    const snapshot = ctx.options.skipFinalSnapshot ? {} : { FinalDBSnapshotIdentifier: ctx.names.finalSnapshot(new Date(ctx.clock.now())) };
    try {
      await ctx.aws.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: live.id, SkipFinalSnapshot: !!ctx.options.skipFinalSnapshot, ...snapshot }));
    } catch (e) {
      const code = errorCode(e);
      if (code === "DBInstanceNotFound" || code === "DBInstanceNotFoundFault") return;
      // Already being deleted by an earlier, interrupted `down`: the engine waits for it to go.
      if ((code === "InvalidDBInstanceState" || code === "InvalidDBInstanceStateFault") && live.outputs.status === "deleting") return;
      throw e;
    }
  },
};
