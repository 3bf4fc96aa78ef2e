import { randomUUID } from "node:crypto";
import { Aws } from "../aws/clients.js";
import { describeAwsError } from "../aws/errors.js";
import { names } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import { applyDown, applyUp, DEFAULT_CONCURRENCY, type ApplyResult } from "../engine/apply.js";
import { realClock, type Clock } from "../shared/clock.js";
import { mapLimit } from "../engine/graph.js";
import { planDown, planUp, sensitiveValues, type Observed, type Plan } from "../engine/plan.js";
import { ReadCache } from "../shared/reads.js";
import type { EngineEvent, Live } from "../engine/types.js";
import { ToolError, UserError } from "../errors.js";
import type { Ctx, DesiredStack } from "../resources/context.js";
import { dbInstance } from "../resources/db-instance.js";
import { findStackSnapshots, type StackSnapshot } from "../aws/rds.js";

export type { StackSnapshot };
import { ecrRepository } from "../resources/ecr-repository.js";
import { ecsService } from "../resources/ecs-service.js";
import { publicSubnets } from "../resources/subnet.js";
import { StackClaim } from "../state/claim.js";
import { lockHolder, StateStore, type Confirm } from "../state/store.js";
import { chooseAzs, type Unchecked } from "./azs.js";
import { ALL_RESOURCES, onlyAmong, toObserve, wantedBy, type Recorded, type StackResourceOfAnyKind } from "./resources.js";
import { certificate } from "../resources/certificate.js";
import { validationRecord } from "../resources/dns-record.js";
import { findHostedZone } from "../aws/route53.js";
import { refuseOtherCopies } from "./other-copies.js";
import { StateView } from "./state-view.js";
import { ASLEEP, AWAKE, desiredStack, type Asleep, type Desired, type Facts } from "./desired.js";

export interface StackOptions {
  spec: Spec;
  /** The state, opened where the spec and flags say (a local file, or S3); else the local file in `stateDir`. */
  state?: StateStore;
  stateDir?: string;
  clock?: Clock;
  signal?: AbortSignal;
  emit?: (event: EngineEvent) => void;
  skipFinalSnapshot?: boolean;
  /** `down --disable-deletion-protection`. */
  disableDeletionProtection?: boolean;
  /** `down --keep-images`: the ECR repository (tagged for the stack, so the next `up` uses it again) stays. */
  keepImages?: boolean;
  /** `down`: every kind the stack can hold is looked for, whatever the spec and the state file say. */
  everyKind?: boolean;
  /** `--take-over-dns`: the domain's record may be repointed at this stack even if it is not this stack's. */
  takeOverDns?: boolean;
  resources?: readonly StackResourceOfAnyKind[];
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** `--debug`: one line per SDK call. */
  debug?: (line: string) => void;
  /** A line while an AWS call keeps failing and is retried. */
  retrying?: (line: string) => void;
}

const shortName = (id: string) => id.split("/").slice(-2, -1)[0] ?? id;

/**
 * This stack: its resources, its spec and state, AWS, and everything the CLI asks of it (plan, apply, URL,
 * outputs, status). Construction makes no AWS call; `connect` checks credentials and settles the AZs.
 * The stack the run wants (`spec`) is `desiredStack` of the spec and the facts each step adds (src/stack/desired.ts).
 */
export class Stack {
  /** What the state file recorded when the run began: which optional kinds AWS may still hold. */
  private readonly recorded: Recorded;
  readonly state: StateStore;
  readonly aws: Aws;
  readonly ctx: Ctx;
  readonly concurrency: number;
  /** Why the AZs in use could not be checked against the DB class (said by `doctor`), when they could not. */
  azsUnchecked: Unchecked | undefined;
  /** What the run has learnt so far, beside the spec. */
  private readonly facts: Facts;
  private desired: Desired;
  private stackClaim: StackClaim | undefined;
  /** What the state file says, with no AWS call: the URL, the outputs scripts read, the account. */
  readonly fromState: StateView;

