/**
 * A stateful fake of the AWS APIs spontime-infra calls, on aws-sdk-client-mock, with latencies on a virtual
 * clock. It models what real AWS enforces for this stack, so that tests fail where AWS would; each service
 * lives in its own file (ec2.ts, elbv2.ts, rds.ts, ecs.ts with tasks.ts, ecr.ts, logs.ts, iam.ts) and says
 * what it models. It keeps its own rules and imports nothing from the product but types: a test that shares
 * the product's assumptions could not catch the product's mistakes.
 *
 * This file is the account: the state of every service (plain data, so `snapshot` can clone it), the wiring
 * onto the SDK clients, the call log, faults (a share of calls fail with throttling or 5xx) and crash points
 * (the process "dies" after the k-th mutating call: the call takes effect, its response never arrives, every
 * later call dies too).
 */
import { mockClient } from "aws-sdk-client-mock";
import type { VirtualClock } from "./clock.js";
import { awsError, CrashError, LATENCY, type CallContext, type Service, type Tags } from "./common.js";
import { ec2Service, emptyEc2, type Ec2State } from "./ec2.js";
import { elbService, emptyElb, type ElbState } from "./elbv2.js";
import { rdsService, emptyRds, type RdsState } from "./rds.js";
import { ecsService, emptyEcs, type EcsState } from "./ecs.js";
import { ecrService, emptyEcr, pushImage, type EcrState, type ImageBehavior } from "./ecr.js";
import { logsService, emptyLogs, type LogsState } from "./logs.js";
import { iamService, emptyIam, type IamState } from "./iam.js";
import { s3Service, emptyS3, type S3State } from "./s3.js";
import { ssmService, emptySsm, type SsmState } from "./ssm.js";
import { stsService } from "./sts.js";
import { httpGet, tickEcs } from "./tasks.js";
import { emptyScheduler, passTime, schedulerService, type SchedulerState } from "./scheduler.js";
import { acmService, emptyAcm, tickAcm, type AcmState } from "./acm.js";
import { emptyRoute53, fqdn, route53Service, type Route53State } from "./route53.js";

export { awsError, CrashError, LATENCY } from "./common.js";
export type { ImageBehavior } from "./ecr.js";

export interface FakeOptions {
  region?: string;
  /** Share of calls that fail with throttling or a 5xx before taking effect. */
  faultRate?: number;
  /** Share of EC2 id lookups that answer NotFound within 5 s of the resource's creation. */
  eventualConsistency?: number;
  /** Deterministic randomness for faults. */
  seed?: number;
  /** A brand-new account: no ECS service-linked role yet. */
  newAccount?: boolean;
  /** AZs (letter suffixes) that do not offer a DB instance class, e.g. `{ "db.t4g.micro": ["a"] }`. */
  dbClassMissingIn?: Record<string, string[]>;
  /** Who the credentials belong to (GetCallerIdentity's Arn); an IAM user by default. */
  callerArn?: string;
  /** IAM actions (`service:Action`) the caller's policies do not allow, as SimulatePrincipalPolicy reports them. */
  deniedActions?: string[];
  /**
   * IAM actions the caller's policies allow only under a condition, by the context keys it reads (a tag
   * condition such as `aws:ResourceTag/spontime:stack`): the simulator, given no such context, cannot say.
   */
  conditionalActions?: Record<string, string[]>;
}

/** Everything the account holds: plain data (Maps, Sets, Dates), so `structuredClone` copies it whole. */
export interface FakeState {
  seq: number; rng: number; ec2: Ec2State; elb: ElbState; rds: RdsState; ecs: EcsState; ecr: EcrState; logs: LogsState; iam: IamState; acm: AcmState; route53: Route53State; scheduler: SchedulerState; s3: S3State; ssm: SsmState;
  /** DNS outside the account (the user's DNS provider): name → CNAME target, as a test adds it. */
  publicDns: Map<string, string>;
}

/** The account as it was at one instant of the virtual clock; see `snapshot` and `fromSnapshot`. */
export interface FakeSnapshot { at: number; state: FakeState; options: FakeOptions }

export interface Call { service: string; op: string; input: unknown; at: number; mutating: boolean }

