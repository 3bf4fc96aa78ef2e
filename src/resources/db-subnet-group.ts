import { CreateDBSubnetGroupCommand, DeleteDBSubnetGroupCommand, DescribeDBSubnetGroupsCommand, ListTagsForResourceCommand, ModifyDBSubnetGroupCommand } from "@aws-sdk/client-rds";
import { absentIfNotFound, ignoreNotFound } from "../aws/ec2.js";
import type { Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, fromKeyValueTags, keyValueTags } from "./owned.js";
import { subnetKey } from "./subnet.js";

const KEY = "db-subnet-group";
const PRIVATE_SUBNETS = [subnetKey("private", 0), subnetKey("private", 1)];
// RDS demands two AZs in a subnet group even for a Single-AZ instance (DBSubnetGroupDoesNotCoverEnoughAZs).
const desired = (_spec: Target, deps: Deps) => ({ subnetIds: PRIVATE_SUBNETS.map((k) => deps(k).subnetId!).sort() });

export const dbSubnetGroup: Resource<ReturnType<typeof desired>> = {
  key: KEY,
  kind: "rds:db-subnet-group",
  dependsOn: PRIVATE_SUBNETS,
  title: () => "DB subnet group (both private subnets)",
  desired,
  async observe(ctx, prior) {
    const name = ctx.names.dbSubnetGroup;
    const g = (await absentIfNotFound(() => ctx.aws.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }))))?.DBSubnetGroups?.[0];
    if (!g) return undefined;
    await checkOwnedWhenAdopting(ctx, prior, `DB subnet group ${name}`, name, async () =>
      fromKeyValueTags((await ctx.aws.rds.send(new ListTagsForResourceCommand({ ResourceName: g.DBSubnetGroupArn }))).TagList));
    return { id: name, attrs: { subnetIds: (g.Subnets ?? []).map((s) => s.SubnetIdentifier!).sort() }, outputs: { dbSubnetGroupName: name } };
  },
  async create(ctx, want) {
    const name = ctx.names.dbSubnetGroup;
    // RDS can call subnets created a moment ago "InvalidSubnet" until EC2's view reaches it.
    await ctx.aws.rds.sendWith({ retryOn: ["InvalidSubnet"], deadlineMs: 60_000 })(new CreateDBSubnetGroupCommand({
      DBSubnetGroupName: name, DBSubnetGroupDescription: `${ctx.spec.appName} database subnets`, SubnetIds: want.subnetIds, Tags: keyValueTags(stackTags(ctx.spec, KEY)),
    }));
    return { id: name, outputs: { dbSubnetGroupName: name } };
  },
  async update(ctx, want) {
    await ctx.aws.rds.send(new ModifyDBSubnetGroupCommand({ DBSubnetGroupName: ctx.names.dbSubnetGroup, SubnetIds: want.subnetIds }));
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: live.id })));
  },
};