  constructor(readonly options: StackOptions) {
    const { spec } = options;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const clock = options.clock ?? realClock;
    this.state = options.state ?? new StateStore(options.stateDir!, spec.appName, spec.region);
    const keys = new Set(Object.keys(this.state.data.resources));
    this.recorded = { has: (key) => keys.has(key), nothing: keys.size === 0 };
    this.aws = new Aws({ region: spec.region, ...(spec.profile ? { profile: spec.profile } : {}), ...(options.debug ? { debug: options.debug } : {}), ...(options.retrying ? { retrying: options.retrying } : {}) }, clock, options.signal);
    const state = this.state;
    this.facts = { recorded: { ...this.knownAzs(), ...this.knownHostedZone(spec), ...(state.data.sleeping === undefined ? {} : { sleeping: state.data.sleeping }) } };
    this.desired = desiredStack(spec, this.facts);
    this.ctx = {
      spec: this.desired.spec,
      names: names(spec), aws: this.aws, clock, signal: options.signal ?? new AbortController().signal,
      emit: options.emit ?? (() => {}),
      records: { get: (key) => state.data.resources[key], set: (key, value) => state.setResource(key, value) },
      describeError: describeAwsError,
      reads: new ReadCache(),
      skipFinalSnapshot: options.skipFinalSnapshot ?? false,
      tearingDown: options.everyKind ?? false,
      takeOverDns: options.takeOverDns ?? false,
      disableDeletionProtection: options.disableDeletionProtection ?? false,
      notices: [],
      run: { id: randomUUID(), since: new Date(clock.now()).toISOString() },
    };
    this.fromState = new StateView(this.state, () => this.ctx.spec, this.ctx.names);
  }

  get spec(): DesiredStack { return this.ctx.spec; }

  /**
   * The kinds this run looks for at AWS (src/stack/resources.ts `toObserve`): what the spec wants (the DNS
   * records once `connect` has found the zone), and what an earlier spec may have left; `down`: every kind.
   */
  get all(): readonly StackResourceOfAnyKind[] {
    return toObserve(this.options.resources ?? ALL_RESOURCES, this.ctx.spec, this.recorded, this.options.everyKind);
  }

  /** What this spec wants, out of every kind: HTTPS pieces only with `https`, DNS records only with a hosted zone. */
  get resources(): readonly StackResourceOfAnyKind[] { return wantedBy(this.ctx.spec, this.all); }

  /** Kinds the spec no longer wants (`https` removed): deleted by `up` when found. */
  private get unwanted(): StackResourceOfAnyKind[] {
    const wanted = new Set(this.resources.map((r) => r.key));
    return this.all.filter((r) => !wanted.has(r.key));
  }

  /** The zone the state file saw (a plan without credentials must not lose the DNS records); `connect` asks Route 53. */
  private knownHostedZone(spec: Spec): Pick<Facts["recorded"], "hostedZone"> {
    const zone = this.state.data.resources[validationRecord.key]?.outputs;
    return spec.https && zone?.zoneId ? { hostedZone: { id: zone.zoneId, name: zone.zoneName ?? "" } } : {};
  }

  private knownAzs(): Pick<Facts["recorded"], "azs"> {
    const [a, b] = publicSubnets.map((s) => this.state.data.resources[s.key]?.outputs.availabilityZone);
    return a && b ? { azs: [a, b] } : {};
  }

  /** Adds what a step learnt, and wants the stack those facts make; a notice is said once. */
  private learn(fact: Partial<Facts>): void {
    Object.assign(this.facts, fact);
    this.desired = desiredStack(this.options.spec, this.facts);
    this.ctx.spec = this.desired.spec;
    const { notice } = this.desired;
    if (notice && !this.ctx.notices.includes(notice)) this.ctx.notices.push(notice);
  }

  /**
   * Takes the stack-level claim for a run that changes the stack (src/state/claim.ts): two runs of one stack, from
   * two state directories or machines, cannot both apply. Its calls are the run's bookkeeping, as the state lock's
   * are: made through a client of their own, so the stack's call counts (a no-op `up`: 0 mutating) leave them out.
   */
  async claim(command: string, force = false, confirm?: Confirm): Promise<void> {
    await this.aws.checkCredentials(this.options.env);
    const own = new Aws(this.aws.config, this.ctx.clock, this.options.signal);
    this.stackClaim = new StackClaim(own.ssm, this.options.spec.appName, this.ctx.clock, lockHolder(command, this.ctx.run.id), (line) => this.state.notice(line));
    await this.stackClaim.acquire(force, confirm);
    const claim = this.stackClaim;
    this.aws.guard = () => claim.keep();
  }

  /** Gives the claim up at the end of the run. */
  async releaseClaim(): Promise<void> {
    this.aws.guard = undefined;
    await this.stackClaim?.release();
  }

