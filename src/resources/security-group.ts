import {
  AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand, type IpPermission,
} from "@aws-sdk/client-ec2";
import { findEc2, ignoreNotFound, managedTags, retag, sendNaming, tagSpecifications } from "../aws/ec2.js";
import { canonical } from "../engine/plan.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";

/** One ingress rule, from a CIDR or from another of the stack's security groups (by resource key). */
export interface IngressRule { port: (spec: Target) => number; fromCidr?: string; fromGroup?: string }
interface Rule { protocol: string; fromPort: number; toPort: number; source: string }


const toPermission = (r: Rule): IpPermission => ({
  IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort,
  ...(r.source.startsWith("sg-") ? { UserIdGroupPairs: [{ GroupId: r.source }] } : { IpRanges: [{ CidrIp: r.source }] }),
});

function rulesOf(perms: readonly IpPermission[] | undefined): Rule[] {
  const rules: Rule[] = [];
  for (const p of perms ?? []) {
    const base = { protocol: p.IpProtocol ?? "-1", fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) rules.push({ ...base, source: r.CidrIp! });
    for (const r of p.Ipv6Ranges ?? []) rules.push({ ...base, source: r.CidrIpv6! });
    for (const g of p.UserIdGroupPairs ?? []) rules.push({ ...base, source: g.GroupId! });
  }
  return sortRules(rules);
}
const sortRules = (rules: Rule[]) => rules.sort((a, b) => canonical(a).localeCompare(canonical(b)));

/** A security group whose ingress is exactly `ingress`: rules added behind our back are revoked on `up`. */
export function securityGroup(key: string, purpose: string, ingress: IngressRule[]): Resource {
  const desired = (spec: Target, deps: Deps) => ({
    vpcId: deps("vpc").vpcId!,
    name: `${spec.appName}-${key}`,
    description: `${spec.appName} ${purpose}`,
    ingress: sortRules(ingress.map((r) => ({ protocol: "tcp", fromPort: r.port(spec), toPort: r.port(spec), source: r.fromCidr ?? deps(r.fromGroup!).groupId! }))),
    tags: stackTags(spec, key),
  });
  type Want = ReturnType<typeof desired>;
  const setIngress = async (ctx: Ctx, id: string, want: Rule[], have: Rule[]) => {
    const send = sendNaming(ctx);
    const key = (r: Rule) => canonical(r);
    const extra = have.filter((h) => !want.some((w) => key(w) === key(h)));
    const missing = want.filter((w) => !have.some((h) => key(w) === key(h)));
    if (extra.length) await send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: extra.map(toPermission) }));
    if (missing.length) await send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: missing.map(toPermission) }));
  };
  const resource: Resource<Want> = {
    key,
    kind: "ec2:security-group",
    dependsOn: ["vpc", ...ingress.flatMap((r) => (r.fromGroup ? [r.fromGroup] : []))],
    // EC2 cannot rename a group or change its description.
    replaceOn: ["vpcId", "name", "description"],
    title: () => `security group: ${purpose}`,
    desired,
    async observe(ctx, prior) {
      const ec2 = ctx.aws.ec2;
      const g = await findEc2(ctx, "security-groups", key, prior, async (q) => (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: q.ids, Filters: q.filters }))).SecurityGroups, (x) => x.GroupId);
      if (!g?.GroupId) return undefined;
      return {
        id: g.GroupId,
        attrs: { vpcId: g.VpcId, name: g.GroupName, description: g.Description, ingress: rulesOf(g.IpPermissions), tags: managedTags(ctx.spec, key, g.Tags) },
        outputs: { groupId: g.GroupId },
      };
    },
    async create(ctx, want) {
      const out = await sendNaming(ctx)(new CreateSecurityGroupCommand({
        VpcId: want.vpcId, GroupName: want.name, Description: want.description, TagSpecifications: tagSpecifications(ctx.spec, key, "security-group"),
      }));
      const id = out.GroupId!;
      await setIngress(ctx, id, want.ingress, []);
      return { id, outputs: { groupId: id } };
    },
    async update(ctx, want, live, changed) {
      if (changed.includes("ingress")) await setIngress(ctx, live.id, want.ingress, live.attrs.ingress as Rule[]);
      if (changed.includes("tags")) await retag(ctx, live.id, key);
    },
    async delete(ctx, live) {
      await ignoreNotFound(() => ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: live.id })));
    },
  };
  return resource;
}
