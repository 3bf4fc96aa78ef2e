/**
 * A stateful fake of the AWS APIs spontime-infra calls, on aws-sdk-client-mock, with latencies on a virtual
 * clock. It models what real AWS enforces for this stack, so that tests fail where AWS would:
 *
 * - EC2: subnet CIDR inside its VPC and not overlapping; a referenced security group must exist; duplicate
 *   rules and group names refused; DependencyViolation when deleting a VPC with subnets / IGW / SGs / route
 *   tables, a subnet or SG with network interfaces, an SG referenced by another, an IGW detach while public
 *   IPs are mapped; tags returned by describes; optional eventual consistency (`*.NotFound` for a while after
 *   create). Default SGs and main route tables are not modelled.
 * - ELBv2: an ALB needs subnets in two AZs and an attached internet gateway; provisioning -> active in
 *   2 min; its ENIs linger 90 s after deletion; create is idempotent by name with the same settings;
 *   a target group in use by a listener cannot be deleted.
 * - RDS: subnet groups must cover two AZs; creating -> available in 10 min; a final snapshot is required
 *   unless skipped; deleting takes 5 min; an instance's subnet group cannot be deleted; stop/start.
 * - ECS: Fargate cpu/memory pairs; awsvpc needs target type `ip`; a service's target group must be behind
 *   a listener; deployments roll out on the clock (task RUNNING 60 s, healthy 3 min later), the circuit
 *   breaker fails a deployment after 3 failed tasks and rolls back to the previous one; images behave as
 *   pushed (`ok`, `crash`, `http400`); a missing image fails the pull.
 * - ECR, CloudWatch Logs, IAM: names unique (`*AlreadyExists*`), NotFound errors as the SDK names them.
 * Faults: a share of calls can fail with throttling or 5xx; a crash point can "kill" the process after the
 * k-th mutating call (the call takes effect, its response never arrives, every later call dies too).
 */
import { mockClient } from "aws-sdk-client-mock";
import * as EC2 from "@aws-sdk/client-ec2";
import * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import * as RDS from "@aws-sdk/client-rds";
import * as ECS from "@aws-sdk/client-ecs";
import * as ECR from "@aws-sdk/client-ecr";
import * as LOGS from "@aws-sdk/client-cloudwatch-logs";
import * as IAM from "@aws-sdk/client-iam";
import { isMutating } from "../../src/aws/clients.js";
import { fargateMemoryOptions } from "../../src/config/schema.js";
import { contains, overlaps, parseCidr } from "../../src/config/cidr.js";
import type { VirtualClock } from "./clock.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
type Tags = Record<string, string>;

export class CrashError extends Error {
  override readonly name = "SimulatedCrash";
  constructor() { super("simulated crash: the process died here"); }
}

export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status, requestId: `req-${Math.random().toString(16).slice(2, 10)}` } });
}

export type ImageBehavior = "ok" | "crash" | "http400";

export const LATENCY = {
  call: 150,
  albActive: 120_000,
  albEniLinger: 90_000,
  rdsCreate: 600_000,
  rdsModify: 60_000,
  rdsDelete: 300_000,
  rdsStop: 60_000,
  rdsStart: 300_000,
  taskRunning: 60_000,
  targetHealthy: 180_000,
  serviceDrain: 30_000,
  taskExit: 30_000,
};

export interface FakeOptions {
  region?: string;
  /** Share of calls that fail with throttling or a 5xx before taking effect. */
  faultRate?: number;
  /** Share of EC2 id lookups that answer NotFound within 5 s of the resource's creation. */
  eventualConsistency?: number;
  /** Deterministic randomness for faults. */
  seed?: number;
}

interface Eni { id: string; subnetId: string; groups: string[]; publicIp: boolean; owner: string; releaseAt?: number }
interface Deployment { id: string; status: "PRIMARY" | "ACTIVE"; taskDefinition: string; desiredCount: number; rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED"; rolloutStateReason?: string; createdAt: number; failedTasks: number; runningCount: number; pendingCount: number; }
interface Task { arn: string; id: string; taskDefinitionArn: string; startedBy?: string; deploymentId?: string; createdAt: number; lastStatus: string; desiredStatus: string; stoppedReason?: string; exitCode?: number; ip: string; behavior: ImageBehavior | "missing"; command?: string[]; stopAt?: number; cluster: string; group?: string }

export class FakeAws {
  readonly calls: { service: string; op: string; input: Any; at: number }[] = [];
  readonly region: string;
  readonly account = "123456789012";
  private seq = 1;
  private rngState: number;
  faultRate: number;
  faultsInjected = 0;
  eventualConsistency: number;
  /** The mutation count at which the "process" dies; see `armCrash`. */
  private crashAt?: number;
  private onCrash?: () => void;
  crashed = false;
  private mutations = 0;
  /** Sees every call as it arrives (after latency), e.g. to interrupt a run at a given point. */
  onCall?: (op: string, input: Any) => void;
  /** Answers an error instead of running the call, e.g. AccessDenied on one operation. */
  failWith?: (op: string, input: Any) => Error | undefined;

  /** The process dies right after the k-th mutating call from now takes effect; `onCrash` runs at that instant. */
  armCrash(k: number, onCrash?: () => void): void {
    this.crashAt = this.mutations + k;
    this.onCrash = onCrash;
  }

  /** A new process starts: calls work again. */
  disarm(): void {
    this.crashAt = undefined;
    this.crashed = false;
  }

  readonly ec2 = { vpcs: new Map<string, Any>(), igws: new Map<string, Any>(), subnets: new Map<string, Any>(), routeTables: new Map<string, Any>(), sgs: new Map<string, Any>(), enis: new Map<string, Eni>() };
  readonly elb = { lbs: new Map<string, Any>(), tgs: new Map<string, Any>(), listeners: new Map<string, Any>() };
  readonly rds = { subnetGroups: new Map<string, Any>(), instances: new Map<string, Any>(), snapshots: [] as string[] };
  readonly ecs = { clusters: new Map<string, Any>(), taskDefs: new Map<string, Any>(), services: new Map<string, Any>(), tasks: new Map<string, Task>(), serviceTokens: new Map<string, string>() };
  readonly ecr = { repos: new Map<string, Any>() };
  readonly logs = { groups: new Map<string, Any>() };
  readonly iam = { roles: new Map<string, Any>() };
  private mocks: { restore(): void }[] = [];

  constructor(readonly clock: VirtualClock, options: FakeOptions = {}) {
    this.region = options.region ?? "us-east-1";
    this.faultRate = options.faultRate ?? 0;
    this.eventualConsistency = options.eventualConsistency ?? 0;
    this.rngState = options.seed ?? 42;
  }

  /** Deterministic pseudo-random in [0, 1). */
  rng(): number {
    this.rngState = (this.rngState * 1103515245 + 12345) % 2147483648;
    return this.rngState / 2147483648;
  }

  private id(prefix: string): string { return `${prefix}-${(this.seq++).toString(16).padStart(8, "0")}`; }
  private arn(service: string, resource: string): string { return `arn:aws:${service}:${this.region}:${this.account}:${resource}`; }

  mutatingCalls(): { service: string; op: string; input: Any }[] { return this.calls.filter((c) => isMutating(c.op)); }
  count(op: string): number { return this.calls.filter((c) => c.op === op).length; }

  /** Resources still alive that carry the stack's tag, by kind: what a "nothing left" test counts. */
  taggedResources(app: string): string[] {
    const has = (tags: Tags | undefined) => tags?.["spontime:stack"] === app;
    const out: string[] = [];
    for (const [k, m] of Object.entries(this.ec2)) for (const v of (m as Map<string, Any>).values()) if (has(v.tags)) out.push(`ec2:${k}:${v.id}`);
    for (const v of this.elb.lbs.values()) if (has(v.tags)) out.push(`elb:lb:${v.name}`);
    for (const v of this.elb.tgs.values()) if (has(v.tags)) out.push(`elb:tg:${v.name}`);
    for (const v of this.elb.listeners.values()) if (has(v.tags)) out.push(`elb:listener:${v.arn}`);
    for (const v of this.rds.subnetGroups.values()) if (has(v.tags)) out.push(`rds:subnet-group:${v.name}`);
    for (const v of this.rds.instances.values()) if (has(v.tags)) out.push(`rds:instance:${v.id}`);
    for (const v of this.ecs.clusters.values()) if (v.status === "ACTIVE" && has(v.tags)) out.push(`ecs:cluster:${v.name}`);
    for (const v of this.ecs.services.values()) if (v.status !== "INACTIVE" && has(v.tags)) out.push(`ecs:service:${v.name}`);
    // One entry per family with an active revision: deploys leave earlier revisions active, as ECS does.
    for (const family of new Set([...this.ecs.taskDefs.values()].filter((v) => v.status === "ACTIVE" && has(v.tags)).map((v) => v.def.family))) out.push(`ecs:task-definition:${family}`);
    for (const v of this.ecr.repos.values()) if (has(v.tags)) out.push(`ecr:${v.name}`);
    for (const v of this.logs.groups.values()) if (has(v.tags)) out.push(`logs:${v.name}`);
    for (const v of this.iam.roles.values()) if (has(v.tags)) out.push(`iam:${v.name}`);
    return out.sort();
  }