  /** Checks credentials (exit 2 when missing) and settles the AZs: from the spec (checked), the state file, or a choice. */
  async connect(): Promise<void> {
    await this.aws.checkCredentials(this.options.env);
    const { https, availabilityZones } = this.options.spec;
    const hostedZone = https ? await findHostedZone(this.aws, https.domain) ?? null : undefined;
    if (!availabilityZones && this.facts.recorded.azs) return this.learn({ connected: { hostedZone } });
    const choice = await chooseAzs(this.aws, this.options.spec);
    this.azsUnchecked = choice.unchecked;
    if (choice.unchecked) this.ctx.notices.push(`AZs not checked: ${choice.unchecked.why}`);
    this.learn({ connected: { hostedZone, zones: choice.zones } });
  }

  /**
   * Reads every resource from AWS: by the id in state, else by tag or name. A lost state file loses nothing
   * AWS knows: the AZs of the live subnets, and "asleep" (the service's own tag) are taken from what was seen.
   */
  async observe(): Promise<Map<string, Live | undefined>> {
    const seen = await this.ctx.reads.during(() => mapLimit(this.all, this.concurrency, async (r) => {
      try {
        return [r.key, await r.observe(this.ctx, this.state.data.resources[r.key])] as const;
      } catch (e) {
        if (e instanceof UserError || e instanceof ToolError) throw e;
        throw new ToolError(describeAwsError(`read ${r.title(this.ctx.spec)}`, e), { cause: e });
      }
    }));
    const observed = new Map(seen);
    this.learn({ observed: { resources: observed, at: this.ctx.clock.now() } });
    return observed;
  }

  /** Without credentials: what the state file remembers, assumed in sync. */
  observeFromState(): Map<string, Live | undefined> {
    return new Map(this.all.map((r) => {
      const stored = this.state.data.resources[r.key];
      return [r.key, stored ? { id: stored.id, state: "ready", attrs: {}, outputs: stored.outputs, assumedInSync: true } : undefined];
    }));
  }

  /** Every value a resource marks sensitive, as far as the state file knows them: never printed. */
  sensitiveValues(): string[] {
    return sensitiveValues(this.all, (key) => this.state.data.resources[key]?.outputs);
  }

  /** What `down` leaves on purpose (`--keep-images`): not in its plan, not "still there" after it. */
  get keptByDown(): string[] { return this.options.keepImages ? [ecrRepository.key] : []; }

  /** `up`: what the spec wants, then what it no longer wants and AWS still has, deleted (dependents first). */
  plan(observed: Observed, mode: "up" | "down"): Plan {
    if (mode === "down") {
      const all = planDown(this.all, this.former(observed), observed);
      return { ...all, changes: all.changes.filter((c) => !this.keptByDown.includes(c.key)) };
    }
    const up = planUp(this.resources, this.ctx.spec, observed, this.sensitiveValues());
    const turns = up.changes.some((c) => c.diffs.some((d) => (c.key === ecsService.key && d.field === "desiredCount") || (c.key === dbInstance.key && d.field === "stopped")));
    return {
      mode, changes: [...up.changes, ...planDown(onlyAmong(this.unwanted), this.former(observed), observed).changes],
      ...(turns && this.desired.scheduleTurn ? { notes: [this.desired.scheduleTurn] } : {}),
    };
  }

  /**
   * The spec as it was when what is now deleted was made, for titles: with `https` gone from the spec, its domain
   * is the observed certificate's, so the plan and the prompt say "ACM certificate for api.example.com".
   */
  private former(observed: Observed): DesiredStack {
    const domain = observed.get(certificate.key)?.attrs.domain;
    return this.ctx.spec.https || typeof domain !== "string" || !domain ? this.ctx.spec : { ...this.ctx.spec, https: { domain } };
  }

  /** Two live copies of the stack's network: stops before any change, naming them (src/stack/other-copies.ts). */
  refuseOtherCopies(observed: Observed): Promise<void> {
    return refuseOtherCopies(this.aws, this.ctx.spec, this.all, observed, (key) => this.state.data.resources[key]?.id);
  }

