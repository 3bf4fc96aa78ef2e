/**
 * EC2 (VPC side): subnet CIDR inside its VPC and not overlapping; a referenced security group must exist;
 * duplicate rules and group names refused; DependencyViolation when deleting a VPC with subnets / IGW / SGs /
 * route tables, a subnet or SG with network interfaces, an SG referenced by another, an IGW detach while public
 * IPs are mapped; tags returned by describes; optional eventual consistency (`*.NotFound` for a while after a
 * create). Default SGs and main route tables are not modelled.
 */
import * as EC2 from "@aws-sdk/client-ec2";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, TAG_RULES, toUpper, type Service, type Tags } from "./common.js";

interface Ec2Item { id: string; tags: Tags; createdAt: number }
export interface Vpc extends Ec2Item { cidr: string; dnsSupport: boolean; dnsHostnames: boolean }
export interface Igw extends Ec2Item { vpcId?: string }
export interface Subnet extends Ec2Item { vpcId: string; cidr: string; az: string; mapPublicIp: boolean }
export interface Route { dest: string; gatewayId: string }
/** `associations`: subnet id → association id. */
export interface RouteTable extends Ec2Item { vpcId: string; routes: Route[]; associations: Map<string, string> }
/** `source`: an IPv4 or IPv6 CIDR, a security group id or a prefix list id, of the `kind` EC2 keeps it as. */
export interface Rule { protocol: string; from: number; to: number; kind: "IpRanges" | "Ipv6Ranges" | "UserIdGroupPairs" | "PrefixListIds"; source: string }
/** `rules` are its ingress rules, `egress` its outbound ones. */
export interface SecurityGroup extends Ec2Item { name: string; description: string; vpcId: string; rules: Rule[]; egress: Rule[] }
/**
 * What a new group allows out: everything, to 0.0.0.0/0 ("When you create a security group, it has an outbound rule
 * that allows all outbound traffic": https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
 */
export const DEFAULT_EGRESS: Rule = { protocol: "-1", from: -1, to: -1, kind: "IpRanges", source: "0.0.0.0/0" };
/** A network interface some other service placed in a subnet (ALB, RDS); `releaseAt` once its owner is gone. */
export interface Eni { id: string; subnetId: string; groups: string[]; publicIp: boolean; owner: string; releaseAt?: number }
export interface Ec2State { vpcs: Map<string, Vpc>; igws: Map<string, Igw>; subnets: Map<string, Subnet>; routeTables: Map<string, RouteTable>; sgs: Map<string, SecurityGroup>; enis: Map<string, Eni> }

export const emptyEc2 = (): Ec2State => ({ vpcs: new Map(), igws: new Map(), subnets: new Map(), routeTables: new Map(), sgs: new Map(), enis: new Map() });

// ---------------------------------------------------------------- CIDR arithmetic, the fake's own
/**
 * IPv4 CIDRs as EC2 takes them: a VPC or subnet is /16 to /28, with no host bits set; a subnet's block lies
 * inside its VPC's and overlaps no other subnet of that VPC (InvalidSubnet.Range / InvalidSubnet.Conflict).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
 */
interface Block { first: number; size: number }
function block(text: string | undefined): Block | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text ?? "");
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 16 || prefix > 28) return undefined;
  const first = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return first % size === 0 ? { first, size } : undefined;
}
const inside = (outer: Block, inner: Block) => inner.first >= outer.first && inner.first + inner.size <= outer.first + outer.size;
const overlap = (a: Block, b: Block) => a.first < b.first + b.size && b.first < a.first + a.size;

// ---------------------------------------------------------------- lookups other services share
/** An EC2 lookup by id that honours eventual consistency right after a create. */
export function ec2Get<T extends Ec2Item>(fake: FakeAws, map: Map<string, T>, id: string | undefined, code: string): T {
  const v = map.get(id ?? "");
  const young = v && fake.clock.now() - v.createdAt < 5_000;
  if (!v || (young && fake.eventualConsistency > 0 && fake.rng() < fake.eventualConsistency)) throw awsError(code, `The ID '${id}' does not exist`);
  return v;
}