  // ---------------------------------------------------------------- wiring
  install(): this {
    const services: [string, Any, Record<string, (input: Any) => Any>][] = [
      ["ec2", EC2.EC2Client, this.ec2Handlers()],
      ["elbv2", ELB.ElasticLoadBalancingV2Client, this.elbHandlers()],
      ["rds", RDS.RDSClient, this.rdsHandlers()],
      ["ecs", ECS.ECSClient, this.ecsHandlers()],
      ["ecr", ECR.ECRClient, this.ecrHandlers()],
      ["logs", LOGS.CloudWatchLogsClient, this.logsHandlers()],
      ["iam", IAM.IAMClient, this.iamHandlers()],
    ];
    const modules: Record<string, Any> = { ec2: EC2, elbv2: ELB, rds: RDS, ecs: ECS, ecr: ECR, logs: LOGS, iam: IAM };
    for (const [service, Client, handlers] of services) {
      const mock = mockClient(Client);
      // Registered first: sinon lets the more specific stubs below take precedence.
      mock.onAnyCommand().callsFake((input: Any) => { throw new Error(`fake AWS: unmocked ${service} call ${JSON.stringify(input).slice(0, 80)}`); });
      for (const [op, handler] of Object.entries(handlers)) {
        const Command = modules[service][`${op}Command`];
        if (!Command) throw new Error(`fake: no command ${service}.${op}`);
        mock.on(Command).callsFake((input: Any) => this.invoke(service, op, input, handler));
      }
      this.mocks.push(mock);
    }
    return this;
  }

  restore(): void { for (const m of this.mocks) m.restore(); this.mocks = []; }

  private async invoke(service: string, op: string, input: Any, handler: (input: Any) => Any): Promise<Any> {
    if (this.crashed) throw new CrashError();
    await this.clock.sleep(LATENCY.call);
    if (this.crashed) throw new CrashError();
    this.calls.push({ service, op, input: structuredClone(input), at: this.clock.now() });
    this.onCall?.(op, input);
    this.tick();
    const injected = this.failWith?.(op, input);
    if (injected) throw injected;
    if (this.faultRate > 0 && this.rng() < this.faultRate) {
      this.faultsInjected++;
      throw this.rng() < 0.5 ? awsError("ThrottlingException", "Rate exceeded") : awsError("InternalError", "We encountered an internal error. Please try again.", 500);
    }
    const result = structuredClone(await handler(input) ?? {});
    if (isMutating(op)) {
      this.mutations++;
      if (this.crashAt !== undefined && this.mutations >= this.crashAt) {
        this.crashed = true;
        this.onCrash?.();
        throw new CrashError();
      }
    }
    return { $metadata: { httpStatusCode: 200, requestId: "fake" }, ...result };
  }

  /** Moves time-driven state forward: ALBs activate, RDS finishes, ENIs release, deployments roll out. */
  tick(): void {
    const now = this.clock.now();
    for (const [id, eni] of this.ec2.enis) if (eni.releaseAt !== undefined && eni.releaseAt <= now) this.ec2.enis.delete(id);
    for (const lb of this.elb.lbs.values()) if (lb.state === "provisioning" && now >= lb.activeAt) lb.state = "active";
    for (const [id, db] of this.rds.instances) {
      if (db.readyAt !== undefined && now >= db.readyAt) {
        db.status = db.nextStatus;
        db.readyAt = undefined;
        if (db.status === "available") db.endpoint = `${db.id}.abcdefghij.${this.region}.rds.amazonaws.com`;
        if (db.status === "deleted") {
          this.rds.instances.delete(id);
          this.ec2.enis.delete(db.eniId);
        }
      }
    }
    for (const svc of this.ecs.services.values()) this.tickService(svc, now);
    for (const task of this.ecs.tasks.values()) {
      if (task.lastStatus !== "STOPPED" && task.stopAt !== undefined && now >= task.stopAt) this.stopTask(task, task.stoppedReason ?? "Task stopped", task.exitCode);
      else if (task.lastStatus === "PROVISIONING" && now >= task.createdAt + LATENCY.taskRunning) task.lastStatus = "RUNNING";
    }
    for (const svc of this.ecs.services.values()) {
      if (svc.status === "DRAINING" && now >= svc.inactiveAt) svc.status = "INACTIVE";
    }
  }

  // ---------------------------------------------------------------- helpers
  private checkTagsSpec(specs: Any[] | undefined): Tags {
    return Object.fromEntries((specs?.[0]?.Tags ?? []).map((t: Any) => [t.Key, t.Value]));
  }
  private tagList(tags: Tags) { return Object.entries(tags).map(([Key, Value]) => ({ Key, Value })); }
  private lowerTags(tags: Tags) { return Object.entries(tags).map(([key, value]) => ({ key, value })); }
  private fromLower(list: Any[] | undefined): Tags { return Object.fromEntries((list ?? []).map((t: Any) => [t.key, t.value])); }
  private fromUpper(list: Any[] | undefined): Tags { return Object.fromEntries((list ?? []).map((t: Any) => [t.Key, t.Value])); }

  /** An EC2 lookup by id that honours eventual consistency right after a create. */
  private ec2Get(map: Map<string, Any>, id: string, code: string): Any {
    const v = map.get(id);
    const young = v && this.clock.now() - v.createdAt < 5_000;
    if (!v || (young && this.eventualConsistency > 0 && this.rng() < this.eventualConsistency)) throw awsError(code, `The ID '${id}' does not exist`);
    return v;
  }

  private matchFilters(item: Any, filters: Any[] | undefined): boolean {
    return (filters ?? []).every((f: Any) => {
      const name: string = f.Name;
      let value: Any;
      if (name.startsWith("tag:")) value = item.tags?.[name.slice(4)];
      else if (name === "vpc-id") value = item.vpcId;
      else if (name === "state") value = item.state ?? "available";
      else if (name === "zone-type") value = "availability-zone";
      else if (name === "group-name") value = item.name;
      else throw new Error(`fake: filter ${name} not modelled`);
      return f.Values.includes(value);
    });
  }

  private describe<T>(map: Map<string, Any>, ids: string[] | undefined, filters: Any[] | undefined, code: string, shape: (v: Any) => T): T[] {
    if (ids?.length) return ids.map((id) => shape(this.ec2Get(map, id, code)));
    return [...map.values()].filter((v) => this.matchFilters(v, filters)).map(shape);
  }

  private enisUsing(pred: (e: Eni) => boolean): Eni[] { return [...this.ec2.enis.values()].filter(pred); }

  private addEni(owner: string, subnetId: string, groups: string[], publicIp: boolean): string {
    const id = this.id("eni");
    this.ec2.enis.set(id, { id, subnetId, groups, publicIp, owner });
    return id;
  }

  private releaseEnis(owner: string, after: number): void {
    for (const e of this.ec2.enis.values()) if (e.owner === owner && e.releaseAt === undefined) e.releaseAt = this.clock.now() + after;
  }