  /**
   * Applies `plan`: brings what the spec wants in line first (the HTTP listener forwards again before the HTTPS
   * one goes), then deletes the pieces it no longer wants, only if that went well: the 443 listener before its
   * certificate. A sleep or wake chosen for this run (or found on the service's tag) is saved first: an
   * interrupted `sleep` stays asleep.
   */
  async applyUp(plan: Plan, observed: Observed): Promise<ApplyResult> {
    await this.refuseOtherCopies(observed);
    if (this.facts.asleepChosen || this.desired.sleepingFound) this.remember(this.ctx.spec.asleep);
    const up = await applyUp(this.ctx, this.ctx.spec, this.resources, plan, observed, this.concurrency);
    const leftovers = this.unwanted;
    if (up.failures.length || up.interrupted || !leftovers.some((r) => observed.get(r.key))) return up;
    const removed = await applyDown(this.ctx, this.former(observed), onlyAmong(leftovers), plan, this.concurrency);
    return { results: new Map([...up.results, ...removed.results]), failures: removed.failures, outputs: up.outputs, applied: new Map([...up.applied, ...removed.applied]), interrupted: removed.interrupted };
  }

  applyDown(plan: Plan, observed: Observed): Promise<ApplyResult> {
    return applyDown(this.ctx, this.former(observed), this.all, plan, this.concurrency);
  }

  /** `sleep`, `wake`, `up --wake`: what is asleep in this run, whatever the schedule says (saved once applied). */
  chooseAsleep(asleep: boolean): void {
    this.learn({ asleepChosen: asleep ? ASLEEP : AWAKE });
  }

  private remember(asleep: Asleep): void {
    const sleeping = asleep.service || asleep.database;
    if (this.state.data.sleeping !== sleeping) {
      this.state.data.sleeping = sleeping;
      this.state.save();
    }
  }

  /**
   * The plan of `sleep` (or `wake`), one plan as `up`'s: the service to 0 tasks and the database stopped (the
   * database waits for the service, which uses it: see its `afterDependents`), or the database started, then
   * the service. Nothing is saved until it is applied.
   */
  async planSleep(asleep: boolean): Promise<{ plan: Plan; observed: Observed }> {
    this.chooseAsleep(asleep);
    const observed = await this.observe();
    if (!observed.get(dbInstance.key) || !observed.get(ecsService.key)) throw new UserError("no stack to put to sleep or wake", "run `spontime-infra up` first");
    return { plan: { ...this.plan(observed, "up"), mode: asleep ? "sleep" : "wake" }, observed };
  }


  /** What `down` deletes that a person should know about before saying yes. */
  deleteWarnings(observed: Observed): string[] {
    const n = this.ctx.names;
    return [
      observed.get(ecrRepository.key) && !this.options.keepImages ? `the ECR repository ${n.ecrRepository} and all its images` : "",
      observed.get(dbInstance.key) ? (this.ctx.skipFinalSnapshot ? this.dataLost(observed)! : `the database (a final snapshot ${n.app}-final-<time> is kept)`) : "",
    ].filter(Boolean);
  }

  /** `down --skip-final-snapshot`: the data that goes for good, named (the instance and its size). */
  dataLost(observed: Observed): string | undefined {
    const db = observed.get(dbInstance.key);
    if (!db || !this.ctx.skipFinalSnapshot) return undefined;
    return `the database ${db.id} and its data (${db.attrs.allocatedStorage ?? "?"} GB allocated), with NO final snapshot: it cannot be recovered`;
  }

  /** The stack's DB snapshots (final and manual), newest first: only those tagged for it. */
  snapshots(): Promise<StackSnapshot[]> {
    return findStackSnapshots(this.ctx);
  }

  /**
   * What `up` may restore: the stack's available snapshots when it has no database (none is looked for while
   * one exists: a no-op `up` makes no extra call). A snapshot still being created is not one yet.
   */
  async restorable(observed: Observed): Promise<StackSnapshot[]> {
    if (observed.get(dbInstance.key)) return [];
    return (await this.snapshots()).filter((x) => x.status === "available");
  }

  /** The database's key among the observations (the CLI names no resource by its key). */
  get databaseKey(): string { return dbInstance.key; }

  /** The database, when `up` creates it, is restored from this snapshot. */
  restoreFrom(snapshot: StackSnapshot): void { this.learn({ restoreFrom: snapshot }); }

  /**
   * What would stop `down` part-way: a resource whose deletion protection is on (set by hand: the stack never
   * turns it on). Asked before anything is deleted, so `down` never leaves half a stack for a setting it could see.
   */
  deletionBlockers(observed: Observed): string[] {
    return this.all.filter((r) => observed.get(r.key)?.attrs.deletionProtection === true).map((r) => {
      const [title, name] = [r.title(this.former(observed)), shortName(observed.get(r.key)!.id)];
      return title.includes(name) ? title : `${title} (${name})`;
    });
  }
}
