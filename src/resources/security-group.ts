import {
  AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand, type IpPermission, type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { findEc2, sendNaming, tagSpecifications, withDuplicates } from "../aws/ec2.js";
import { hasCode, ignoreNotFound } from "../aws/errors.js";
import { tagMap, type Tags } from "../aws/tags.js";
import { canonical } from "../engine/plan.js";
import type { Referable, RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { vpc } from "./vpc.js";
import { tagged } from "./tagging.js";

type GroupOut = { groupId: string };
/** One ingress rule, from a CIDR or from another of the stack's security groups. */
export interface IngressRule { port: (spec: DesiredStack) => number; fromCidr?: string; fromGroup?: Referable<GroupOut>; when?: (spec: DesiredStack) => boolean }

/**
 * One source of one rule, as EC2 has four kinds (IPv4 and IPv6 ranges, security groups, prefix lists): every
 * kind is read, so a rule added behind our back is seen whatever its kind, and revoked in its own kind.
 */
type Source = { cidr: string } | { cidrIpv6: string } | { group: string } | { prefixList: string };
export type Rule = { protocol: string; fromPort: number; toPort: number } & Source;

const toPermission = (r: Rule): IpPermission => ({
  IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort,
  ...("cidr" in r ? { IpRanges: [{ CidrIp: r.cidr }] } : {}),
  ...("cidrIpv6" in r ? { Ipv6Ranges: [{ CidrIpv6: r.cidrIpv6 }] } : {}),
  ...("group" in r ? { UserIdGroupPairs: [{ GroupId: r.group }] } : {}),
  ...("prefixList" in r ? { PrefixListIds: [{ PrefixListId: r.prefixList }] } : {}),
});

function rulesOf(perms: readonly IpPermission[] | undefined): Rule[] {
  return sortRules((perms ?? []).flatMap((p) => {
    const base = { protocol: p.IpProtocol ?? "-1", fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    return [
      ...(p.IpRanges ?? []).map((r) => ({ ...base, cidr: r.CidrIp! })),
      ...(p.Ipv6Ranges ?? []).map((r) => ({ ...base, cidrIpv6: r.CidrIpv6! })),
      ...(p.UserIdGroupPairs ?? []).map((g) => ({ ...base, group: g.GroupId! })),
      ...(p.PrefixListIds ?? []).map((l) => ({ ...base, prefixList: l.PrefixListId! })),
    ];
  }));
}
const sortRules = (rules: Rule[]) => rules.sort((a, b) => canonical(a).localeCompare(canonical(b)));

type Attrs = { vpcId?: string; name?: string; description?: string; ingress: Rule[]; egress: Rule[]; tags: Tags };

/**
 * What every group lets out: all traffic anywhere, the rule EC2 gives a new group ("allows all outbound traffic":
 * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html). The tasks need it to pull images
 * from ECR, ship logs and reach the database (no NAT, no VPC endpoints); a rule removed by hand is put back.
 */
const ALL_OUT: Rule[] = [{ protocol: "-1", fromPort: -1, toPort: -1, cidr: "0.0.0.0/0" }];

type Permissions = { GroupId: string; IpPermissions: IpPermission[] };
/** Ingress and egress take the same rules, each direction its own pair of calls. */
const commands = {
  ingress: {
    authorize: (ctx: Ctx, i: Permissions) => sendNaming(ctx)(new AuthorizeSecurityGroupIngressCommand(i)),
    revoke: (ctx: Ctx, i: Permissions) => sendNaming(ctx)(new RevokeSecurityGroupIngressCommand(i)),
  },
  egress: {
    authorize: (ctx: Ctx, i: Permissions) => sendNaming(ctx)(new AuthorizeSecurityGroupEgressCommand(i)),
    revoke: (ctx: Ctx, i: Permissions) => sendNaming(ctx)(new RevokeSecurityGroupEgressCommand(i)),
  },
};

/** A security group whose ingress is exactly `ingress`: rules added behind our back are revoked on `up`. */
export function securityGroup(key: string, purpose: string, ingress: IngressRule[]) {
  const desired = (spec: DesiredStack, ref: RefFn) => ({
    vpcId: ref(vpc).vpcId,
    name: `${spec.appName}-${key}`,
    description: `${spec.appName} ${purpose}`,
    ingress: sortRules(ingress.filter((r) => r.when?.(spec) ?? true).map((r): Rule => {
      const port = { protocol: "tcp", fromPort: r.port(spec), toPort: r.port(spec) };
      return r.fromGroup ? { ...port, group: ref(r.fromGroup).groupId } : { ...port, cidr: r.fromCidr! };
    })),
    egress: ALL_OUT,
  });
  const setRules = async (ctx: Ctx, direction: keyof typeof commands, id: string, want: Rule[], have: Rule[]) => {
    const extra = have.filter((h) => !want.some((w) => canonical(w) === canonical(h)));
    const missing = want.filter((w) => !have.some((h) => canonical(w) === canonical(h)));
    const { authorize, revoke } = commands[direction];
    if (extra.length) await revoke(ctx, { GroupId: id, IpPermissions: extra.map(toPermission) });
    if (missing.length) await authorize(ctx, { GroupId: id, IpPermissions: missing.map(toPermission) });
  };
  const resource = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, GroupOut>({
    key,
    kind: "ec2:security-group",
    client: "ec2",
    tagging: "ec2",
    actions: { observe: ["ec2:DescribeSecurityGroups"], create: ["ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress"], update: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress"], delete: ["ec2:DeleteSecurityGroup"] },
    ignored: { "rule descriptions": "labels: they let no traffic in or out" },
    // EC2 cannot rename a group or change its description.
    replaceOn: ["vpcId", "name", "description"],
    inUse: hasCode("DependencyViolation"),
    // Retried CreateSecurityGroup / AuthorizeSecurityGroupIngress calls whose first answer was lost.
    alreadyExists: hasCode("InvalidGroup.Duplicate", "InvalidPermission.Duplicate"),
    // The same calls retried during a repair: the rule is already added, or already revoked.
    alreadyDone: hasCode("InvalidPermission.Duplicate", "InvalidPermission.NotFound"),
    title: () => `security group: ${purpose}`,
    desired,
    async observe(ctx, prior) {
      const ec2 = ctx.aws.ec2;
      const found = await findEc2(ctx, "security group", key, prior, async (q) => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: q.ids, Filters: q.filters }))).SecurityGroups, (x) => x.GroupId);
      if (!found) return undefined;
      return withDuplicates(found, (g: SecurityGroup) => ({
        id: g.GroupId!,
        state: "ready" as const,
        attrs: { vpcId: g.VpcId, name: g.GroupName, description: g.Description, ingress: rulesOf(g.IpPermissions), egress: rulesOf(g.IpPermissionsEgress), tags: tagMap(g.Tags) },
        outputs: { groupId: g.GroupId! },
      }));
    },
    async create(ctx, want) {
      const out = await sendNaming(ctx)(new CreateSecurityGroupCommand({
        VpcId: want.vpcId, GroupName: want.name, Description: want.description, TagSpecifications: tagSpecifications(ctx, key, "security-group"),
      }));
      const id = out.GroupId!;
      await setRules(ctx, "ingress", id, want.ingress, []);
      return { id, outputs: { groupId: id } };
    },
    async update(ctx, want, live, changed) {
      if (changed.includes("ingress")) await setRules(ctx, "ingress", live.id, want.ingress, live.attrs.ingress);
      if (changed.includes("egress")) await setRules(ctx, "egress", live.id, want.egress, live.attrs.egress);
    },
    async delete(ctx, live) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: live.id })));
    },
  });
  return resource;
}

// The description (part of the group's identity: EC2 cannot change it) stays as first written; 443 opens with `https`.
export const albGroup = securityGroup("sg-alb", "ALB: HTTP 80 from anywhere", [
  { port: () => 80, fromCidr: "0.0.0.0/0" },
  { port: () => 443, fromCidr: "0.0.0.0/0", when: (spec) => !!spec.https },
]);
export const ecsGroup = securityGroup("sg-ecs", "ECS tasks: container port from the ALB only", [{ port: (s) => s.app.containerPort, fromGroup: albGroup }]);
export const rdsGroup = securityGroup("sg-rds", "RDS: PostgreSQL 5432 from the ECS tasks only", [{ port: () => 5432, fromGroup: ecsGroup }]);
