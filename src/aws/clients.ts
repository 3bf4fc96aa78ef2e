import { ACMClient } from "@aws-sdk/client-acm";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { IAMClient } from "@aws-sdk/client-iam";
import { RDSClient } from "@aws-sdk/client-rds";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SSMClient } from "@aws-sdk/client-ssm";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../shared/clock.js";
import { ToolError, UserError } from "../errors.js";
import { credentialError, describeAwsError, errorCode, isTransient, withOperation } from "./errors.js";

export interface AwsConfig {
  region: string;
  profile?: string;
  debug?: (line: string) => void;
  /** A line for the user while a call keeps failing and is retried, so a long retry is never silent. */
  retrying?: (line: string) => void;
}

/** Counts of calls made, by operation: the benchmark and the idempotency tests read these. */
export class CallStats {
  total = 0;
  mutating = 0;
  readonly byOperation = new Map<string, number>();
  record(op: string): void {
    this.total++;
    if (isMutating(op)) this.mutating++;
    this.byOperation.set(op, (this.byOperation.get(op) ?? 0) + 1);
  }
}

// SimulatePrincipalPolicy only evaluates policies (access level Read in the Service Authorization Reference).
export const isMutating = (op: string): boolean => !/^(Describe|List|Get|BatchGet|FilterLogEvents|Simulate)/.test(op);

export interface SendOptions {
  /** Extra error codes that mean "not yet" here, e.g. EC2's *.NotFound right after a create. */
  retryOn?: string[];
  /** For "not yet" errors that only a message tells apart, e.g. an IAM role not yet assumable by ECS. */
  retryIf?: (e: unknown) => boolean;
  /** How long to keep retrying transient failures. */
  deadlineMs?: number;
  /** What a retried "not yet" answer means, for the line said while retrying. */
  waitingFor?: string;
}

type AnyClient = { send(command: never): Promise<unknown>; config: { credentials: () => Promise<unknown> } };
type SendOf<C> = C extends { send: infer S } ? S : never;
export interface Sender<C> { send: SendOf<C>; sendWith(options: SendOptions): SendOf<C> }

const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 10_000;
const RETRY_DEADLINE_MS = 120_000;
/** The longest a run stays silent while a call is being retried (the CLI's rule for every long wait). */
const RETRY_NOTICE_MS = 10_000;

/**
 * Whether anything could provide credentials without a network probe. The SDK's chain ends with the EC2
 * instance metadata endpoint, which off EC2 costs seconds of timeouts before "no credentials"; instance roles
 * are therefore an opt-in (AWS_EC2_METADATA_DISABLED=false), every other source is honoured as the SDK does.
 */
export function credentialSourceConfigured(env: NodeJS.ProcessEnv, profile?: string): boolean {
  const home = env.HOME ?? homedir();
  return !!(
    profile || env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID || env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_EC2_METADATA_DISABLED === "false" ||
    existsSync(env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, ".aws", "credentials")) || existsSync(env.AWS_CONFIG_FILE ?? join(home, ".aws", "config"))
  );
}

/**
 * One factory for every AWS client: region, profile, AWS_ENDPOINT_URL (read by the SDK itself, which is how
 * the e2e run reaches moto) and adaptive retries. On top of the SDK's own retries, `send` retries throttling,
 * 5xx and the caller's "not yet" codes with full-jitter backoff on the engine's clock, up to a deadline.
 */
export class Aws {
  readonly stats = new CallStats();
  private readonly cache = new Map<string, unknown>();

  /** Runs before every call (the stack's claim renews itself here, or stops the run when another run took it). */
  guard?: () => Promise<void>;

  constructor(readonly config: AwsConfig, private readonly clock: Clock, private readonly signal?: AbortSignal) {}

  get ec2() { return this.client("ec2", EC2Client); }
  get ecs() { return this.client("ecs", ECSClient); }
  get rds() { return this.client("rds", RDSClient); }
  get ecr() { return this.client("ecr", ECRClient); }
  get elbv2() { return this.client("elbv2", ElasticLoadBalancingV2Client); }
  get logs() { return this.client("logs", CloudWatchLogsClient); }
  get iam() { return this.client("iam", IAMClient); }
  get scheduler() { return this.client("scheduler", SchedulerClient); }
  get acm() { return this.client("acm", ACMClient); }
  get ssm() { return this.client("ssm", SSMClient); }
  /** Route 53 is global: the SDK sends every region's calls to its one endpoint. */
  get route53() { return this.client("route53", Route53Client); }
  /** Loaded on use: only `doctor` and `up`'s preflight ask who is calling, and every command would pay for the module. */
  async sts() { return this.client("sts", (await import("@aws-sdk/client-sts")).STSClient); }

