/**
 * RDS: subnet groups must cover two AZs; creating -> available in 10 min; a final snapshot is required unless
 * skipped; deleting takes 5 min; an instance's subnet group cannot be deleted; stop/start; manual and final
 * snapshots (tags copied from the instance with CopyTagsToSnapshot), and restoring one into a new instance.
 */
import * as RDS from "@aws-sdk/client-rds";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, page, TAG_RULES, LATENCY, toUpper, type Service, type Tags } from "./common.js";
import { addEni, ec2Get } from "./ec2.js";

export interface DbSubnetGroup { name: string; arn: string; vpcId: string; subnets: string[]; tags: Tags }
export interface DbInstance {
  id: string; arn: string; status: string; nextStatus: string; readyAt?: number; endpoint?: string; eniId: string;
  engine: string; engineVersion: string; instanceClass: string; storageType: string; allocatedStorage: number; backup: number; multiAz: boolean; public: boolean;
  encrypted: boolean; az: string; subnetGroup: string; securityGroups: string[]; dbName: string; username: string; password: string; tags: Tags;
  copyTagsToSnapshot: boolean; restoredFrom?: string;
  /** When the storage last changed (ModifyDBInstance AllocatedStorage or StorageType). */
  storageModifiedAt?: number;
  /** Off unless asked for at create or by hand (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, DeletionProtection). */
  deletionProtection: boolean;
  /**
   * The engine's default group unless named ("If you do not specify a value, then the default DB parameter group for
   * the specified DB engine and version is used": API_CreateDBInstance, DBParameterGroupName).
   */
  parameterGroup: string;
  /** rds-ca-rsa2048-g1 for a new instance unless named (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL-certificate-rotation.html). */
  caCertificate: string;
}
/** No further storage change for 6 hours after one (USER_PIOPS.ModifyingExisting.html, below). */
const STORAGE_LOCK_MS = 6 * 3_600_000;
/** A manual DB snapshot (a final one is manual too): the instance's data, engine, master user and password as they were. */
export interface DbSnapshot {
  id: string; arn: string; instanceId: string; status: "creating" | "available"; availableAt: number; createdAt: number; allocatedStorage: number;
  engine: string; engineVersion: string; dbName: string; username: string; password: string; storageType: string; encrypted: boolean; tags: Tags;
}
export interface RdsState { subnetGroups: Map<string, DbSubnetGroup>; instances: Map<string, DbInstance>; snapshots: Map<string, DbSnapshot> }

export const emptyRds = (): RdsState => ({ subnetGroups: new Map(), instances: new Map(), snapshots: new Map() });

/** ModifyDBInstance parameter → the instance's field it sets. */
const MODIFIABLE = {
  DBInstanceClass: "instanceClass", StorageType: "storageType", AllocatedStorage: "allocatedStorage", BackupRetentionPeriod: "backup", MultiAZ: "multiAz",
  PubliclyAccessible: "public", VpcSecurityGroupIds: "securityGroups", MasterUserPassword: "password", EngineVersion: "engineVersion",
  DeletionProtection: "deletionProtection", DBParameterGroupName: "parameterGroup", CACertificateIdentifier: "caCertificate",
} as const satisfies Partial<Record<keyof RDS.ModifyDBInstanceCommandInput, keyof DbInstance>>;