/** A network interface another service places in a subnet; it blocks the subnet's and groups' deletion. */
export function addEni(fake: FakeAws, owner: string, subnetId: string, groups: string[], publicIp: boolean): string {
  const id = fake.id("eni");
  fake.ec2.enis.set(id, { id, subnetId, groups, publicIp, owner });
  return id;
}

/** The owner is gone (or left `subnetId`); its interfaces (there) linger `after` ms more, as an ALB's do. */
export function releaseEnis(fake: FakeAws, owner: string, after: number, subnetId?: string): void {
  for (const e of fake.ec2.enis.values()) if (e.owner === owner && e.releaseAt === undefined && (subnetId === undefined || e.subnetId === subnetId)) e.releaseAt = fake.clock.now() + after;
}

type Filter = EC2.Filter;
function matches(item: Ec2Item & { vpcId?: string; name?: string }, filters: Filter[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const name = f.Name!;
    let value: string | undefined;
    if (name.startsWith("tag:")) value = item.tags[name.slice(4)];
    else if (name === "vpc-id") value = item.vpcId;
    else if (name === "state") value = "available";
    else if (name === "zone-type") value = "availability-zone";
    else if (name === "group-name") value = item.name;
    else throw new Error(`fake: filter ${name} not modelled`);
    return value !== undefined && (f.Values ?? []).includes(value);
  });
}