  // ---------------------------------------------------------------- EC2
  private ec2Handlers(): Record<string, (i: Any) => Any> {
    const { vpcs, igws, subnets, routeTables, sgs } = this.ec2;
    const vpcShape = (v: Any) => ({ VpcId: v.id, CidrBlock: v.cidr, State: "available", Tags: this.tagList(v.tags) });
    const igwShape = (g: Any) => ({ InternetGatewayId: g.id, Attachments: g.vpcId ? [{ VpcId: g.vpcId, State: "available" }] : [], Tags: this.tagList(g.tags) });
    const subnetShape = (s: Any) => ({ SubnetId: s.id, VpcId: s.vpcId, CidrBlock: s.cidr, AvailabilityZone: s.az, MapPublicIpOnLaunch: s.mapPublicIp, State: "available", Tags: this.tagList(s.tags) });
    const rtShape = (t: Any) => ({
      RouteTableId: t.id, VpcId: t.vpcId, Tags: this.tagList(t.tags),
      Routes: [{ DestinationCidrBlock: vpcs.get(t.vpcId)?.cidr, GatewayId: "local" }, ...t.routes.map((r: Any) => ({ DestinationCidrBlock: r.dest, GatewayId: r.gatewayId }))],
      Associations: [...t.associations].map(([subnetId, assoc]: [string, string]) => ({ SubnetId: subnetId, RouteTableAssociationId: assoc, RouteTableId: t.id })),
    });
    const sgShape = (g: Any) => ({
      GroupId: g.id, GroupName: g.name, Description: g.description, VpcId: g.vpcId, Tags: this.tagList(g.tags),
      IpPermissions: g.rules.map((r: Any) => ({ IpProtocol: r.protocol, FromPort: r.from, ToPort: r.to, ...(r.source.startsWith("sg-") ? { UserIdGroupPairs: [{ GroupId: r.source }] } : { IpRanges: [{ CidrIp: r.source }] }) })),
    });
    const rulesFrom = (perms: Any[]) => perms.flatMap((p: Any) => [
      ...(p.IpRanges ?? []).map((r: Any) => ({ protocol: p.IpProtocol, from: p.FromPort, to: p.ToPort, source: r.CidrIp })),
      ...(p.UserIdGroupPairs ?? []).map((g: Any) => ({ protocol: p.IpProtocol, from: p.FromPort, to: p.ToPort, source: g.GroupId })),
    ]);
    const sameRule = (a: Any, b: Any) => a.protocol === b.protocol && a.from === b.from && a.to === b.to && a.source === b.source;
    const azs = ["a", "b", "c", "d"].map((s) => `${this.region}${s}`);
    return {
      DescribeAvailabilityZones: () => ({ AvailabilityZones: azs.map((z) => ({ ZoneName: z, State: "available", ZoneType: "availability-zone" })) }),
      CreateVpc: (i) => {
        if (!parseCidr(i.CidrBlock)) throw awsError("InvalidVpc.Range", `The CIDR '${i.CidrBlock}' is invalid.`);
        const v = { id: this.id("vpc"), cidr: i.CidrBlock, tags: this.checkTagsSpec(i.TagSpecifications), dnsSupport: true, dnsHostnames: false, createdAt: this.clock.now() };
        vpcs.set(v.id, v);
        return { Vpc: vpcShape(v) };
      },
      DescribeVpcs: (i) => ({ Vpcs: this.describe(vpcs, i.VpcIds, i.Filters, "InvalidVpcID.NotFound", vpcShape) }),
      DescribeVpcAttribute: (i) => {
        const v = this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        return i.Attribute === "enableDnsSupport" ? { VpcId: v.id, EnableDnsSupport: { Value: v.dnsSupport } } : { VpcId: v.id, EnableDnsHostnames: { Value: v.dnsHostnames } };
      },
      ModifyVpcAttribute: (i) => {
        const v = this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        if (i.EnableDnsSupport && i.EnableDnsHostnames) throw awsError("InvalidParameterCombination", "only one attribute at a time");
        if (i.EnableDnsSupport) v.dnsSupport = i.EnableDnsSupport.Value;
        if (i.EnableDnsHostnames) v.dnsHostnames = i.EnableDnsHostnames.Value;
      },
      DeleteVpc: (i) => {
        const v = this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const inUse = [...subnets.values(), ...sgs.values(), ...routeTables.values()].some((x) => x.vpcId === v.id) || [...igws.values()].some((g) => g.vpcId === v.id);
        if (inUse) throw awsError("DependencyViolation", `The vpc '${v.id}' has dependencies and cannot be deleted.`);
        vpcs.delete(v.id);
      },
      CreateInternetGateway: (i) => {
        const g = { id: this.id("igw"), vpcId: undefined as string | undefined, tags: this.checkTagsSpec(i.TagSpecifications), createdAt: this.clock.now() };
        igws.set(g.id, g);
        return { InternetGateway: igwShape(g) };
      },
      AttachInternetGateway: (i) => {
        const g = this.ec2Get(igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        if (g.vpcId) throw awsError("Resource.AlreadyAssociated", `resource ${g.id} is already attached to network ${g.vpcId}`);
        g.vpcId = i.VpcId;
      },
      DetachInternetGateway: (i) => {
        const g = this.ec2Get(igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        if (g.vpcId !== i.VpcId) throw awsError("Gateway.NotAttached", `resource ${g.id} is not attached to network ${i.VpcId}`);
        const mapped = this.enisUsing((e) => e.publicIp && subnets.get(e.subnetId)?.vpcId === i.VpcId);
        if (mapped.length) throw awsError("DependencyViolation", `Network ${i.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
        g.vpcId = undefined;
      },
      DeleteInternetGateway: (i) => {
        const g = this.ec2Get(igws, i.InternetGatewayId, "InvalidInternetGatewayID.NotFound");
        if (g.vpcId) throw awsError("DependencyViolation", `The internetGateway '${g.id}' has dependencies and cannot be deleted.`);
        igws.delete(g.id);
      },
      DescribeInternetGateways: (i) => ({ InternetGateways: this.describe(igws, i.InternetGatewayIds, i.Filters, "InvalidInternetGatewayID.NotFound", igwShape) }),
      CreateSubnet: (i) => {
        const v = this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const c = parseCidr(i.CidrBlock);
        if (!c || !contains(parseCidr(v.cidr)!, c)) throw awsError("InvalidSubnet.Range", `The CIDR '${i.CidrBlock}' is invalid.`);
        for (const s of subnets.values()) if (s.vpcId === v.id && overlaps(parseCidr(s.cidr)!, c)) throw awsError("InvalidSubnet.Conflict", `The CIDR '${i.CidrBlock}' conflicts with another subnet`);
        if (!azs.includes(i.AvailabilityZone)) throw awsError("InvalidParameterValue", `Value (${i.AvailabilityZone}) for parameter availabilityZone is invalid.`);
        const s = { id: this.id("subnet"), vpcId: v.id, cidr: i.CidrBlock, az: i.AvailabilityZone, mapPublicIp: false, tags: this.checkTagsSpec(i.TagSpecifications), createdAt: this.clock.now() };
        subnets.set(s.id, s);
        return { Subnet: subnetShape(s) };
      },
      ModifySubnetAttribute: (i) => { this.ec2Get(subnets, i.SubnetId, "InvalidSubnetID.NotFound").mapPublicIp = i.MapPublicIpOnLaunch.Value; },
      DescribeSubnets: (i) => ({ Subnets: this.describe(subnets, i.SubnetIds, i.Filters, "InvalidSubnetID.NotFound", subnetShape) }),
      DeleteSubnet: (i) => {
        const s = this.ec2Get(subnets, i.SubnetId, "InvalidSubnetID.NotFound");
        if (this.enisUsing((e) => e.subnetId === s.id).length) throw awsError("DependencyViolation", `The subnet '${s.id}' has dependencies and cannot be deleted.`);
        for (const t of routeTables.values()) t.associations.delete(s.id);
        subnets.delete(s.id);
      },
      CreateRouteTable: (i) => {
        this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        const t = { id: this.id("rtb"), vpcId: i.VpcId, routes: [] as Any[], associations: new Map<string, string>(), tags: this.checkTagsSpec(i.TagSpecifications), createdAt: this.clock.now() };
        routeTables.set(t.id, t);
        return { RouteTable: rtShape(t) };
      },
      CreateRoute: (i) => {
        const t = this.ec2Get(routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        const g = this.ec2Get(igws, i.GatewayId, "InvalidGatewayID.NotFound");
        if (g.vpcId !== t.vpcId) throw awsError("InvalidParameterValue", `route table ${t.id} and network gateway ${g.id} belong to different networks`);
        if (t.routes.some((r: Any) => r.dest === i.DestinationCidrBlock)) throw awsError("RouteAlreadyExists", "route already exists");
        t.routes.push({ dest: i.DestinationCidrBlock, gatewayId: i.GatewayId });
      },
      ReplaceRoute: (i) => {
        const t = this.ec2Get(routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        t.routes = t.routes.filter((r: Any) => r.dest !== i.DestinationCidrBlock).concat([{ dest: i.DestinationCidrBlock, gatewayId: i.GatewayId }]);
      },
      AssociateRouteTable: (i) => {
        const t = this.ec2Get(routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        this.ec2Get(subnets, i.SubnetId, "InvalidSubnetID.NotFound");
        for (const other of routeTables.values()) if (other.associations.has(i.SubnetId)) throw awsError("Resource.AlreadyAssociated", `subnet ${i.SubnetId} is already associated`);
        const assoc = this.id("rtbassoc");
        t.associations.set(i.SubnetId, assoc);
        return { AssociationId: assoc };
      },
      DisassociateRouteTable: (i) => {
        for (const t of routeTables.values()) for (const [s, a] of t.associations) if (a === i.AssociationId) { t.associations.delete(s); return; }
        throw awsError("InvalidAssociationID.NotFound", `association ${i.AssociationId} not found`);
      },
      DeleteRouteTable: (i) => {
        const t = this.ec2Get(routeTables, i.RouteTableId, "InvalidRouteTableID.NotFound");
        if (t.associations.size) throw awsError("DependencyViolation", `The routeTable '${t.id}' has dependencies and cannot be deleted.`);
        routeTables.delete(t.id);
      },
      DescribeRouteTables: (i) => ({ RouteTables: this.describe(routeTables, i.RouteTableIds, i.Filters, "InvalidRouteTableID.NotFound", rtShape) }),
      CreateSecurityGroup: (i) => {
        this.ec2Get(vpcs, i.VpcId, "InvalidVpcID.NotFound");
        for (const g of sgs.values()) if (g.vpcId === i.VpcId && g.name === i.GroupName) throw awsError("InvalidGroup.Duplicate", `The security group '${i.GroupName}' already exists for VPC '${i.VpcId}'`);
        const g = { id: this.id("sg"), name: i.GroupName, description: i.Description, vpcId: i.VpcId, rules: [] as Any[], tags: this.checkTagsSpec(i.TagSpecifications), createdAt: this.clock.now() };
        sgs.set(g.id, g);
        return { GroupId: g.id };
      },
      AuthorizeSecurityGroupIngress: (i) => {
        const g = this.ec2Get(sgs, i.GroupId, "InvalidGroup.NotFound");
        const rules = rulesFrom(i.IpPermissions);
        for (const r of rules) {
          if (r.source.startsWith("sg-") && !sgs.has(r.source)) throw awsError("InvalidGroup.NotFound", `The security group '${r.source}' does not exist`);
          if (g.rules.some((x: Any) => sameRule(x, r))) throw awsError("InvalidPermission.Duplicate", "the specified rule already exists");
        }
        g.rules.push(...rules);
      },
      RevokeSecurityGroupIngress: (i) => {
        const g = this.ec2Get(sgs, i.GroupId, "InvalidGroup.NotFound");
        const rules = rulesFrom(i.IpPermissions);
        g.rules = g.rules.filter((x: Any) => !rules.some((r: Any) => sameRule(x, r)));
      },
      DeleteSecurityGroup: (i) => {
        const g = this.ec2Get(sgs, i.GroupId, "InvalidGroup.NotFound");
        const referenced = [...sgs.values()].some((o) => o.id !== g.id && o.rules.some((r: Any) => r.source === g.id));
        if (referenced || this.enisUsing((e) => e.groups.includes(g.id)).length) throw awsError("DependencyViolation", `resource ${g.id} has a dependent object`);
        sgs.delete(g.id);
      },
      DescribeSecurityGroups: (i) => ({ SecurityGroups: this.describe(sgs, i.GroupIds, i.Filters, "InvalidGroup.NotFound", sgShape) }),
      CreateTags: (i) => {
        for (const id of i.Resources) {
          const map = [vpcs, igws, subnets, routeTables, sgs].find((m) => m.has(id));
          if (!map) throw awsError("InvalidID", `The ID '${id}' is not valid`);
          Object.assign(map.get(id).tags, this.fromUpper(i.Tags));
        }
      },
    };
  }

  // ---------------------------------------------------------------- ELBv2
  private elbHandlers(): Record<string, (i: Any) => Any> {
    const { lbs, tgs, listeners } = this.elb;
    const lbShape = (lb: Any) => ({
      LoadBalancerArn: lb.arn, LoadBalancerName: lb.name, DNSName: lb.dns, Scheme: lb.scheme, Type: "application", VpcId: lb.vpcId, State: { Code: lb.state },
      SecurityGroups: lb.securityGroups, AvailabilityZones: lb.subnets.map((s: string) => ({ SubnetId: s, ZoneName: this.ec2.subnets.get(s)?.az })),
    });
    const tgShape = (tg: Any) => ({
      TargetGroupArn: tg.arn, TargetGroupName: tg.name, Protocol: tg.protocol, Port: tg.port, VpcId: tg.vpcId, TargetType: tg.targetType,
      HealthCheckPath: tg.healthCheckPath, HealthCheckIntervalSeconds: tg.interval, Matcher: { HttpCode: tg.matcher },
      LoadBalancerArns: [...listeners.values()].filter((l) => l.targetGroupArn === tg.arn).map((l) => l.lbArn),
    });
    const listenerShape = (l: Any) => ({ ListenerArn: l.arn, LoadBalancerArn: l.lbArn, Port: l.port, Protocol: l.protocol, DefaultActions: [{ Type: "forward", TargetGroupArn: l.targetGroupArn }] });
    const allTagged = () => [...lbs.values(), ...tgs.values(), ...listeners.values()];
    const checkSubnets = (subnets: string[]) => {
      const zones = new Set(subnets.map((s) => { const sub = this.ec2.subnets.get(s); if (!sub) throw awsError("SubnetNotFoundException", `subnet ${s} not found`); return sub.az; }));
      if (zones.size < 2) throw awsError("ValidationError", "At least two subnets in two different Availability Zones must be specified");
    };
    return {
      CreateLoadBalancer: (i) => {
        const existing = [...lbs.values()].find((l) => l.name === i.Name);
        if (existing) {
          if (JSON.stringify([...i.Subnets].sort()) === JSON.stringify([...existing.subnets].sort())) return { LoadBalancers: [lbShape(existing)] };
          throw awsError("DuplicateLoadBalancerName", `A load balancer with the same name '${i.Name}' exists, but with different settings`);
        }
        checkSubnets(i.Subnets);
        for (const sg of i.SecurityGroups ?? []) if (!this.ec2.sgs.has(sg)) throw awsError("InvalidSecurityGroup", `security group ${sg} does not exist`);
        const vpcId = this.ec2.subnets.get(i.Subnets[0])!.vpcId;
        if (i.Scheme !== "internal" && ![...this.ec2.igws.values()].some((g) => g.vpcId === vpcId)) throw awsError("InvalidSubnet", `VPC ${vpcId} has no internet gateway`);
        const arn = this.arn("elasticloadbalancing", `loadbalancer/app/${i.Name}/${this.id("lb")}`);
        const lb = { arn, name: i.Name, dns: `${i.Name}-123456.${this.region}.elb.amazonaws.com`, scheme: i.Scheme ?? "internet-facing", vpcId, subnets: i.Subnets, securityGroups: i.SecurityGroups ?? [], state: "provisioning", activeAt: this.clock.now() + LATENCY.albActive, tags: this.fromUpper(i.Tags) };
        lbs.set(arn, lb);
        for (const s of i.Subnets) this.addEni(arn, s, lb.securityGroups, true);
        return { LoadBalancers: [lbShape(lb)] };
      },
      DescribeLoadBalancers: (i) => {
        const found = i.Names ? i.Names.map((n: string) => [...lbs.values()].find((l) => l.name === n)) : i.LoadBalancerArns ? i.LoadBalancerArns.map((a: string) => lbs.get(a)) : [...lbs.values()];
        if (found.some((x: Any) => !x)) throw awsError("LoadBalancerNotFoundException", "One or more load balancers not found");
        return { LoadBalancers: found.map(lbShape) };
      },
      DeleteLoadBalancer: (i) => {
        if (!lbs.has(i.LoadBalancerArn)) return;
        lbs.delete(i.LoadBalancerArn);
        for (const [arn, l] of listeners) if (l.lbArn === i.LoadBalancerArn) listeners.delete(arn);
        this.releaseEnis(i.LoadBalancerArn, LATENCY.albEniLinger);
      },
      SetSubnets: (i) => { checkSubnets(i.Subnets); lbs.get(i.LoadBalancerArn).subnets = i.Subnets; },
      SetSecurityGroups: (i) => { lbs.get(i.LoadBalancerArn).securityGroups = i.SecurityGroups; },
      DescribeTags: (i) => ({ TagDescriptions: i.ResourceArns.map((arn: string) => ({ ResourceArn: arn, Tags: this.tagList(allTagged().find((x) => x.arn === arn)?.tags ?? {}) })) }),
      AddTags: (i) => { for (const arn of i.ResourceArns) Object.assign(allTagged().find((x) => x.arn === arn).tags, this.fromUpper(i.Tags)); },
      CreateTargetGroup: (i) => {
        const existing = [...tgs.values()].find((t) => t.name === i.Name);
        if (existing) {
          if (existing.port === i.Port && existing.targetType === (i.TargetType ?? "instance")) return { TargetGroups: [tgShape(existing)] };
          throw awsError("DuplicateTargetGroupName", `A target group with the same name '${i.Name}' exists, but with different settings`);
        }
        try {
          this.ec2Get(this.ec2.vpcs, i.VpcId, "InvalidVpcID.NotFound");
        } catch {
          throw awsError("ValidationError", `The VPC ID '${i.VpcId}' is not found`); // ELB sees EC2 with the same lag
        }
        const arn = this.arn("elasticloadbalancing", `targetgroup/${i.Name}/${this.id("tg")}`);
        const tg = { arn, name: i.Name, protocol: i.Protocol, port: i.Port, vpcId: i.VpcId, targetType: i.TargetType ?? "instance", healthCheckPath: i.HealthCheckPath ?? "/", interval: i.HealthCheckIntervalSeconds ?? 30, matcher: i.Matcher?.HttpCode ?? "200", deregistrationDelay: "300", tags: this.fromUpper(i.Tags) };
        tgs.set(arn, tg);
        return { TargetGroups: [tgShape(tg)] };
      },
      DescribeTargetGroups: (i) => {
        const found = i.Names ? i.Names.map((n: string) => [...tgs.values()].find((t) => t.name === n)) : i.TargetGroupArns ? i.TargetGroupArns.map((a: string) => tgs.get(a)) : [...tgs.values()];
        if (found.some((x: Any) => !x)) throw awsError("TargetGroupNotFoundException", "One or more target groups not found");
        return { TargetGroups: found.map(tgShape) };
      },
      DescribeTargetGroupAttributes: (i) => ({ Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: tgs.get(i.TargetGroupArn).deregistrationDelay }] }),
      ModifyTargetGroupAttributes: (i) => {
        const tg = tgs.get(i.TargetGroupArn);
        if (!tg) throw awsError("TargetGroupNotFoundException", "target group not found");
        for (const a of i.Attributes) if (a.Key === "deregistration_delay.timeout_seconds") tg.deregistrationDelay = a.Value;
      },
      ModifyTargetGroup: (i) => {
        const tg = tgs.get(i.TargetGroupArn);
        Object.assign(tg, { healthCheckPath: i.HealthCheckPath ?? tg.healthCheckPath, interval: i.HealthCheckIntervalSeconds ?? tg.interval, matcher: i.Matcher?.HttpCode ?? tg.matcher });
      },
      DeleteTargetGroup: (i) => {
        if (!tgs.has(i.TargetGroupArn)) return;
        if ([...listeners.values()].some((l) => l.targetGroupArn === i.TargetGroupArn)) throw awsError("ResourceInUse", `Target group '${i.TargetGroupArn}' is currently in use by a listener or a rule`);
        tgs.delete(i.TargetGroupArn);
      },
      CreateListener: (i) => {
        const lb = lbs.get(i.LoadBalancerArn);
        if (!lb) throw awsError("LoadBalancerNotFoundException", "load balancer not found");
        const tgArn = i.DefaultActions[0].TargetGroupArn;
        if (!tgs.has(tgArn)) throw awsError("TargetGroupNotFoundException", "target group not found");
        const dup = [...listeners.values()].find((l) => l.lbArn === lb.arn && l.port === i.Port);
        if (dup) {
          if (dup.targetGroupArn === tgArn) return { Listeners: [listenerShape(dup)] };
          throw awsError("DuplicateListener", "A listener already exists on this port for this load balancer");
        }
        const arn = lb.arn.replace(":loadbalancer/", ":listener/") + `/${this.id("l")}`;
        const l = { arn, lbArn: lb.arn, port: i.Port, protocol: i.Protocol, targetGroupArn: tgArn, tags: this.fromUpper(i.Tags) };
        listeners.set(arn, l);
        return { Listeners: [listenerShape(l)] };
      },
      DescribeListeners: (i) => {
        if (i.ListenerArns) {
          const found = i.ListenerArns.map((a: string) => listeners.get(a));
          if (found.some((x: Any) => !x)) throw awsError("ListenerNotFoundException", "One or more listeners not found");
          return { Listeners: found.map(listenerShape) };
        }
        if (!lbs.has(i.LoadBalancerArn)) throw awsError("LoadBalancerNotFoundException", "load balancer not found");
        return { Listeners: [...listeners.values()].filter((l) => l.lbArn === i.LoadBalancerArn).map(listenerShape) };
      },
      ModifyListener: (i) => { Object.assign(listeners.get(i.ListenerArn), { port: i.Port, targetGroupArn: i.DefaultActions[0].TargetGroupArn }); },
      DeleteListener: (i) => {
        if (!listeners.has(i.ListenerArn)) throw awsError("ListenerNotFoundException", "listener not found");
        listeners.delete(i.ListenerArn);
      },
      DescribeTargetHealth: (i) => ({
        TargetHealthDescriptions: [...this.ecs.tasks.values()]
          .filter((t) => t.group && t.lastStatus !== "STOPPED" && this.serviceTargetGroup(t) === i.TargetGroupArn)
          .map((t) => ({ Target: { Id: t.ip, Port: 8000 }, TargetHealth: this.targetHealth(t) })),
      }),
    };
  }

  private serviceTargetGroup(t: Task): string | undefined {
    const svc = [...this.ecs.services.values()].find((s) => `service:${s.name}` === t.group);
    return svc?.loadBalancers?.[0]?.targetGroupArn;
  }

  private targetHealth(t: Task): Any {
    const now = this.clock.now();
    if (t.lastStatus !== "RUNNING") return { State: "initial", Reason: "Elb.RegistrationInProgress" };
    if (t.behavior === "http400") return { State: "unhealthy", Reason: "Target.ResponseCodeMismatch", Description: "Health checks failed with these codes: [400]" };
    if (now < t.createdAt + LATENCY.taskRunning + LATENCY.targetHealthy) return { State: "initial", Reason: "Elb.InitialHealthChecking" };
    return { State: "healthy" };
  }

  // ---------------------------------------------------------------- RDS
  private rdsHandlers(): Record<string, (i: Any) => Any> {
    const { subnetGroups, instances } = this.rds;
    const sgShape = (g: Any) => ({ DBSubnetGroupName: g.name, DBSubnetGroupArn: g.arn, VpcId: g.vpcId, Subnets: g.subnets.map((s: string) => ({ SubnetIdentifier: s, SubnetAvailabilityZone: { Name: this.ec2.subnets.get(s)?.az } })) });
    const dbShape = (d: Any) => ({
      DBInstanceIdentifier: d.id, DBInstanceArn: d.arn, DBInstanceStatus: d.status, Engine: d.engine, EngineVersion: d.engineVersion, DBInstanceClass: d.instanceClass,
      StorageType: d.storageType, AllocatedStorage: d.allocatedStorage, BackupRetentionPeriod: d.backup, MultiAZ: d.multiAz, PubliclyAccessible: d.public, StorageEncrypted: d.encrypted,
      AvailabilityZone: d.az, DBSubnetGroup: { DBSubnetGroupName: d.subnetGroup }, VpcSecurityGroups: d.securityGroups.map((g: string) => ({ VpcSecurityGroupId: g, Status: "active" })),
      DBName: d.dbName, MasterUsername: d.username, Endpoint: d.endpoint ? { Address: d.endpoint, Port: 5432 } : undefined, TagList: this.tagList(d.tags),
    });
    const get = (id: string) => {
      const d = instances.get(id);
      if (!d) throw awsError("DBInstanceNotFoundFault", `DBInstance ${id} not found.`);
      return d;
    };
    const transition = (d: Any, now: string, next: string, ms: number) => { d.status = now; d.nextStatus = next; d.readyAt = this.clock.now() + ms; };
    const requireAvailable = (d: Any) => { if (d.status !== "available") throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is not in available state (${d.status}).`); };
    return {
      DescribeDBEngineVersions: (i) => ({ DBEngineVersions: i.DBParameterGroupFamily === "postgres15" ? ["15.4", "15.8", "15.10"].map((v) => ({ Engine: "postgres", EngineVersion: v })) : [] }),
      CreateDBSubnetGroup: (i) => {
        if (subnetGroups.has(i.DBSubnetGroupName)) throw awsError("DBSubnetGroupAlreadyExistsFault", `DB Subnet Group ${i.DBSubnetGroupName} already exists`);
        // RDS sees EC2 with the same lag; it calls an unseen subnet invalid.
        const subs = i.SubnetIds.map((s: string) => this.ec2Get(this.ec2.subnets, s, "InvalidSubnet"));
        if (new Set(subs.map((s: Any) => s.az)).size < 2) throw awsError("DBSubnetGroupDoesNotCoverEnoughAZs", "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.");
        const g = { name: i.DBSubnetGroupName, arn: this.arn("rds", `subgrp:${i.DBSubnetGroupName}`), vpcId: subs[0].vpcId, subnets: i.SubnetIds, tags: this.fromUpper(i.Tags) };
        subnetGroups.set(g.name, g);
        return { DBSubnetGroup: sgShape(g) };
      },
      DescribeDBSubnetGroups: (i) => {
        const g = subnetGroups.get(i.DBSubnetGroupName);
        if (!g) throw awsError("DBSubnetGroupNotFoundFault", `DB Subnet group '${i.DBSubnetGroupName}' not found`);
        return { DBSubnetGroups: [sgShape(g)] };
      },
      ModifyDBSubnetGroup: (i) => { subnetGroups.get(i.DBSubnetGroupName).subnets = i.SubnetIds; },
      DeleteDBSubnetGroup: (i) => {
        if (!subnetGroups.has(i.DBSubnetGroupName)) throw awsError("DBSubnetGroupNotFoundFault", "not found");
        if ([...instances.values()].some((d) => d.subnetGroup === i.DBSubnetGroupName)) throw awsError("InvalidDBSubnetGroupStateFault", `Cannot delete the subnet group '${i.DBSubnetGroupName}' because at least one database instance is still using it.`);
        subnetGroups.delete(i.DBSubnetGroupName);
      },
      CreateDBInstance: (i) => {
        if (instances.has(i.DBInstanceIdentifier)) throw awsError("DBInstanceAlreadyExistsFault", "DB instance already exists");
        const g = subnetGroups.get(i.DBSubnetGroupName);
        if (!g) throw awsError("DBSubnetGroupNotFoundFault", `DB Subnet group '${i.DBSubnetGroupName}' not found`);
        for (const sg of i.VpcSecurityGroupIds) if (!this.ec2.sgs.has(sg)) throw awsError("InvalidParameterValue", `security group ${sg} not found`);
        const subnet = g.subnets.map((s: string) => this.ec2.subnets.get(s)).find((s: Any) => s.az === i.AvailabilityZone);
        if (!subnet) throw awsError("InvalidParameterCombination", `No subnet in ${i.AvailabilityZone} in the DB subnet group`);
        if (!/^15(\.\d+)?$/.test(i.EngineVersion)) throw awsError("InvalidParameterCombination", `Cannot find version ${i.EngineVersion} for postgres`);
        const d: Any = {
          id: i.DBInstanceIdentifier, arn: this.arn("rds", `db:${i.DBInstanceIdentifier}`), engine: i.Engine, engineVersion: i.EngineVersion.includes(".") ? i.EngineVersion : "15.10",
          instanceClass: i.DBInstanceClass, storageType: i.StorageType, allocatedStorage: i.AllocatedStorage, backup: i.BackupRetentionPeriod, multiAz: i.MultiAZ, public: i.PubliclyAccessible,
          encrypted: i.StorageEncrypted, az: i.AvailabilityZone, subnetGroup: i.DBSubnetGroupName, securityGroups: i.VpcSecurityGroupIds, dbName: i.DBName, username: i.MasterUsername,
          password: i.MasterUserPassword, tags: this.fromUpper(i.Tags),
        };
        d.eniId = this.addEni(d.arn, subnet.id, i.VpcSecurityGroupIds, false);
        transition(d, "creating", "available", LATENCY.rdsCreate);
        instances.set(d.id, d);
        return { DBInstance: dbShape(d) };
      },
      DescribeDBInstances: (i) => ({ DBInstances: i.DBInstanceIdentifier ? [dbShape(get(i.DBInstanceIdentifier))] : [...instances.values()].map(dbShape) }),
      ModifyDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        requireAvailable(d);
        const set: Record<string, string> = { DBInstanceClass: "instanceClass", StorageType: "storageType", AllocatedStorage: "allocatedStorage", BackupRetentionPeriod: "backup", MultiAZ: "multiAz", PubliclyAccessible: "public", VpcSecurityGroupIds: "securityGroups", MasterUserPassword: "password", EngineVersion: "engineVersion" };
        for (const [k, field] of Object.entries(set)) if (i[k] !== undefined) d[field] = i[k];
        transition(d, "modifying", "available", LATENCY.rdsModify);
        return { DBInstance: dbShape(d) };
      },
      AddTagsToResource: (i) => {
        const d = [...instances.values()].find((x) => x.arn === i.ResourceName);
        Object.assign(d.tags, this.fromUpper(i.Tags));
      },
      ListTagsForResource: (i) => {
        const x = [...instances.values(), ...subnetGroups.values()].find((v) => v.arn === i.ResourceName);
        return { TagList: this.tagList(x?.tags ?? {}) };
      },
      DeleteDBInstance: (i) => {
        const d = get(i.DBInstanceIdentifier);
        if (d.status === "deleting") throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is already being deleted.`);
        if (!["available", "stopped", "failed", "storage-full"].includes(d.status)) throw awsError("InvalidDBInstanceStateFault", `Instance ${d.id} is not in available state (${d.status}).`);
        if (!i.SkipFinalSnapshot) {
          if (!i.FinalDBSnapshotIdentifier) throw awsError("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
          this.rds.snapshots.push(i.FinalDBSnapshotIdentifier);
        }
        transition(d, "deleting", "deleted", LATENCY.rdsDelete);
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
    };
  }

  // ---------------------------------------------------------------- ECS
  private ecsHandlers(): Record<string, (i: Any) => Any> {
    const { clusters, taskDefs, services, tasks } = this.ecs;
    const clusterShape = (c: Any) => ({ clusterArn: c.arn, clusterName: c.name, status: c.status, tags: this.lowerTags(c.tags) });
    const tdShape = (t: Any) => ({ ...t.def, taskDefinitionArn: t.arn, revision: t.revision, status: t.status, tags: undefined });
    const cluster = (ref: string) => {
      const c = [...clusters.values()].find((x) => (x.name === ref || x.arn === ref) && x.status === "ACTIVE");
      if (!c) throw awsError("ClusterNotFoundException", "Cluster not found.");
      return c;
    };
    const taskDef = (ref: string) => {
      const t = ref.startsWith("arn:") ? taskDefs.get(ref) : ref.includes(":")
        ? [...taskDefs.values()].find((x) => `${x.def.family}:${x.revision}` === ref)
        : [...taskDefs.values()].filter((x) => x.def.family === ref && x.status === "ACTIVE").sort((a, b) => b.revision - a.revision)[0];
      if (!t) throw awsError("ClientException", "Unable to describe task definition.");
      return t;
    };
    const svcShape = (s: Any) => ({
      serviceArn: s.arn, serviceName: s.name, clusterArn: s.clusterArn, status: s.status, taskDefinition: s.taskDefinition, desiredCount: s.desiredCount,
      runningCount: s.deployments.reduce((n: number, d: Deployment) => n + d.runningCount, 0), pendingCount: s.deployments.reduce((n: number, d: Deployment) => n + d.pendingCount, 0),
      launchType: "FARGATE", networkConfiguration: s.networkConfiguration, loadBalancers: s.loadBalancers, healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
      deploymentConfiguration: s.deploymentConfiguration, deployments: s.deployments.map((d: Deployment) => ({ ...d, failedTasks: d.failedTasks })),
      events: s.events.slice(-10).reverse(), tags: this.lowerTags(s.tags),
    });
    const startDeployment = (s: Any) => {
      for (const d of s.deployments) d.status = "ACTIVE";
      const d: Deployment = { id: this.id("ecs-svc"), status: "PRIMARY", taskDefinition: s.taskDefinition, desiredCount: s.desiredCount, rolloutState: "IN_PROGRESS", createdAt: this.clock.now(), failedTasks: 0, runningCount: 0, pendingCount: 0 };
      s.deployments.unshift(d);
      this.tickService(s, this.clock.now());
    };
    return {
      CreateCluster: (i) => {
        let c = [...clusters.values()].find((x) => x.name === i.clusterName && x.status === "ACTIVE");
        if (!c) {
          c = { arn: this.arn("ecs", `cluster/${i.clusterName}`), name: i.clusterName, status: "ACTIVE", tags: this.fromLower(i.tags) };
          clusters.set(c.arn, c);
        }
        return { cluster: clusterShape(c) };
      },
      DescribeClusters: (i) => ({ clusters: i.clusters.flatMap((n: string) => [...clusters.values()].filter((c) => c.name === n || c.arn === n).map(clusterShape)) }),
      DeleteCluster: (i) => {
        const c = cluster(i.cluster);
        if ([...services.values()].some((s) => s.clusterArn === c.arn && s.status !== "INACTIVE")) throw awsError("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
        c.status = "INACTIVE";
        return { cluster: clusterShape(c) };
      },
      RegisterTaskDefinition: (i) => {
        if (i.requiresCompatibilities?.includes("FARGATE")) {
          if (i.networkMode !== "awsvpc") throw awsError("ClientException", "Fargate requires task definition to have networkMode awsvpc.");
          if (!fargateMemoryOptions(Number(i.cpu)).includes(Number(i.memory))) throw awsError("ClientException", "No Fargate configuration exists for given values.");
        }
        const revision = [...taskDefs.values()].filter((t) => t.def.family === i.family).length + 1;
        const arn = this.arn("ecs", `task-definition/${i.family}:${revision}`);
        const { tags, ...def } = i;
        const t = { arn, revision, status: "ACTIVE", def, tags: this.fromLower(tags) };
        taskDefs.set(arn, t);
        return { taskDefinition: tdShape(t), tags };
      },
      DescribeTaskDefinition: (i) => { const t = taskDef(i.taskDefinition); return { taskDefinition: tdShape(t), tags: i.include?.includes("TAGS") ? this.lowerTags(t.tags) : undefined }; },
      DeregisterTaskDefinition: (i) => { const t = taskDef(i.taskDefinition); t.status = "INACTIVE"; return { taskDefinition: tdShape(t) }; },
      ListTaskDefinitions: (i) => ({ taskDefinitionArns: [...taskDefs.values()].filter((t) => t.def.family === i.familyPrefix && (!i.status || t.status === i.status)).map((t) => t.arn) }),
      CreateService: (i) => {
        const c = cluster(i.cluster);
        const td = taskDef(i.taskDefinition);
        const token = i.clientToken && this.ecs.serviceTokens.get(i.clientToken);
        if (token) return { service: svcShape(services.get(token)) };
        const existing = [...services.values()].find((s) => s.name === i.serviceName && s.clusterArn === c.arn && s.status !== "INACTIVE");
        if (existing) throw awsError("InvalidParameterException", "Creation of service was not idempotent.");
        const lb = i.loadBalancers?.[0];
        if (lb) {
          const tg = this.elb.tgs.get(lb.targetGroupArn);
          if (!tg) throw awsError("InvalidParameterException", "Unable to find target group.");
          if (td.def.networkMode === "awsvpc" && tg.targetType !== "ip") throw awsError("InvalidParameterException", `The provided target group ${tg.arn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`);
          if (![...this.elb.listeners.values()].some((l) => l.targetGroupArn === tg.arn)) throw awsError("InvalidParameterException", `The target group with targetGroupArn ${tg.arn} does not have an associated load balancer.`);
        }
        for (const s of i.networkConfiguration?.awsvpcConfiguration?.subnets ?? []) this.ec2Get(this.ec2.subnets, s, "InvalidParameterException");
        const arn = this.arn("ecs", `service/${c.name}/${i.serviceName}`);
        const s = {
          arn, name: i.serviceName, clusterArn: c.arn, status: "ACTIVE", taskDefinition: td.arn, desiredCount: i.desiredCount ?? 0, networkConfiguration: i.networkConfiguration,
          loadBalancers: i.loadBalancers ?? [], healthCheckGracePeriodSeconds: i.healthCheckGracePeriodSeconds, deploymentConfiguration: i.deploymentConfiguration, deployments: [] as Deployment[],
          events: [] as Any[], tags: this.fromLower(i.tags), inactiveAt: 0,
        };
        services.set(arn, s);
        if (i.clientToken) this.ecs.serviceTokens.set(i.clientToken, arn);
        startDeployment(s);
        return { service: svcShape(s) };
      },
      DescribeServices: (i) => {
        const c = cluster(i.cluster);
        const found = i.services.map((n: string) => [...services.values()].filter((s) => (s.name === n || s.arn === n) && s.clusterArn === c.arn).sort((a, b) => (a.status === "INACTIVE" ? 1 : 0) - (b.status === "INACTIVE" ? 1 : 0))[0]);
        return { services: found.filter(Boolean).map(svcShape), failures: found.filter((x: Any) => !x).map(() => ({ reason: "MISSING" })) };
      },
      UpdateService: (i) => {
        const c = cluster(i.cluster);
        const s = [...services.values()].find((x) => (x.name === i.service || x.arn === i.service) && x.clusterArn === c.arn && x.status === "ACTIVE");
        if (!s) throw awsError("ServiceNotActiveException", "Service was not ACTIVE.");
        const before = JSON.stringify([s.taskDefinition, s.networkConfiguration]);
        if (i.taskDefinition) s.taskDefinition = taskDef(i.taskDefinition).arn;
        for (const k of ["networkConfiguration", "healthCheckGracePeriodSeconds", "deploymentConfiguration"]) if (i[k] !== undefined) s[k] = i[k];
        const countChanged = i.desiredCount !== undefined && i.desiredCount !== s.desiredCount;
        if (i.desiredCount !== undefined) s.desiredCount = i.desiredCount;
        if (before !== JSON.stringify([s.taskDefinition, s.networkConfiguration]) || i.forceNewDeployment) startDeployment(s);
        else if (countChanged) { s.deployments[0].desiredCount = s.desiredCount; s.deployments[0].rolloutState = "IN_PROGRESS"; this.tickService(s, this.clock.now()); }
        return { service: svcShape(s) };
      },
      DeleteService: (i) => {
        const c = cluster(i.cluster);
        const s = [...services.values()].find((x) => (x.name === i.service || x.arn === i.service) && x.clusterArn === c.arn && x.status !== "INACTIVE");
        if (!s) throw awsError("ServiceNotFoundException", "Service not found.");
        if (s.status === "DRAINING") throw awsError("ServiceNotActiveException", "Service was not ACTIVE.");
        if (s.desiredCount > 0 && !i.force) throw awsError("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.");
        s.status = "DRAINING";
        s.desiredCount = 0;
        s.inactiveAt = this.clock.now() + LATENCY.serviceDrain;
        for (const t of tasks.values()) if (t.group === `service:${s.name}` && t.lastStatus !== "STOPPED") this.stopTask(t, "Service deleted", 0);
        return { service: svcShape(s) };
      },
      ListTasks: (i) => ({
        taskArns: [...tasks.values()].filter((t) => (!i.serviceName || t.group === `service:${i.serviceName}`) && (!i.desiredStatus || t.desiredStatus === i.desiredStatus) && (!i.startedBy || t.startedBy === i.startedBy)).map((t) => t.arn),
      }),
      DescribeTasks: (i) => ({
        tasks: i.tasks.map((a: string) => tasks.get(a)).filter(Boolean).map((t: Task) => ({
          taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, stoppedReason: t.stoppedReason, startedBy: t.startedBy, group: t.group,
          containers: [{ name: "web", exitCode: t.exitCode, lastStatus: t.lastStatus, reason: t.behavior === "missing" ? "CannotPullContainerError: image not found" : undefined }],
          attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: t.ip }] }],
        })),
        failures: [],
      }),
      RunTask: (i) => {
        const c = cluster(i.cluster);
        const td = taskDef(i.taskDefinition);
        const command = i.overrides?.containerOverrides?.[0]?.command;
        const t = this.launchTask(td, c.name, { startedBy: i.startedBy, command });
        return { tasks: [{ taskArn: t.arn, lastStatus: t.lastStatus }], failures: [] };
      },
      StopTask: (i) => { const t = tasks.get(i.task); if (t) this.stopTask(t, i.reason ?? "Task stopped by user", 137); return { task: { taskArn: i.task } }; },
    };
  }

  /** What the image a task definition names does when run. */
  imageBehavior(image: string): ImageBehavior | "missing" {
    const [repoUri, tag] = [image.slice(0, image.lastIndexOf(":")), image.slice(image.lastIndexOf(":") + 1)];
    const repo = [...this.ecr.repos.values()].find((r) => r.uri === repoUri);
    if (!repo) return "missing";
    return repo.images.get(tag)?.behavior ?? "missing";
  }

  private launchTask(td: Any, clusterName: string, extra: { startedBy?: string; group?: string; deploymentId?: string; command?: string[] }): Task {
    const id = (this.seq++).toString(16).padStart(32, "0");
    const behavior = this.imageBehavior(td.def.containerDefinitions[0].image);
    const t: Task = {
      arn: this.arn("ecs", `task/${clusterName}/${id}`), id, taskDefinitionArn: td.arn, createdAt: this.clock.now(), lastStatus: "PROVISIONING", desiredStatus: "RUNNING",
      ip: `10.0.1.${(this.seq % 250) + 2}`, behavior, cluster: clusterName, ...extra,
    };
    const group = this.logs.groups.get(td.def.containerDefinitions[0].logConfiguration?.options?.["awslogs-group"]);
    const log = (msg: string, at: number) => group?.events.push({ logStreamName: `web/web/${id}`, timestamp: at, message: msg });
    if (behavior === "missing") {
      t.stopAt = t.createdAt + LATENCY.taskExit;
      t.stoppedReason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): image not found";
    } else if (extra.command) {
      const fails = extra.command.join(" ").includes("fail");
      t.stopAt = t.createdAt + LATENCY.taskRunning + LATENCY.taskExit;
      t.exitCode = fails ? 1 : 0;
      t.stoppedReason = "Essential container in task exited";
      log(`running ${extra.command.join(" ")}`, t.createdAt + LATENCY.taskRunning);
      log(fails ? "django.db.utils.OperationalError: migration failed" : "Operations to perform: done", t.stopAt);
    } else if (behavior === "crash") {
      t.stopAt = t.createdAt + LATENCY.taskRunning + LATENCY.taskExit;
      t.exitCode = 1;
      t.stoppedReason = "Essential container in task exited";
      log("django.core.exceptions.ImproperlyConfigured: crash on start", t.stopAt);
    } else {
      log(`[INFO] Listening at: http://0.0.0.0:8000`, t.createdAt + LATENCY.taskRunning);
      if (behavior === "http400") {
        t.stopAt = t.createdAt + LATENCY.taskRunning + LATENCY.targetHealthy;
        t.exitCode = 0;
        t.stoppedReason = "Task failed ELB health checks in (target-group)";
        log(`Invalid HTTP_HOST header: '${t.ip}:8000'. You may need to add '${t.ip}' to ALLOWED_HOSTS.`, t.createdAt + LATENCY.taskRunning + 30_000);
      }
    }
    this.ecs.tasks.set(t.arn, t);
    return t;
  }

  private stopTask(t: Task, reason: string, exitCode?: number): void {
    t.lastStatus = "STOPPED";
    t.desiredStatus = "STOPPED";
    t.stoppedReason = reason;
    if (exitCode !== undefined) t.exitCode = exitCode;
  }

  /** Rolls a service's deployments forward on the clock, with the circuit breaker's rollback. */
  tickService(s: Any, now: number): void {
    if (s.status !== "ACTIVE") return;
    const primary: Deployment | undefined = s.deployments[0];
    if (!primary) return;
    const group = `service:${s.name}`;
    const live = () => [...this.ecs.tasks.values()].filter((t) => t.group === group && t.deploymentId === primary.id && t.lastStatus !== "STOPPED");
    const td = this.ecs.taskDefs.get(primary.taskDefinition);
    // Count failed tasks of the primary; replace them while the breaker allows.
    primary.failedTasks = [...this.ecs.tasks.values()].filter((t) => t.deploymentId === primary.id && t.lastStatus === "STOPPED" && t.stoppedReason !== "Service deleted" && t.stoppedReason !== "Scaled in").length;
    if (primary.rolloutState === "IN_PROGRESS" && primary.failedTasks >= 3 && s.deploymentConfiguration?.deploymentCircuitBreaker?.enable) {
      primary.rolloutState = "FAILED";
      primary.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
      s.events.push({ createdAt: new Date(now), message: `(service ${s.name}) (deployment ${primary.id}) deployment failed: tasks failed to start.` });
      const previous = s.deployments.find((d: Deployment) => d !== primary && d.rolloutState === "COMPLETED");
      if (s.deploymentConfiguration.deploymentCircuitBreaker.rollback && previous) {
        for (const t of live()) this.stopTask(t, "Scaled in", 0);
        // Rollback: a new PRIMARY deployment with the last good task definition; the failed one goes away.
        s.taskDefinition = previous.taskDefinition;
        s.deployments = s.deployments.filter((d: Deployment) => d !== primary);
        for (const d of s.deployments) d.status = "ACTIVE";
        const rb: Deployment = { id: this.id("ecs-svc"), status: "PRIMARY", taskDefinition: previous.taskDefinition, desiredCount: s.desiredCount, rolloutState: "IN_PROGRESS", createdAt: now, failedTasks: 0, runningCount: 0, pendingCount: 0 };
        s.deployments.unshift(rb);
        this.tickService(s, now);
      }
      return;
    }
    if (primary.rolloutState === "FAILED") return;
    let running = live();
    while (running.length < s.desiredCount && td) {
      this.launchTask(td, s.clusterArn.split("/").pop(), { group, deploymentId: primary.id, startedBy: `ecs-svc/${primary.id}` });
      running = live();
    }
    for (const t of running.slice(s.desiredCount)) this.stopTask(t, "Scaled in", 0);
    running = live();
    primary.desiredCount = s.desiredCount;
    primary.runningCount = running.filter((t) => t.lastStatus === "RUNNING").length;
    primary.pendingCount = running.length - primary.runningCount;
    const healthy = running.filter((t) => this.targetHealth(t).State === "healthy" || !s.loadBalancers.length && t.lastStatus === "RUNNING").length;
    if (primary.rolloutState === "IN_PROGRESS" && healthy >= s.desiredCount) {
      primary.rolloutState = "COMPLETED";
      primary.rolloutStateReason = "ECS deployment completed.";
      for (const old of s.deployments.slice(1)) for (const t of [...this.ecs.tasks.values()].filter((x) => x.deploymentId === old.id && x.lastStatus !== "STOPPED")) this.stopTask(t, "Scaled in", 0);
      s.deployments = [primary];
      s.events.push({ createdAt: new Date(now), message: `(service ${s.name}) has reached a steady state.` });
    }
  }

  // ---------------------------------------------------------------- ECR
  private ecrHandlers(): Record<string, (i: Any) => Any> {
    const { repos } = this.ecr;
    const shape = (r: Any) => ({ repositoryName: r.name, repositoryArn: r.arn, repositoryUri: r.uri, registryId: this.account, imageScanningConfiguration: { scanOnPush: r.scanOnPush } });
    const get = (name: string) => { const r = repos.get(name); if (!r) throw awsError("RepositoryNotFoundException", `The repository with name '${name}' does not exist in the registry with id '${this.account}'`); return r; };
    return {
      CreateRepository: (i) => {
        if (repos.has(i.repositoryName)) throw awsError("RepositoryAlreadyExistsException", `The repository with name '${i.repositoryName}' already exists`);
        const r = { name: i.repositoryName, arn: this.arn("ecr", `repository/${i.repositoryName}`), uri: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${i.repositoryName}`, scanOnPush: i.imageScanningConfiguration?.scanOnPush ?? false, policy: undefined as string | undefined, images: new Map<string, { behavior: ImageBehavior }>(), tags: this.fromUpper(i.tags) };
        repos.set(r.name, r);
        return { repository: shape(r) };
      },
      DescribeRepositories: (i) => ({ repositories: (i.repositoryNames ?? [...repos.keys()]).map((n: string) => shape(get(n))) }),
      PutLifecyclePolicy: (i) => { get(i.repositoryName).policy = i.lifecyclePolicyText; return { repositoryName: i.repositoryName }; },
      GetLifecyclePolicy: (i) => {
        const r = get(i.repositoryName);
        if (!r.policy) throw awsError("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist");
        return { lifecyclePolicyText: r.policy };
      },
      PutImageScanningConfiguration: (i) => { get(i.repositoryName).scanOnPush = i.imageScanningConfiguration.scanOnPush; },
      ListTagsForResource: (i) => ({ tags: this.tagList([...repos.values()].find((r) => r.arn === i.resourceArn)?.tags ?? {}) }),
      DeleteRepository: (i) => {
        const r = get(i.repositoryName);
        if (r.images.size && !i.force) throw awsError("RepositoryNotEmptyException", "The repository cannot be deleted because it still contains images");
        repos.delete(r.name);
        return { repository: shape(r) };
      },
      DescribeImages: (i) => {
        const r = get(i.repositoryName);
        const ids = i.imageIds ?? [...r.images.keys()].map((t) => ({ imageTag: t }));
        for (const id of ids) if (!r.images.has(id.imageTag)) throw awsError("ImageNotFoundException", `The image with imageId {imageTag:'${id.imageTag}'} does not exist within the repository`);
        return { imageDetails: ids.map((id: Any) => ({ repositoryName: r.name, imageTags: [id.imageTag], imageDigest: `sha256:${id.imageTag}` })) };
      },
    };
  }

  /** What GET http://<alb-dns>/... answers: 200 once a healthy target of a working image serves it. */
  async httpGet(url: string): Promise<number> {
    this.tick();
    const host = new URL(url).host;
    const lb = [...this.elb.lbs.values()].find((l) => l.dns === host);
    if (!lb || lb.state !== "active") throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    const tgArns = [...this.elb.listeners.values()].filter((l) => l.lbArn === lb.arn).map((l) => l.targetGroupArn);
    const healthy = [...this.ecs.tasks.values()].filter((t) => t.group && t.lastStatus === "RUNNING" && tgArns.includes(this.serviceTargetGroup(t)) && this.targetHealth(t).State === "healthy");
    return healthy.length ? (this.httpDown ? 503 : 200) : 503;
  }
  /** Makes a healthy app answer 503 anyway (a health check that fails after the rollout). */
  httpDown = false;

  /** Test helper: what `docker push` would have done. */
  pushImage(repository: string, tag: string, behavior: ImageBehavior = "ok"): string {
    const r = this.ecr.repos.get(repository);
    if (!r) throw new Error(`fake: no repository ${repository}`);
    r.images.set(tag, { behavior });
    return `${r.uri}:${tag}`;
  }

  // ---------------------------------------------------------------- Logs
  private logsHandlers(): Record<string, (i: Any) => Any> {
    const { groups } = this.logs;
    const allowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
    return {
      CreateLogGroup: (i) => {
        if (groups.has(i.logGroupName)) throw awsError("ResourceAlreadyExistsException", "The specified log group already exists");
        groups.set(i.logGroupName, { name: i.logGroupName, arn: this.arn("logs", `log-group:${i.logGroupName}`), retention: undefined as number | undefined, tags: { ...(i.tags ?? {}) }, events: [] as Any[] });
      },
      PutRetentionPolicy: (i) => {
        const g = groups.get(i.logGroupName);
        if (!g) throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
        if (!allowed.includes(i.retentionInDays)) throw awsError("InvalidParameterException", "1 validation error detected: retentionInDays");
        g.retention = i.retentionInDays;
      },
      DescribeLogGroups: (i) => ({ logGroups: [...groups.values()].filter((g) => g.name.startsWith(i.logGroupNamePrefix ?? "")).map((g) => ({ logGroupName: g.name, arn: `${g.arn}:*`, retentionInDays: g.retention })) }),
      ListTagsForResource: (i) => ({ tags: [...groups.values()].find((g) => g.arn === i.resourceArn)?.tags ?? {} }),
      DeleteLogGroup: (i) => {
        if (!groups.delete(i.logGroupName)) throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
      },
      FilterLogEvents: (i) => {
        const g = groups.get(i.logGroupName);
        if (!g) throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
        const events = g.events
          .filter((e: Any) => e.timestamp <= this.clock.now() && (i.startTime === undefined || e.timestamp >= i.startTime) && (!i.logStreamNames || i.logStreamNames.includes(e.logStreamName)))
          .sort((a: Any, b: Any) => a.timestamp - b.timestamp);
        return { events: events.map((e: Any, n: number) => ({ ...e, eventId: String(n) })) };
      },
    };
  }

  // ---------------------------------------------------------------- IAM
  private iamHandlers(): Record<string, (i: Any) => Any> {
    const { roles } = this.iam;
    const get = (name: string) => { const r = roles.get(name); if (!r) throw awsError("NoSuchEntityException", `The role with name ${name} cannot be found.`); return r; };
    const shape = (r: Any) => ({ RoleName: r.name, Arn: r.arn, AssumeRolePolicyDocument: encodeURIComponent(r.trust), Tags: this.tagList(r.tags), Path: "/", RoleId: "AROA", CreateDate: new Date(0) });
    return {
      CreateRole: (i) => {
        if (roles.has(i.RoleName)) throw awsError("EntityAlreadyExistsException", `Role with name ${i.RoleName} already exists.`);
        const r = { name: i.RoleName, arn: `arn:aws:iam::${this.account}:role/${i.RoleName}`, trust: i.AssumeRolePolicyDocument, policies: new Set<string>(), tags: this.fromUpper(i.Tags) };
        roles.set(r.name, r);
        return { Role: shape(r) };
      },
      GetRole: (i) => ({ Role: shape(get(i.RoleName)) }),
      UpdateAssumeRolePolicy: (i) => { get(i.RoleName).trust = i.PolicyDocument; },
      AttachRolePolicy: (i) => { get(i.RoleName).policies.add(i.PolicyArn); },
      DetachRolePolicy: (i) => {
        const r = get(i.RoleName);
        if (!r.policies.delete(i.PolicyArn)) throw awsError("NoSuchEntityException", `Policy ${i.PolicyArn} was not found.`);
      },
      ListAttachedRolePolicies: (i) => ({ AttachedPolicies: [...get(i.RoleName).policies].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split("/").pop() })) }),
      DeleteRole: (i) => {
        const r = get(i.RoleName);
        if (r.policies.size) throw awsError("DeleteConflictException", "Cannot delete entity, must detach all policies first.");
        roles.delete(r.name);
      },
    };
  }
}