export class FakeAws {
  readonly calls: Call[] = [];
  readonly region: string;
  readonly account = "123456789012";
  state: FakeState;
  faultRate: number;
  faultsInjected = 0;
  eventualConsistency: number;
  /** The mutation count whose answer is lost; see `loseResponse`. */
  private loseAt?: number;
  /** The mutation count at which the "process" dies; see `armCrash`. */
  private crashAt?: number;
  private onCrash?: () => void;
  crashed = false;
  private mutations = 0;
  /** Runs right after the n-th mutating call takes effect, before its answer leaves: where `armCrash(n)` would kill the run. */
  onMutation?: (n: number) => void;
  /** Sees every call as it arrives (after latency), e.g. to interrupt a run at a given point. */
  onCall?: (op: string, input: unknown) => void;
  /** Answers an error instead of running the call, e.g. AccessDenied on one operation. */
  failWith?: (op: string, input: unknown) => Error | undefined;
  /** Makes a healthy app answer 503 anyway (a health check that fails after the rollout). */
  httpDown = false;
  /**
   * How long DescribeServices keeps showing a service as it was before a new deployment: the ECS API is
   * eventually consistent (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html), and a
   * read right after UpdateService can miss the deployment it started.
   */
  deploymentListingLagMs = 0;
  /** The page size of the list calls that page (common.ts `page`), smaller than AWS's to test the loops that follow NextToken. */
  pageSize: number | undefined;
  private mocks: { restore(): void }[] = [];

  constructor(readonly clock: VirtualClock, private readonly options: FakeOptions = {}, state?: FakeState) {
    this.region = options.region ?? "us-east-1";
    this.faultRate = options.faultRate ?? 0;
    this.eventualConsistency = options.eventualConsistency ?? 0;
    this.deniedActions = options.deniedActions ?? [];
    this.state = state ?? { seq: 1, rng: options.seed ?? 42, ec2: emptyEc2(), elb: emptyElb(), rds: emptyRds(), ecs: emptyEcs(), ecr: emptyEcr(), logs: emptyLogs(), iam: emptyIam(), acm: emptyAcm(), route53: emptyRoute53(), publicDns: new Map(), scheduler: emptyScheduler(), s3: emptyS3(), ssm: emptySsm() };
  }

  /** The region's AZs, as DescribeAvailabilityZones lists them. */
  get azs(): string[] { return ["a", "b", "c", "d"].map((s) => `${this.region}${s}`); }
  zonesWithout(dbClass: string): string[] { return (this.options.dbClassMissingIn?.[dbClass] ?? []).map((s) => `${this.region}${s}`); }
  get newAccount(): boolean { return this.options.newAccount ?? false; }
  /**
   * The partition of the account's region: `aws-cn` in China, `aws-us-gov` in GovCloud
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). ARNs of another partition name nothing here.
   */
  get partition(): string { return this.region.startsWith("cn-") ? "aws-cn" : this.region.startsWith("us-gov-") ? "aws-us-gov" : "aws"; }
  get callerArn(): string { return this.options.callerArn ?? `arn:${this.partition}:iam::${this.account}:user/operator`; }
  /** What the caller's policies leave out; a test may change it between runs (a policy edited meanwhile). */
  deniedActions: string[];
  get conditionalActions(): Record<string, string[]> { return this.options.conditionalActions ?? {}; }

  get ec2(): Ec2State { return this.state.ec2; }
  get elb(): ElbState { return this.state.elb; }
  get rds(): RdsState { return this.state.rds; }
  get ecs(): EcsState { return this.state.ecs; }
  get ecr(): EcrState { return this.state.ecr; }
  get logs(): LogsState { return this.state.logs; }
  get iam(): IamState { return this.state.iam; }
  get scheduler(): SchedulerState { return this.state.scheduler; }
  get s3(): S3State { return this.state.s3; }

  /** Lets virtual time pass with the account's schedules firing (inside `clock.run`); see scheduler.ts. */
  passTime(ms: number): Promise<void> { return passTime(this, ms); }
  get acm(): AcmState { return this.state.acm; }
  get route53(): Route53State { return this.state.route53; }