export function ec2Service(fake: FakeAws): Service<typeof EC2> {
  const st = () => fake.ec2;
  const get = <T extends Ec2Item>(map: Map<string, T>, id: string | undefined, code: string) => ec2Get(fake, map, id, code);
  const describe = <T extends Ec2Item & { vpcId?: string; name?: string }, S>(map: Map<string, T>, ids: string[] | undefined, filters: Filter[] | undefined, code: string, shape: (v: T) => S): S[] =>
    ids?.length ? ids.map((id) => shape(get(map, id, code))) : [...map.values()].filter((v) => matches(v, filters)).map(shape);
  const tagsOf = (specs: EC2.TagSpecification[] | undefined): Tags => checkTags(TAG_RULES.ec2, {}, fromUpper(specs?.[0]?.Tags));
  const enisWhere = (pred: (e: Eni) => boolean) => [...st().enis.values()].filter(pred);

  const vpcShape = (v: Vpc) => ({ VpcId: v.id, CidrBlock: v.cidr, State: "available", Tags: toUpper(v.tags) });
  const igwShape = (g: Igw) => ({ InternetGatewayId: g.id, Attachments: g.vpcId ? [{ VpcId: g.vpcId, State: "available" }] : [], Tags: toUpper(g.tags) });
  const subnetShape = (s: Subnet) => ({ SubnetId: s.id, VpcId: s.vpcId, CidrBlock: s.cidr, AvailabilityZone: s.az, MapPublicIpOnLaunch: s.mapPublicIp, State: "available", Tags: toUpper(s.tags) });
  const rtShape = (t: RouteTable) => ({
    RouteTableId: t.id, VpcId: t.vpcId, Tags: toUpper(t.tags),
    Routes: [{ DestinationCidrBlock: st().vpcs.get(t.vpcId)?.cidr, GatewayId: "local" }, ...t.routes.map((r) => ({ DestinationCidrBlock: r.dest, GatewayId: r.gatewayId }))],
    Associations: [...t.associations].map(([subnetId, assoc]) => ({ SubnetId: subnetId, RouteTableAssociationId: assoc, RouteTableId: t.id })),
  });
  const sgShape = (g: SecurityGroup) => ({
    GroupId: g.id, GroupName: g.name, Description: g.description, VpcId: g.vpcId, Tags: toUpper(g.tags),
    IpPermissions: g.rules.map(permissionShape),
    IpPermissionsEgress: g.egress.map(permissionShape),
  });
  // All traffic (protocol -1) has no ports: DescribeSecurityGroups leaves them out (API_IpPermission).
  const permissionShape = (r: Rule) => ({ IpProtocol: r.protocol, ...(r.protocol === "-1" ? {} : { FromPort: r.from, ToPort: r.to }), [r.kind]: [sourceShape(r)] });
  // The four kinds of source an IpPermission holds (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpPermission.html).
  const sourceShape = (r: Rule) => (r.kind === "IpRanges" ? { CidrIp: r.source } : r.kind === "Ipv6Ranges" ? { CidrIpv6: r.source } : r.kind === "UserIdGroupPairs" ? { GroupId: r.source } : { PrefixListId: r.source });
  const rulesFrom = (perms: EC2.IpPermission[] | undefined): Rule[] => (perms ?? []).flatMap((p) => [
    ...(p.IpRanges ?? []).map((r) => ({ ...portsOf(p), kind: "IpRanges" as const, source: r.CidrIp! })),
    ...(p.Ipv6Ranges ?? []).map((r) => ({ ...portsOf(p), kind: "Ipv6Ranges" as const, source: r.CidrIpv6! })),
    ...(p.UserIdGroupPairs ?? []).map((g) => ({ ...portsOf(p), kind: "UserIdGroupPairs" as const, source: g.GroupId! })),
    ...(p.PrefixListIds ?? []).map((l) => ({ ...portsOf(p), kind: "PrefixListIds" as const, source: l.PrefixListId! })),
  ]);
  // Ports sent with protocol -1 are ignored: every port is meant.
  const portsOf = (p: EC2.IpPermission) => ({ protocol: p.IpProtocol!, from: p.IpProtocol === "-1" ? -1 : p.FromPort!, to: p.IpProtocol === "-1" ? -1 : p.ToPort! });
  const tagged = (ids: string[] | undefined) => (ids ?? []).map((id) => {
    const { vpcs, igws, subnets, routeTables, sgs } = st();
    const item = vpcs.get(id) ?? igws.get(id) ?? subnets.get(id) ?? routeTables.get(id) ?? sgs.get(id);
    if (!item) throw awsError("InvalidID", `The ID '${id}' is not valid`);
    return item;
  });
  const sameRule = (a: Rule, b: Rule) => a.protocol === b.protocol && a.from === b.from && a.to === b.to && a.kind === b.kind && a.source === b.source;
  const authorize = (i: { GroupId?: string; IpPermissions?: EC2.IpPermission[] }, direction: "rules" | "egress") => {
    const g = get(st().sgs, i.GroupId, "InvalidGroup.NotFound");
    const rules = rulesFrom(i.IpPermissions);
    for (const r of rules) {
      if (r.kind === "UserIdGroupPairs" && !st().sgs.has(r.source)) throw awsError("InvalidGroup.NotFound", `The security group '${r.source}' does not exist`);
      if (g[direction].some((x) => sameRule(x, r))) throw awsError("InvalidPermission.Duplicate", "the specified rule already exists");
    }
    g[direction].push(...rules);
  };
  const revoke = (i: { GroupId?: string; IpPermissions?: EC2.IpPermission[] }, direction: "rules" | "egress") => {
    const g = get(st().sgs, i.GroupId, "InvalidGroup.NotFound");
    const rules = rulesFrom(i.IpPermissions);
    // A rule named in another kind than it has (an IPv6 range sent as CidrIp) is not found: the error that
    // fails every run of a tool that reads ::/0 back as IPv4 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
    const missing = rules.find((r) => !g[direction].some((x) => sameRule(x, r)));
    if (missing) throw awsError("InvalidPermission.NotFound", `The specified rule does not exist in this security group (${missing.kind} ${missing.source}).`);
    g[direction] = g[direction].filter((x) => !rules.some((r) => sameRule(x, r)));
  };
  const azs = fake.azs;
  const now = () => fake.clock.now();

  return {
    client: EC2.EC2Client,
    sdk: EC2,
    reads: {
      DescribeAvailabilityZones: () => ({ AvailabilityZones: azs.map((z) => ({ ZoneName: z, State: "available", ZoneType: "availability-zone" })) }),
      DescribeVpcs: (i) => ({ Vpcs: describe(st().vpcs, i.VpcIds, i.Filters, "InvalidVpcID.NotFound", vpcShape) }),
      DescribeVpcAttribute: (i) => {
        const v = get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        return i.Attribute === "enableDnsSupport" ? { VpcId: v.id, EnableDnsSupport: { Value: v.dnsSupport } } : { VpcId: v.id, EnableDnsHostnames: { Value: v.dnsHostnames } };
      },
      DescribeInternetGateways: (i) => ({ InternetGateways: describe(st().igws, i.InternetGatewayIds, i.Filters, "InvalidInternetGatewayID.NotFound", igwShape) }),
      DescribeSubnets: (i) => ({ Subnets: describe(st().subnets, i.SubnetIds, i.Filters, "InvalidSubnetID.NotFound", subnetShape) }),
      DescribeRouteTables: (i) => ({ RouteTables: describe(st().routeTables, i.RouteTableIds, i.Filters, "InvalidRouteTableID.NotFound", rtShape) }),
      DescribeSecurityGroups: (i) => ({ SecurityGroups: describe(st().sgs, i.GroupIds, i.Filters, "InvalidGroup.NotFound", sgShape) }),
      // Network interfaces other services placed (requester-managed: an ALB's, an RDS instance's), filtered by
      // vpc-id, subnet-id or group-id; the Description names the owner as AWS writes it ("ELB app/<name>/<id>",
      // "RDSNetworkInterface"): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html,
      // filters: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html
      DescribeNetworkInterfaces: (i) => {
        const fields = (e: Eni): Record<string, string[]> => ({ "vpc-id": [st().subnets.get(e.subnetId)?.vpcId ?? ""], "subnet-id": [e.subnetId], "group-id": e.groups });
        const wanted = (e: Eni) => (i.Filters ?? []).every((f) => {
          const have = fields(e)[f.Name!];
          if (!have) throw new Error(`fake: filter ${f.Name} not modelled`);
          return have.some((v) => f.Values?.includes(v));
        });
        const description = (owner: string) => (owner.includes(":loadbalancer/") ? `ELB ${owner.split(":loadbalancer/")[1]}` : owner.includes(":rds:") ? "RDSNetworkInterface" : owner);
        return {
          NetworkInterfaces: enisWhere(wanted).map((e) => ({
            NetworkInterfaceId: e.id, SubnetId: e.subnetId, VpcId: st().subnets.get(e.subnetId)?.vpcId, Groups: e.groups.map((GroupId) => ({ GroupId })), Description: description(e.owner),
          })),
        };
      },
    },
    writes: {
      CreateVpc: (i) => {
        if (!block(i.CidrBlock)) throw awsError("InvalidVpc.Range", `The CIDR '${i.CidrBlock}' is invalid.`);
        const v: Vpc = { id: fake.id("vpc"), cidr: i.CidrBlock!, tags: tagsOf(i.TagSpecifications), dnsSupport: true, dnsHostnames: false, createdAt: now() };
        st().vpcs.set(v.id, v);
        return { Vpc: vpcShape(v) };
      },
      ModifyVpcAttribute: (i) => {
        const v = get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        if (i.EnableDnsSupport && i.EnableDnsHostnames) throw awsError("InvalidParameterCombination", "only one attribute at a time");
        if (i.EnableDnsSupport) v.dnsSupport = i.EnableDnsSupport.Value!;
        if (i.EnableDnsHostnames) v.dnsHostnames = i.EnableDnsHostnames.Value!;
      },
      DeleteVpc: (i) => {
        const { vpcs, subnets, sgs, routeTables, igws } = st();
        const v = get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const inUse = [...subnets.values(), ...sgs.values(), ...routeTables.values()].some((x) => x.vpcId === v.id) || [...igws.values()].some((g) => g.vpcId === v.id);
        if (inUse) throw awsError("DependencyViolation", `The vpc '${v.id}' has dependencies and cannot be deleted.`);
        vpcs.delete(v.id);
      },
      CreateInternetGateway: (i) => {
        const g: Igw = { id: fake.id("igw"), tags: tagsOf(i.TagSpecifications), createdAt: now() };
        st().igws.set(g.id, g);
        return { InternetGateway: igwShape(g) };
      },
      AttachInternetGateway: (i) => {
        const g = get(st().igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        if (g.vpcId) throw awsError("Resource.AlreadyAssociated", `resource ${g.id} is already attached to network ${g.vpcId}`);
        g.vpcId = i.VpcId;
      },
      DetachInternetGateway: (i) => {
        const g = get(st().igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        // VpcId is required (API_DetachInternetGateway.html); the SDK sends the call without it.
        if (!i.VpcId) throw awsError("MissingParameter", "The request must contain the parameter vpcId");
        if (g.vpcId !== i.VpcId) throw awsError("Gateway.NotAttached", `resource ${g.id} is not attached to network ${i.VpcId}`);
        const mapped = enisWhere((e) => e.publicIp && st().subnets.get(e.subnetId)?.vpcId === i.VpcId);
        if (mapped.length) throw awsError("DependencyViolation", `Network ${i.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
        g.vpcId = undefined;
      },
      DeleteInternetGateway: (i) => {
        const g = get(st().igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        if (g.vpcId) throw awsError("DependencyViolation", `The internetGateway '${g.id}' has dependencies and cannot be deleted.`);
        st().igws.delete(g.id);
      },
      CreateSubnet: (i) => {
        const v = get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const c = block(i.CidrBlock);
        if (!c || !inside(block(v.cidr)!, c)) throw awsError("InvalidSubnet.Range", `The CIDR '${i.CidrBlock}' is invalid.`);
        for (const s of st().subnets.values()) if (s.vpcId === v.id && overlap(block(s.cidr)!, c)) throw awsError("InvalidSubnet.Conflict", `The CIDR '${i.CidrBlock}' conflicts with another subnet`);
        if (!azs.includes(i.AvailabilityZone ?? "")) throw awsError("InvalidParameterValue", `Value (${i.AvailabilityZone}) for parameter availabilityZone is invalid.`);
        const s: Subnet = { id: fake.id("subnet"), vpcId: v.id, cidr: i.CidrBlock!, az: i.AvailabilityZone!, mapPublicIp: false, tags: tagsOf(i.TagSpecifications), createdAt: now() };
        st().subnets.set(s.id, s);
        return { Subnet: subnetShape(s) };
      },
      ModifySubnetAttribute: (i) => { get(st().subnets, i.SubnetId, "InvalidSubnetID.NotFound").mapPublicIp = i.MapPublicIpOnLaunch!.Value!; },
      DeleteSubnet: (i) => {
        const s = get(st().subnets, i.SubnetId, "InvalidSubnetID.NotFound");
        if (enisWhere((e) => e.subnetId === s.id).length) throw awsError("DependencyViolation", `The subnet '${s.id}' has dependencies and cannot be deleted.`);
        for (const t of st().routeTables.values()) t.associations.delete(s.id);
        st().subnets.delete(s.id);
      },
      CreateRouteTable: (i) => {
        get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const t: RouteTable = { id: fake.id("rtb"), vpcId: i.VpcId!, routes: [], associations: new Map(), tags: tagsOf(i.TagSpecifications), createdAt: now() };
        st().routeTables.set(t.id, t);
        return { RouteTable: rtShape(t) };
      },
      // Repeating an add or a remove fails (a retried call whose first attempt landed): RouteAlreadyExists,
      // Resource.AlreadyAssociated, InvalidAssociationID.NotFound, InvalidPermission.Duplicate / .NotFound, in
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
      CreateRoute: (i) => {
        const t = get(st().routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        const g = get(st().igws, i.GatewayId, "InvalidGatewayID.NotFound");
        if (g.vpcId !== t.vpcId) throw awsError("InvalidParameterValue", `route table ${t.id} and network gateway ${g.id} belong to different networks`);
        if (t.routes.some((r) => r.dest === i.DestinationCidrBlock)) throw awsError("RouteAlreadyExists", "route already exists");
        t.routes.push({ dest: i.DestinationCidrBlock!, gatewayId: g.id });
      },
      ReplaceRoute: (i) => {
        const t = get(st().routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        t.routes = t.routes.filter((r) => r.dest !== i.DestinationCidrBlock).concat([{ dest: i.DestinationCidrBlock!, gatewayId: i.GatewayId! }]);
      },
      AssociateRouteTable: (i) => {
        const t = get(st().routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        const s = get(st().subnets, i.SubnetId, "InvalidSubnetID.NotFound");
        for (const other of st().routeTables.values()) if (other.associations.has(s.id)) throw awsError("Resource.AlreadyAssociated", `subnet ${s.id} is already associated`);
        const assoc = fake.id("rtbassoc");
        t.associations.set(s.id, assoc);
        return { AssociationId: assoc };
      },
      DisassociateRouteTable: (i) => {
        for (const t of st().routeTables.values()) for (const [s, a] of t.associations) if (a === i.AssociationId) { t.associations.delete(s); return; }
        throw awsError("InvalidAssociationID.NotFound", `association ${i.AssociationId} not found`);
      },
      DeleteRouteTable: (i) => {
        const t = get(st().routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        if (t.associations.size) throw awsError("DependencyViolation", `The routeTable '${t.id}' has dependencies and cannot be deleted.`);
        st().routeTables.delete(t.id);
      },
      CreateSecurityGroup: (i) => {
        get(st().vpcs, i.VpcId, "InvalidVpcID.NotFound");
        for (const g of st().sgs.values()) if (g.vpcId === i.VpcId && g.name === i.GroupName) throw awsError("InvalidGroup.Duplicate", `The security group '${i.GroupName}' already exists for VPC '${i.VpcId}'`);
        const g: SecurityGroup = { id: fake.id("sg"), name: i.GroupName!, description: i.Description!, vpcId: i.VpcId!, rules: [], egress: [{ ...DEFAULT_EGRESS }], tags: tagsOf(i.TagSpecifications), createdAt: now() };
        st().sgs.set(g.id, g);
        return { GroupId: g.id };
      },
      AuthorizeSecurityGroupIngress: (i) => authorize(i, "rules"),
      RevokeSecurityGroupIngress: (i) => revoke(i, "rules"),
      // Egress takes the same rules as ingress (API_AuthorizeSecurityGroupEgress, API_RevokeSecurityGroupEgress).
      AuthorizeSecurityGroupEgress: (i) => authorize(i, "egress"),
      RevokeSecurityGroupEgress: (i) => revoke(i, "egress"),
      DeleteSecurityGroup: (i) => {
        const g = get(st().sgs, i.GroupId, "InvalidGroup.NotFound");
        const referenced = [...st().sgs.values()].some((o) => o.id !== g.id && [...o.rules, ...o.egress].some((r) => r.source === g.id));
        if (referenced || enisWhere((e) => e.groups.includes(g.id)).length) throw awsError("DependencyViolation", `resource ${g.id} has a dependent object`);
        st().sgs.delete(g.id);
      },
      CreateTags: (i) => { for (const item of tagged(i.Resources)) Object.assign(item.tags, checkTags(TAG_RULES.ec2, item.tags, fromUpper(i.Tags))); },
      DeleteTags: (i) => { for (const item of tagged(i.Resources)) for (const t of i.Tags ?? []) delete item.tags[t.Key!]; },
    },
  };
}
