import { CreateDBSubnetGroupCommand, DeleteDBSubnetGroupCommand, DescribeDBSubnetGroupsCommand, ListTagsForResourceCommand, ModifyDBSubnetGroupCommand, type Subnet } from "@aws-sdk/client-rds";
import { findDbInstance } from "../aws/rds.js";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, tagList, tagMap, type Tags } from "../aws/tags.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { privateSubnets } from "./subnet.js";
import { tagged } from "./tagging.js";

const KEY = "db-subnet-group";

/**
 * The group's subnets and ARN. While the stack is observed, from the DB instance's description when the instance
 * uses it (RDS describes the group with it, subnets included: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html),
 * its ARN built as RDS documents (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.ARN.Constructing.html):
 * then only its tags are read. Otherwise by its own describe.
 */
async function describeGroup(ctx: Ctx, name: string): Promise<{ subnets?: Subnet[]; arn: string } | undefined> {
  const db = ctx.reads.sharing ? await findDbInstance(ctx) : undefined;
  if (db?.DBSubnetGroup?.DBSubnetGroupName === name && db.DBInstanceArn) return { subnets: db.DBSubnetGroup.Subnets, arn: db.DBInstanceArn.replace(/:db:[^:]+$/, `:subgrp:${name}`) };
  const g = (await absentIfNotFound(() => ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }))))?.DBSubnetGroups?.[0];
  return g?.DBSubnetGroupArn ? { subnets: g.Subnets, arn: g.DBSubnetGroupArn } : undefined;
}
// RDS demands two AZs in a subnet group even for a Single-AZ instance (DBSubnetGroupDoesNotCoverEnoughAZs).
const desired = (_spec: DesiredStack, ref: RefFn) => ({ subnetIds: privateSubnets.map((s) => ref(s).subnetId).sort() });
type Attrs = { subnetIds: string[]; tags: Tags };

export const dbSubnetGroup = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, { dbSubnetGroupName: string; dbSubnetGroupArn: string }>({
  key: KEY,
  kind: "rds:db-subnet-group",
  client: "rds",
  tagging: "rds",
  actions: { observe: ["rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"], create: ["rds:CreateDBSubnetGroup"], update: ["rds:ModifyDBSubnetGroup"], delete: ["rds:DeleteDBSubnetGroup"] },
  tagTarget: (live) => live.outputs.dbSubnetGroupArn,
  ignored: { "description": "a label" },
  inUse: hasCode("InvalidDBSubnetGroupState"),
  // A retried CreateDBSubnetGroup whose first answer was lost.
  alreadyExists: hasCode("DBSubnetGroupAlreadyExists"),
  title: () => "DB subnet group (both private subnets)",
  desired,
  async observe(ctx) {
    const name = ctx.names.dbSubnetGroup;
    const g = await describeGroup(ctx, name);
    if (!g) return undefined;
    const tags = tagMap((await ctx.aws.rds.send(new ListTagsForResourceCommand({ ResourceName: g.arn }))).TagList);
    assertOurs("DB subnet group", name, tags, ctx.spec.appName, g.arn);
    return {
      id: name,
      state: "ready",
      attrs: { subnetIds: (g.subnets ?? []).map((s) => s.SubnetIdentifier!).sort(), tags: tags },
      outputs: { dbSubnetGroupName: name, dbSubnetGroupArn: g.arn },
    };
  },
  async create(ctx, want) {
    const name = ctx.names.dbSubnetGroup;
    // RDS can call subnets created a moment ago "InvalidSubnet" until EC2's view reaches it.
    await ctx.aws.rds.sendWith({ retryOn: ["InvalidSubnet"], deadlineMs: 60_000 })(new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: name, DBSubnetGroupDescription: `${ctx.spec.appName} database subnets`, SubnetIds: want.subnetIds, Tags: tagList(want.tags),
    }));
    return { id: name, outputs: { dbSubnetGroupName: name } };
  },
  // The subnets are the only field an update gets (tags are tagged()'s).
  async update(ctx, want, live) {
    await ctx.aws.rds.send(new ModifyDBSubnetGroupCommand({ DBSubnetGroupName: live.id, SubnetIds: want.subnetIds }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: live.id })));
  },
});