  /** Test helper: a hosted zone in the account (what the user made, or Route 53 Domains made on registration); public unless `private`. */
  createHostedZone(name: string, options: { private?: boolean } = {}): string {
    const id = `Z${this.nextSeq().toString().padStart(12, "0")}`;
    this.route53.zones.set(id, { id, name: fqdn(name), records: [], ...(options.private ? { private: true } : {}) });
    return id;
  }

  /** Test helper: the user adds a CNAME at a DNS provider outside AWS. */
  addPublicCname(name: string, value: string): void { this.state.publicDns.set(fqdn(name), fqdn(value)); }

  /** What a resolver answers for a CNAME: from the account's zones (taken as delegated), else DNS elsewhere. */
  resolveCname(name: string): string | undefined {
    for (const z of this.route53.zones.values()) {
      const r = z.records.find((x) => x.Name === fqdn(name) && x.Type === "CNAME");
      if (r) return r.ResourceRecords?.[0]?.Value;
    }
    return this.state.publicDns.get(fqdn(name));
  }

  /** The host an HTTP client reaches for `host`: an alias A record in the account's zones leads to its ALB's name. */
  resolveHost(host: string): string {
    for (const z of this.route53.zones.values()) {
      const r = z.records.find((x) => x.Name === fqdn(host) && x.Type === "A" && x.AliasTarget);
      if (r) return r.AliasTarget!.DNSName.replace(/\.$/, "");
    }
    return this.state.publicDns.get(fqdn(host))?.replace(/\.$/, "") ?? host;
  }

  /** A deep copy of the account now: restore it with `fromSnapshot` instead of rebuilding a stack call by call. */
  snapshot(): FakeSnapshot {
    return structuredClone({ at: this.clock.now(), state: this.state, options: this.options });
  }

  /** A fresh account holding a snapshot's resources; `clock` must stand at the snapshot's time or later. */
  static fromSnapshot(clock: VirtualClock, snap: FakeSnapshot): FakeAws {
    if (clock.now() < snap.at) throw new Error(`fake: the clock (${clock.now()}) is behind the snapshot (${snap.at}); start it with new VirtualClock(snapshot.at)`);
    return new FakeAws(clock, snap.options, structuredClone(snap.state));
  }

  /**
   * The process dies right after the k-th mutating call from now takes effect; `onCrash` runs at that instant.
   * A write AWS refuses (DependencyViolation, ...) changes nothing, so it is no crash point, though
   * `mutatingCalls` lists it.
   */
  armCrash(k: number, onCrash?: () => void): void {
    this.crashAt = this.mutations + k;
    this.onCrash = onCrash;
  }

  /**
   * The k-th mutating call from now takes effect at AWS but its answer is lost on the way back, so the SDK
   * sends the same call again (it retries network errors for every operation:
   * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html) and the caller gets the
   * second answer: "already exists", or for a create without an idempotency token, a second resource.
   */
  loseResponse(k: number): void {
    this.loseAt = this.mutations + k;
  }

  /** The answer of the next claim call `op` (PutParameter, DeleteParameter) is lost and the call sent again, as `loseResponse` does. */
  loseClaimAnswer(op: string): void { this.claimAnswersLost.add(op); }
  private readonly claimAnswersLost = new Set<string>();

  /** A new process starts: calls work again. */
  disarm(): void {
    this.crashAt = undefined;
    this.crashed = false;
  }

  /** Deterministic pseudo-random in [0, 1). */
  rng(): number {
    this.state.rng = (this.state.rng * 1103515245 + 12345) % 2147483648;
    return this.state.rng / 2147483648;
  }

  id(prefix: string): string { return `${prefix}-${this.nextSeq().toString(16).padStart(8, "0")}`; }
  nextSeq(): number { return this.state.seq++; }
  arn(service: string, resource: string): string { return `arn:${this.partition}:${service}:${this.region}:${this.account}:${resource}`; }

  /** Calls the fake itself counts as changing the account (its own `writes` lists), whatever the product thinks. */
  mutatingCalls(): Call[] { return this.calls.filter((c) => c.mutating && !isClaimCall(c)); }
  /** The run's claim on the stack (SSM parameters under /spontime-infra/): bookkeeping of a run, as the state lock is, not a change to the stack. */
  claimCalls(): Call[] { return this.calls.filter(isClaimCall); }
  count(op: string): number { return this.calls.filter((c) => c.op === op).length; }