  /** Resolves credentials once, before any AWS call, so a missing profile is a one-line error (exit 2). */
  async checkCredentials(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    await this.checkProfileRegion(env);
    if (!credentialSourceConfigured(env, this.config.profile)) throw credentialError(new Error("Could not load credentials from any providers"), this.config.profile, env)!;
    try {
      await (this.ec2 as unknown as { raw: AnyClient }).raw.config.credentials();
    } catch (e) {
      throw credentialError(e, this.config.profile, env) ?? e;
    }
  }

  /**
   * Refuses a profile whose region is not the stack's (exit 2): the stack's region is its spec's (config/load.ts),
   * and a region named anywhere else that differs is refused, never silently used. The profile's region is read
   * the way the SDK reads it (its own config loader, asked with no region given); with AWS_REGION set the SDK
   * never reaches the profile, and AWS_REGION was checked with the spec.
   */
  private async checkProfileRegion(env: NodeJS.ProcessEnv): Promise<void> {
    const configFile = env.AWS_CONFIG_FILE ?? join(env.HOME ?? homedir(), ".aws", "config");
    if (env.AWS_REGION || !existsSync(configFile)) return;
    const { STSClient } = await import("@aws-sdk/client-sts");
    const probe = new STSClient(this.config.profile ? { profile: this.config.profile } : {});
    const region = await probe.config.region().catch(() => undefined);
    probe.destroy();
    if (region && region !== this.config.region) {
      throw new UserError(`the AWS profile ${this.config.profile ?? env.AWS_PROFILE ?? "default"} says region ${region} but the stack's region is ${this.config.region}: refusing to guess which stack you mean`,
        `a stack's region is its spec's "region": put the one you mean there, or use a profile for ${this.config.region} (--profile)`);
    }
  }

  private client<C extends AnyClient>(name: string, Ctor: new (cfg: object) => C): Sender<C> & { raw: C } {
    const hit = this.cache.get(name);
    if (hit) return hit as Sender<C> & { raw: C };
    const raw = new Ctor({
      region: this.config.region,
      retryMode: "adaptive",
      maxAttempts: 3,
      ...(this.config.profile ? { profile: this.config.profile } : {}),
    });
    const sendWith = (options: SendOptions) => ((command: { constructor: { name: string } }) => this.send(raw, command, options)) as unknown as SendOf<C>;
    const wrapped = { raw, send: sendWith({}), sendWith };
    this.cache.set(name, wrapped);
    return wrapped;
  }

  private async send(client: AnyClient, command: { constructor: { name: string } }, options: SendOptions): Promise<unknown> {
    const op = command.constructor.name.replace(/Command$/, "");
    await this.guard?.();
    const deadline = this.clock.now() + (options.deadlineMs ?? RETRY_DEADLINE_MS);
    let toldAt = this.clock.now();
    for (let attempt = 0; ; attempt++) {
      this.stats.record(op);
      const started = this.clock.now();
      try {
        const out = await client.send(command as never);
        this.config.debug?.(`aws ${op} ok ${this.clock.now() - started} ms`);
        return out;
      } catch (e) {
        this.config.debug?.(`aws ${op} failed ${this.clock.now() - started} ms: ${errorCode(e)} ${(e as Error).message}`);
        const cred = credentialError(e, this.config.profile);
        if (cred) throw cred;
        const retryable = isTransient(e) || (options.retryOn?.includes(errorCode(e)) ?? false) || (options.retryIf?.(e) ?? false);
        const delay = Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt);
        if (!retryable || this.clock.now() + delay > deadline || this.signal?.aborted) {
          if (retryable) throw new ToolError(describeAwsError(`${op} kept failing until its deadline`, e), { cause: e });
          throw withOperation(e, op);
        }
        if (this.clock.now() + delay - toldAt >= RETRY_NOTICE_MS) {
          toldAt = this.clock.now();
          const left = `retrying for up to ${Math.ceil((deadline - toldAt) / 1000)} s more`;
          this.config.retrying?.(options.waitingFor && options.retryIf?.(e) ? `${op}: ${options.waitingFor}; ${left}` : describeAwsError(`${op} keeps failing, ${left}`, e));
        }
        await this.clock.sleep(delay);
      }
    }
  }
}