export function rdsService(fake: FakeAws): Service<typeof RDS> {
  const st = () => fake.rds;
  const groupShape = (g: DbSubnetGroup) => ({ DBSubnetGroupName: g.name, DBSubnetGroupArn: g.arn, VpcId: g.vpcId, Subnets: g.subnets.map((s) => ({ SubnetIdentifier: s, SubnetAvailabilityZone: { Name: fake.ec2.subnets.get(s)?.az } })) });
  const dbShape = (d: DbInstance) => ({
    DBInstanceIdentifier: d.id, DBInstanceArn: d.arn, DBInstanceStatus: d.status, Engine: d.engine, EngineVersion: d.engineVersion, DBInstanceClass: d.instanceClass,
    StorageType: d.storageType, AllocatedStorage: d.allocatedStorage, BackupRetentionPeriod: d.backup, MultiAZ: d.multiAz, PubliclyAccessible: d.public, StorageEncrypted: d.encrypted,
    // The subnet group as RDS describes it with the instance: its subnets, not its ARN (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html).
    AvailabilityZone: d.az, DBSubnetGroup: subnetGroupOf(d), VpcSecurityGroups: d.securityGroups.map((g) => ({ VpcSecurityGroupId: g, Status: "active" })),
    DBName: d.dbName, MasterUsername: d.username, DeletionProtection: d.deletionProtection,
    DBParameterGroups: [{ DBParameterGroupName: d.parameterGroup, ParameterApplyStatus: "in-sync" }], CACertificateIdentifier: d.caCertificate, Endpoint: d.endpoint ? { Address: d.endpoint, Port: 5432 } : undefined, TagList: toUpper(d.tags),
  });
  const subnetGroupOf = (d: DbInstance) => {
    const g = st().subnetGroups.get(d.subnetGroup);
    if (!g) return { DBSubnetGroupName: d.subnetGroup };
    return { ...groupShape(g), DBSubnetGroupArn: undefined, SubnetGroupStatus: "Complete" };
  };
  const get = (id: string | undefined) => {
    const d = st().instances.get(id ?? "");
    if (!d) throw awsError("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
    return d;
  };
  const group = (name: string | undefined) => {
    const g = st().subnetGroups.get(name ?? "");
    if (!g) throw awsError("DBSubnetGroupNotFoundFault", `DB Subnet group '${name}' not found`);
    return g;
  };
  const transition = (d: DbInstance, now: string, next: string, ms: number) => { d.status = now; d.nextStatus = next; d.readyAt = fake.clock.now() + ms; };
  const requireAvailable = (d: DbInstance) => { if (d.status !== "available") throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is not in available state (${d.status}).`); };

  /**
   * A snapshot of `d` as it is now: tags copied when the instance has CopyTagsToSnapshot and the call names none
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html#USER_Tagging.CopyTags). It is
   * `creating` for a while (a few minutes for 20 GB), then `available`.
   */
  const snapshotOf = (d: DbInstance, id: string, tags: Tags | undefined): DbSnapshot => {
    if (st().snapshots.has(id)) throw awsError("DBSnapshotAlreadyExistsFault", `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
    const now = fake.clock.now();
    const snap: DbSnapshot = {
      id, arn: fake.arn("rds", `snapshot:${id}`), instanceId: d.id, status: "creating", availableAt: now + LATENCY.rdsSnapshot, createdAt: now, allocatedStorage: d.allocatedStorage,
      engine: d.engine, engineVersion: d.engineVersion, dbName: d.dbName, username: d.username, password: d.password, storageType: d.storageType, encrypted: d.encrypted,
      tags: tags && Object.keys(tags).length ? tags : d.copyTagsToSnapshot ? { ...d.tags } : {},
    };
    st().snapshots.set(id, snap);
    return snap;
  };
  const snapshotShape = (x: DbSnapshot) => {
    if (x.status === "creating" && fake.clock.now() >= x.availableAt) x.status = "available";
    return {
      DBSnapshotIdentifier: x.id, DBSnapshotArn: x.arn, DBInstanceIdentifier: x.instanceId, SnapshotCreateTime: new Date(x.createdAt), Status: x.status,
      SnapshotType: "manual", AllocatedStorage: x.allocatedStorage, Engine: x.engine, EngineVersion: x.engineVersion, MasterUsername: x.username, StorageType: x.storageType, Encrypted: x.encrypted,
      TagList: toUpper(x.tags),
    };
  };
  const snapshot = (id: string | undefined) => {
    const x = st().snapshots.get(id ?? "");
    if (!x) throw awsError("DBSnapshotNotFoundFault", `DBSnapshot ${id} not found.`);
    return x;
  };

  const taggable = (arn: string | undefined) => {
    const x = [...st().instances.values(), ...st().subnetGroups.values(), ...st().snapshots.values()].find((v) => v.arn === arn);
    if (!x) throw awsError("DBInstanceNotFoundFault", `${arn} not found.`);
    return x;
  };
  return {
    client: RDS.RDSClient,
    sdk: RDS,
    reads: {
      // Which AZs offer an engine and class: not every zone has every class (Graviton is missing in some), and the
      // AZ names map to different zones per account (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html).
      DescribeOrderableDBInstanceOptions: (i) => ({
        OrderableDBInstanceOptions: [{
          Engine: i.Engine, DBInstanceClass: i.DBInstanceClass, EngineVersion: i.EngineVersion ?? "15.8",
          AvailabilityZones: fake.azs.filter((z) => !fake.zonesWithout(i.DBInstanceClass ?? "").includes(z)).map((Name) => ({ Name })),
        }],
      }),
      DescribeDBEngineVersions: (i) => ({ DBEngineVersions: i.DBParameterGroupFamily === "postgres15" ? ["15.4", "15.8", "15.10"].map((v) => ({ Engine: "postgres", EngineVersion: v })) : [] }),
      DescribeDBSubnetGroups: (i) => ({ DBSubnetGroups: [groupShape(group(i.DBSubnetGroupName))] }),
      DescribeDBInstances: (i) => ({ DBInstances: i.DBInstanceIdentifier ? [dbShape(get(i.DBInstanceIdentifier))] : [...st().instances.values()].map(dbShape) }),
      // Tags come with each snapshot (DBSnapshot.TagList, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
      DescribeDBSnapshots: (i) => {
        if (i.DBSnapshotIdentifier) return { DBSnapshots: [snapshotShape(snapshot(i.DBSnapshotIdentifier))] };
        // Up to MaxRecords (default 100) a page, then a Marker (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html).
        const { items, next } = page([...st().snapshots.values()].filter((x) => !i.DBInstanceIdentifier || x.instanceId === i.DBInstanceIdentifier), i.Marker, i.MaxRecords ?? fake.pageSize ?? 100);
        return { DBSnapshots: items.map(snapshotShape), ...(next ? { Marker: next } : {}) };
      },
      ListTagsForResource: (i) => {
        const x = [...st().instances.values(), ...st().subnetGroups.values(), ...st().snapshots.values()].find((v) => v.arn === i.ResourceName);
        return { TagList: toUpper(x?.tags ?? {}) };
      },
    },
    writes: {
      CreateDBSubnetGroup: (i) => {
        if (st().subnetGroups.has(i.DBSubnetGroupName!)) throw awsError("DBSubnetGroupAlreadyExistsFault", `DB Subnet Group ${i.DBSubnetGroupName} already exists`);
        // RDS sees EC2 with the same lag; it calls an unseen subnet invalid.
        const subs = (i.SubnetIds ?? []).map((s) => ec2Get(fake, fake.ec2.subnets, s, "InvalidSubnet"));
        if (new Set(subs.map((s) => s.az)).size < 2) throw awsError("DBSubnetGroupDoesNotCoverEnoughAZs", "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.");
        const g: DbSubnetGroup = { name: i.DBSubnetGroupName!, arn: fake.arn("rds", `subgrp:${i.DBSubnetGroupName}`), vpcId: subs[0]!.vpcId, subnets: i.SubnetIds!, tags: checkTags(TAG_RULES.rds, {}, fromUpper(i.Tags)) };
        st().subnetGroups.set(g.name, g);
        return { DBSubnetGroup: groupShape(g) };
      },
      // An instance stays in its subnet: dropping that subnet from the group is refused
      // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSubnetGroup.html, SubnetAlreadyInUse).
      ModifyDBSubnetGroup: (i) => {
        const g = group(i.DBSubnetGroupName);
        const inUse = [...st().instances.values()].filter((d) => d.subnetGroup === g.name).map((d) => fake.ec2.enis.get(d.eniId)?.subnetId);
        if (inUse.some((s) => s && !(i.SubnetIds ?? []).includes(s))) throw awsError("SubnetAlreadyInUse", "The DB subnet is already in use in the Availability Zone.");
        g.subnets = i.SubnetIds ?? [];
      },
      DeleteDBSubnetGroup: (i) => {
        group(i.DBSubnetGroupName);
        if ([...st().instances.values()].some((d) => d.subnetGroup === i.DBSubnetGroupName)) throw awsError("InvalidDBSubnetGroupStateFault", `Cannot delete the subnet group '${i.DBSubnetGroupName}' because at least one database instance is still using it.`);
        st().subnetGroups.delete(i.DBSubnetGroupName!);
      },
      CreateDBInstance: (i) => {
        // A zone without the class: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html (InsufficientDBInstanceCapacity).
        if (fake.zonesWithout(i.DBInstanceClass ?? "").includes(i.AvailabilityZone ?? "")) throw awsError("InsufficientDBInstanceCapacity", `Cannot create a database instance because there is no availability of ${i.DBInstanceClass} in ${i.AvailabilityZone}.`);
        if (st().instances.has(i.DBInstanceIdentifier!)) throw awsError("DBInstanceAlreadyExistsFault", "DB instance already exists");
        const g = group(i.DBSubnetGroupName);
        const securityGroups = i.VpcSecurityGroupIds ?? [];
        for (const sg of securityGroups) if (!fake.ec2.sgs.has(sg)) throw awsError("InvalidParameterValue", `security group ${sg} not found`);
        const subnet = g.subnets.map((s) => fake.ec2.subnets.get(s)).find((s) => s?.az === i.AvailabilityZone);
        if (!subnet) throw awsError("InvalidParameterCombination", `No subnet in ${i.AvailabilityZone} in the DB subnet group`);
        const version = i.EngineVersion ?? "";
        if (!/^15(\.\d+)?$/.test(version)) throw awsError("InvalidParameterCombination", `Cannot find version ${version} for postgres`);
        const arn = fake.arn("rds", `db:${i.DBInstanceIdentifier}`);
        const d: DbInstance = {
          id: i.DBInstanceIdentifier!, arn, status: "creating", nextStatus: "available", engine: i.Engine!, engineVersion: version.includes(".") ? version : "15.10",
          instanceClass: i.DBInstanceClass!, storageType: i.StorageType!, allocatedStorage: i.AllocatedStorage!, backup: i.BackupRetentionPeriod!, multiAz: i.MultiAZ!, public: i.PubliclyAccessible!,
          encrypted: i.StorageEncrypted!, az: i.AvailabilityZone!, subnetGroup: g.name, securityGroups, dbName: i.DBName!, username: i.MasterUsername!,
          password: i.MasterUserPassword!, tags: checkTags(TAG_RULES.rds, {}, fromUpper(i.Tags)), eniId: addEni(fake, arn, subnet.id, securityGroups, false), copyTagsToSnapshot: i.CopyTagsToSnapshot ?? false,
          deletionProtection: i.DeletionProtection ?? false,
          parameterGroup: i.DBParameterGroupName ?? `default.postgres${version.split(".")[0]}`, caCertificate: i.CACertificateIdentifier ?? "rds-ca-rsa2048-g1",
        };
        transition(d, "creating", "available", LATENCY.rdsCreate);
        st().instances.set(d.id, d);
        return { DBInstance: dbShape(d) };
      },
      ModifyDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        requireAvailable(d);
        // "You can't reduce the amount of storage for a DB instance after storage has been allocated."
        // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html)
        if (i.AllocatedStorage !== undefined && i.AllocatedStorage < d.allocatedStorage) throw awsError("InvalidParameterCombination", `Invalid storage size for engine name postgres and storage type ${d.storageType}: ${i.AllocatedStorage}`);
        // "When you increase the allocated storage, it must be by at least 10 percent ... you get an error", and
        // "You can't make further storage modifications for either six (6) hours or until storage optimization
        // has completed" (same page).
        const storageChange = (i.AllocatedStorage !== undefined && i.AllocatedStorage !== d.allocatedStorage) || (i.StorageType !== undefined && i.StorageType !== d.storageType);
        if (i.AllocatedStorage !== undefined && i.AllocatedStorage > d.allocatedStorage && i.AllocatedStorage < d.allocatedStorage * 1.1) {
          throw awsError("InvalidParameterCombination", `Invalid storage size: the allocated storage must be increased by at least 10 percent (from ${d.allocatedStorage})`);
        }
        if (storageChange && d.storageModifiedAt !== undefined && fake.clock.now() - d.storageModifiedAt < STORAGE_LOCK_MS) {
          throw awsError("InvalidParameterCombination", "You can't currently modify the storage of this DB instance because the previous storage change is being optimized.");
        }
        if (storageChange) d.storageModifiedAt = fake.clock.now();
        // No downgrade, not even of a minor version (hashicorp/terraform#22462: "Cannot upgrade postgres from 9.6.11 to 9.6.6").
        const parts = (v: string) => v.split(".").map(Number);
        const [want, have] = [parts(i.EngineVersion ?? d.engineVersion), parts(d.engineVersion)];
        const older = want.findIndex((n, k) => n !== have[k]);
        if (i.EngineVersion !== undefined && older >= 0 && older < have.length && want[older]! < have[older]!) throw awsError("InvalidParameterCombination", `Cannot upgrade postgres from ${d.engineVersion} to ${i.EngineVersion}`);
        for (const [param, field] of Object.entries(MODIFIABLE)) {
          const value = i[param as keyof typeof MODIFIABLE];
          if (value !== undefined) Object.assign(d, { [field]: value });
        }
        transition(d, "modifying", "available", LATENCY.rdsModify);
        return { DBInstance: dbShape(d) };
      },
      AddTagsToResource: (i) => { const x = taggable(i.ResourceName); Object.assign(x.tags, checkTags(TAG_RULES.rds, x.tags, fromUpper(i.Tags))); },
      RemoveTagsFromResource: (i) => { const x = taggable(i.ResourceName); for (const k of i.TagKeys ?? []) delete x.tags[k]; },
      DeleteDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        if (d.status === "deleting") throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is already being deleted.`);
        // "You can't delete a DB instance that has deletion protection enabled" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html);
        // the error as AWS words it: ansible-collections/community.aws#922, cloud-custodian/cloud-custodian#2983.
        if (d.deletionProtection) throw awsError("InvalidParameterCombination", "Cannot delete protected DB Instance, please disable deletion protection and try again.");
        if (!["available", "stopped", "failed", "storage-full"].includes(d.status)) throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is not in available state (${d.status}).`);
        if (!i.SkipFinalSnapshot) {
          if (!i.FinalDBSnapshotIdentifier) throw awsError("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
          snapshotOf(d, i.FinalDBSnapshotIdentifier, undefined);
        }
        transition(d, "deleting", "deleted", LATENCY.rdsDelete);
        return { DBInstance: dbShape(d) };
      },
      CreateDBSnapshot: (i) => {
        const d = get(i.DBInstanceIdentifier);
        // "The DB instance must be in the available state" (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html, InvalidDBInstanceState).
        requireAvailable(d);
        return { DBSnapshot: snapshotShape(snapshotOf(d, i.DBSnapshotIdentifier!, fromUpper(i.Tags))) };
      },
      DeleteDBSnapshot: (i) => {
        const x = snapshot(i.DBSnapshotIdentifier);
        if (snapshotShape(x).Status !== "available") throw awsError("InvalidDBSnapshotStateFault", `Cannot delete the snapshot ${x.id} while it is ${x.status}.`);
        st().snapshots.delete(x.id);
        return { DBSnapshot: { ...snapshotShape(x), Status: "deleted" } };
      },
      /**
       * A new instance from a snapshot: its data, engine version, master user and password, and its storage unless
       * a larger one is asked; class, network, backups and tags as the call says
       * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html).
       */
      RestoreDBInstanceFromDBSnapshot: (i) => {
        const snap = snapshot(i.DBSnapshotIdentifier);
        if (snapshotShape(snap).Status !== "available") throw awsError("InvalidDBSnapshotStateFault", `Snapshot ${snap.id} is not available.`);
        if (st().instances.has(i.DBInstanceIdentifier!)) throw awsError("DBInstanceAlreadyExistsFault", "DB instance already exists");
        if (i.AllocatedStorage !== undefined && i.AllocatedStorage < snap.allocatedStorage) throw awsError("InvalidParameterValue", `The allocated storage ${i.AllocatedStorage} is smaller than the snapshot's ${snap.allocatedStorage}.`);
        const g = group(i.DBSubnetGroupName);
        const securityGroups = i.VpcSecurityGroupIds ?? [];
        const subnet = g.subnets.map((s) => fake.ec2.subnets.get(s)).find((s) => s?.az === i.AvailabilityZone) ?? fake.ec2.subnets.get(g.subnets[0]!);
        if (!subnet) throw awsError("InvalidParameterCombination", "No subnet in the DB subnet group");
        const arn = fake.arn("rds", `db:${i.DBInstanceIdentifier}`);
        const d: DbInstance = {
          id: i.DBInstanceIdentifier!, arn, status: "creating", nextStatus: "available", engine: snap.engine, engineVersion: snap.engineVersion,
          instanceClass: i.DBInstanceClass!, storageType: i.StorageType ?? snap.storageType, allocatedStorage: i.AllocatedStorage ?? snap.allocatedStorage, backup: i.BackupRetentionPeriod ?? 1,
          multiAz: i.MultiAZ ?? false, public: i.PubliclyAccessible ?? false, encrypted: snap.encrypted, az: subnet.az, subnetGroup: g.name, securityGroups,
          dbName: snap.dbName, username: snap.username, password: snap.password, tags: fromUpper(i.Tags), eniId: addEni(fake, arn, subnet.id, securityGroups, false),
          copyTagsToSnapshot: i.CopyTagsToSnapshot ?? false, restoredFrom: snap.id, deletionProtection: i.DeletionProtection ?? false,
          // As at create: the engine's default group, the region's default CA (API_RestoreDBInstanceFromDBSnapshot).
          parameterGroup: i.DBParameterGroupName ?? `default.postgres${snap.engineVersion.split(".")[0]}`, caCertificate: i.CACertificateIdentifier ?? "rds-ca-rsa2048-g1",
        };
        transition(d, "creating", "available", LATENCY.rdsCreate);
        st().instances.set(d.id, d);
        return { DBInstance: dbShape(d) };
      },
      StopDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        requireAvailable(d);
        transition(d, "stopping", "stopped", LATENCY.rdsStop);
        return { DBInstance: dbShape(d) };
      },
      StartDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        if (d.status !== "stopped") throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is not stopped (${d.status}).`);
        transition(d, "starting", "available", LATENCY.rdsStart);
        return { DBInstance: dbShape(d) };
      },
    },
  };
}