  /**
   * Resources still alive that carry the stack's tag, as `<service>:<resource type>:<id>` (the type as the
   * service's API reference names it): what a "nothing left" test counts, and, cut at the id (`kindOf`), the
   * inventory the tests compare with the registry's kinds.
   */
  taggedResources(app: string): string[] {
    return [...this.stackTags(app).keys()].sort();
  }

  /** The tags of each resource still alive that carries the stack's tag, by the name `taggedResources` gives it. */
  stackTags(app: string): Map<string, Tags> {
    const has = (v: { tags: Tags }) => v.tags["spontime:stack"] === app;
    const { ec2, elb, rds, ecs, ecr, logs, iam, acm } = this.state;
    const out = new Map<string, Tags>();
    const add = (name: string, v: { tags: Tags }) => { if (has(v)) out.set(name, v.tags); };
    for (const [kind, m] of Object.entries({ vpc: ec2.vpcs, "internet-gateway": ec2.igws, subnet: ec2.subnets, "route-table": ec2.routeTables, "security-group": ec2.sgs })) {
      for (const v of m.values()) add(`ec2:${kind}:${v.id}`, v);
    }
    for (const v of elb.lbs.values()) add(`elbv2:load-balancer:${v.name}`, v);
    for (const v of elb.tgs.values()) add(`elbv2:target-group:${v.name}`, v);
    for (const v of elb.listeners.values()) add(`elbv2:listener:${v.arn}`, v);
    for (const v of rds.subnetGroups.values()) add(`rds:db-subnet-group:${v.name}`, v);
    for (const v of rds.instances.values()) add(`rds:db-instance:${v.id}`, v);
    for (const v of ecs.clusters.values()) if (v.status === "ACTIVE") add(`ecs:cluster:${v.name}`, v);
    for (const v of ecs.services.values()) if (v.status !== "INACTIVE") add(`ecs:service:${v.name}`, v);
    // One entry per family with an active revision (its latest): deploys leave earlier revisions active, as ECS does.
    for (const v of [...ecs.taskDefs.values()].filter((t) => t.status === "ACTIVE").sort((a, b) => a.revision - b.revision)) add(`ecs:task-definition:${v.def.family}`, v);
    for (const v of ecr.repos.values()) add(`ecr:repository:${v.name}`, v);
    for (const v of logs.groups.values()) add(`logs:log-group:${v.name}`, v);
    for (const v of iam.roles.values()) add(`iam:role:${v.name}`, v);
    for (const v of this.state.scheduler.groups.values()) add(`scheduler:schedule-group:${v.name}`, v);
    for (const v of acm.certs.values()) add(`acm:certificate:${v.domain}`, v);
    return out;
  }

  // ---------------------------------------------------------------- wiring
  install(): this {
    const services: [string, Service<object>][] = [
      ["ec2", ec2Service(this)], ["elbv2", elbService(this)], ["rds", rdsService(this)], ["ecs", ecsService(this)],
      ["ecr", ecrService(this)], ["logs", logsService(this)], ["iam", iamService(this)], ["scheduler", schedulerService(this)], ["s3", s3Service(this)], ["ssm", ssmService(this)],
      ["sts", stsService(this)], ["acm", acmService(this)], ["route53", route53Service(this)],
    ];
    for (const [service, { client, sdk, reads, writes }] of services) {
      const module = sdk as Record<string, unknown>;
      const answers = new Map<unknown, (input: unknown, client: unknown) => Promise<unknown>>();
      for (const [handlers, mutating] of [[reads, false], [writes, true]] as const) {
        for (const [op, handler] of Object.entries(handlers as Record<string, Handler>)) {
          const Command = module[`${op}Command`];
          if (!Command) throw new Error(`fake: no command ${service}.${op}`);
          answers.set(Command, (input, c) => this.invoke({ service, op, mutating }, input, handler, c));
        }
      }
      // One fake for every command of the client, found by the command's class: sinon's per-command matching
      // (`mock.on(Command)`) on every call took most of a matrix test's CPU.
      const mock = mockClient(client);
      mock.send.callsFake(function (this: unknown, command: { input: unknown }) {
        const answer = answers.get(command.constructor);
        return (answer ? answer(command.input, this) : Promise.reject(new Error(`fake AWS: unmocked ${service} call ${JSON.stringify(command.input).slice(0, 80)}`))) as never;
      });
      this.mocks.push(mock);
    }
    return this;
  }

