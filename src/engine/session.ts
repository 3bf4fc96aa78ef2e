import { DescribeAvailabilityZonesCommand } from "@aws-sdk/client-ec2";
import { Aws } from "../aws/clients.js";
import { describeAwsError } from "../aws/errors.js";
import { ToolError, UserError } from "../errors.js";
import { STACK } from "../resources/index.js";
import { names } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import { StateStore } from "../state/store.js";
import { applyDown, applyUp, type ApplyResult } from "./apply.js";
import { realClock, type Clock } from "./clock.js";
import { ReadCache } from "./reads.js";
import { planDown, planUp, type Observed, type Plan } from "./plan.js";
import type { Ctx, EngineEvent, Live, Resource, Target } from "./types.js";

export interface SessionOptions {
  spec: Spec;
  stateDir: string;
  /** The state already opened (S3 or local); default: the local file in `stateDir`. */
  state?: StateStore;
  clock?: Clock;
  signal?: AbortSignal;
  emit?: (event: EngineEvent) => void;
  skipFinalSnapshot?: boolean;
  resources?: readonly Resource[];
  concurrency?: number;
  env?: NodeJS.ProcessEnv;
  /** `--debug`: one line per SDK call. */
  debug?: (line: string) => void;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The region's first two available AZs, sorted; the first is where the task and the DB run. */
async function resolveAzs(aws: Aws, spec: Spec): Promise<[string, string]> {
  const out = await aws.ec2.send(new DescribeAvailabilityZonesCommand({
    Filters: [{ Name: "state", Values: ["available"] }, { Name: "zone-type", Values: ["availability-zone"] }],
  }));
  const zones = (out.AvailabilityZones ?? []).map((z) => z.ZoneName!).sort();
  if (zones.length < 2) throw new UserError(`region ${spec.region} has fewer than two available AZs`, "an ALB and a DB subnet group need two; pick another region");
  return [zones[0]!, zones[1]!];
}

/**
 * One command's view of a stack: spec, state (locked for mutating commands) and AWS clients, and the
 * engine's steps over them. Construction makes no AWS call; `connect` checks credentials and resolves AZs.
 */
export class Session {
  readonly resources: readonly Resource[];
  readonly state: StateStore;
  readonly aws: Aws;
  readonly ctx: Ctx;
  readonly concurrency: number;

  constructor(readonly options: SessionOptions) {
    const { spec } = options;
    this.resources = options.resources ?? STACK;
    this.concurrency = options.concurrency ?? 8;
    const clock = options.clock ?? realClock;
    const signal = options.signal ?? new AbortController().signal;
    this.state = options.state ?? new StateStore(options.stateDir, spec.appName, spec.region);
    this.aws = new Aws({ region: spec.region, ...(spec.profile ? { profile: spec.profile } : {}), ...(options.debug ? { debug: options.debug } : {}) }, clock, signal);
    const target: Target = {
      ...spec,
      availabilityZones: spec.availabilityZones ?? [`${spec.region}a`, `${spec.region}b`],
      sleeping: this.state.data.sleeping ?? false,
    };
    this.ctx = {
      spec: target, names: names(spec), state: this.state, aws: this.aws, clock, signal,
      emit: options.emit ?? (() => {}),
      options: { skipFinalSnapshot: options.skipFinalSnapshot ?? false },
      reads: new ReadCache(),
    };
  }

  /** Checks credentials (exit 2 when missing) and resolves the AZs (from the state file when it knows them). */
  async connect(): Promise<void> {
    await this.aws.checkCredentials(this.options.env);
    const known = ["subnet-public-a", "subnet-public-b"].map((k) => this.state.data.resources[k]?.outputs.availabilityZone);
    this.ctx.spec.availabilityZones = this.options.spec.availabilityZones ?? (known[0] && known[1] ? [known[0], known[1]] : await resolveAzs(this.aws, this.options.spec));
  }

  /** Reads every resource from AWS: by the id in state, else by tag or name. */
  async observe(): Promise<Map<string, Live | undefined>> {
    const seen = await this.ctx.reads.during(() => mapLimit(this.resources, this.concurrency, async (r) => {
      try {
        return [r.key, await r.observe(this.ctx, this.state.data.resources[r.key])] as const;
      } catch (e) {
        if (e instanceof UserError || e instanceof ToolError) throw e;
        throw new ToolError(describeAwsError(`read ${r.title(this.ctx.spec)}`, e), { cause: e });
      }
    }));
    return new Map(seen);
  }

  /** Without credentials: what the state file remembers, assumed in sync. */
  observeFromState(): Map<string, Live | undefined> {
    return new Map(this.resources.map((r) => {
      const stored = this.state.data.resources[r.key];
      if (!stored) return [r.key, undefined];
      return [r.key, { id: stored.id, attrs: {}, outputs: stored.outputs, assumedInSync: true }];
    }));
  }

  plan(observed: Observed, mode: "up" | "down"): Plan {
    return mode === "up" ? planUp(this.resources, this.ctx.spec, observed) : planDown(this.resources, this.ctx.spec, observed);
  }

  applyUp(observed: Observed): Promise<ApplyResult> {
    return applyUp(this.ctx, this.resources, observed, this.concurrency);
  }

  applyDown(observed: Observed): Promise<ApplyResult> {
    return applyDown(this.ctx, this.resources, observed, this.concurrency);
  }
}