  restore(): void { for (const m of this.mocks) m.restore(); this.mocks = []; }

  private async invoke(call: { service: string; op: string; mutating: boolean }, input: unknown, handler: Handler, client: unknown): Promise<unknown> {
    if (this.crashed) throw new CrashError();
    // The SDK client's own region (a provider function once the client is built).
    const configured = (client as { config?: { region?: unknown } } | undefined)?.config?.region;
    const context: CallContext = { region: String((typeof configured === "function" ? await configured() : configured) ?? this.region) };
    await this.clock.sleep(LATENCY.call);
    if (this.crashed) throw new CrashError();
    this.calls.push({ ...call, input: structuredClone(input), at: this.clock.now() });
    this.onCall?.(call.op, input);
    this.tick();
    const injected = this.failWith?.(call.op, input);
    if (injected) throw injected;
    if (this.faultRate > 0 && this.rng() < this.faultRate) {
      this.faultsInjected++;
      throw this.rng() < 0.5 ? awsError("ThrottlingException", "Rate exceeded") : awsError("InternalError", "We encountered an internal error. Please try again.", 500);
    }
    // Crash points and lost answers count the stack's mutating calls, as `mutatingCalls` lists them; the claim's own
    // calls lose their answer only when a test asks (`loseClaimAnswer`).
    const counted = call.mutating && !isClaimCall({ ...call, input, at: 0 });
    const lost = counted ? this.mutations + 1 === this.loseAt : call.mutating && this.claimAnswersLost.delete(call.op);
    if (lost) {
      if (counted) this.loseAt = undefined;
      if (counted) this.mutations++;
      await handler(structuredClone(input), context);
      this.calls.push({ ...call, input: structuredClone(input), at: this.clock.now() }); // the SDK's retry
    }
    // S3's GetObject answers a stream (Body), which cannot be cloned: it is handed over as it is.
    const { Body, ...rest } = (await handler(input, context) ?? {}) as { Body?: unknown };
    const result = { ...structuredClone(rest), ...(Body === undefined ? {} : { Body }) };
    if (counted) {
      this.mutations++;
      this.onMutation?.(this.mutations);
      if (this.crashAt !== undefined && this.mutations >= this.crashAt) {
        this.crashed = true;
        this.onCrash?.();
        throw new CrashError();
      }
    }
    return { $metadata: { httpStatusCode: 200, requestId: "fake" }, ...(result as object) };
  }

  /** Moves time-driven state forward: ALBs activate, RDS finishes, ENIs release, deployments roll out. */
  tick(): void {
    const now = this.clock.now();
    const { ec2, elb, rds } = this.state;
    for (const [id, eni] of ec2.enis) if (eni.releaseAt !== undefined && eni.releaseAt <= now) ec2.enis.delete(id);
    for (const lb of elb.lbs.values()) if (lb.state === "provisioning" && now >= lb.activeAt) lb.state = "active";
    for (const [id, db] of rds.instances) {
      if (db.readyAt === undefined || now < db.readyAt) continue;
      db.status = db.nextStatus;
      db.readyAt = undefined;
      if (db.status === "available") db.endpoint = `${db.id}.abcdefghij.${this.region}.rds.amazonaws.com`;
      if (db.status === "deleted") {
        rds.instances.delete(id);
        ec2.enis.delete(db.eniId);
      }
    }
    tickEcs(this, now);
    tickAcm(this, now);
  }

  /** What GET http://<alb-dns>/... answers: 200 once a healthy target of a working image serves it. */
  async httpGet(url: string): Promise<number> {
    this.tick();
    return httpGet(this, url);
  }

  /** Test helper: what `docker push` would have done. */
  pushImage(repository: string, tag: string, behavior: ImageBehavior = "ok", sizeMb?: number): string {
    return pushImage(this, repository, tag, behavior, sizeMb);
  }
}

type Handler = (input: unknown, context: CallContext) => unknown;

const isClaimCall = (c: Call) => c.service === "ssm" && /^\/spontime-infra\//.test(((c.input as { Name?: string; Path?: string }).Name ?? (c.input as { Path?: string }).Path) ?? "");
