import { DeleteParameterCommand, GetParametersByPathCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import type { Sender } from "../aws/clients.js";
import { errorCode } from "../aws/errors.js";
import type { Clock } from "../shared/clock.js";
import { ToolError, UserError } from "../errors.js";
import { describeHolder, type LockInfo } from "./backend.js";
import { heldLocks } from "./held.js";
import { sameProcessRunning } from "./process.js";
import type { Confirm } from "./store.js";

/** How long a claim holds without being renewed; a run renews it once half of that has gone. */
export const CLAIM_TTL_MS = 10 * 60_000;
/** Another machine's claim is taken over only this long after it expired by our clock: the two clocks may differ. */
export const CLAIM_SKEW_MS = 60_000;

/** What a claim parameter holds: the holder, as a lock names it, with its run id and when the claim lapses (ms since the epoch). */
export interface ClaimInfo extends LockInfo { run: string; expiresAt: number }

/** The claim parameters of one stack: `/spontime-infra/<app>/claim/<generation>`, in the stack's region. */
export const claimPath = (app: string) => `/spontime-infra/${app}/claim`;

interface Generation { gen: number; info: ClaimInfo | undefined }

/** The runs of this process taking or holding a claim: a claim naming this very process is live only while its run is here. */
const runsHere = new Set<string>();

/**
 * Whether the run that wrote a claim on this machine still runs: its process, started when it says, and (if it is
 * this pid) the run itself. A claim of an earlier process with this pid names a run id (random) that is not here.
 */
function stillRunning(holder: ClaimInfo): boolean {
  if (holder.pid === process.pid) return runsHere.has(holder.run);
  return sameProcessRunning(holder.pid, holder.started);
}

/** Who holds a claim, for messages. */
const claimHolder = (info: ClaimInfo | undefined) => (info ? `${describeHolder(info)}, run ${info.run}` : "an unreadable claim");

/** This run no longer holds the stack's claim: another run took it over while this one was not renewing it. */
export class ClaimLost extends ToolError {
  constructor(by: string) {
    super(`this run's claim on the stack lapsed and ${by} took it over: stopped before changing anything more; run \`spontime-infra plan\` to see where the stack stands, then run the command again`);
  }
}

/**
 * The stack-level claim: whichever state directory or bucket a run uses, only one run at a time may change one
 * stack (app and region) in an account. The local lock covers one directory only; this covers the stack.
 *
 * It rests on one AWS rule: PutParameter without Overwrite creates a parameter only if none of that name exists,
 * else fails with ParameterAlreadyExists (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html),
 * so of two runs creating the same name, exactly one succeeds. Standard parameters and standard throughput cost
 * nothing (https://aws.amazon.com/systems-manager/pricing/). Parameter Store has no conditional overwrite or
 * delete, so a claim is never overwritten by anyone but its holder and never deleted by anyone but its holder or
 * the run that superseded it: each claim is a generation, `<path>/<n>`, and taking over a lapsed claim n means
 * creating n + 1 (one taker wins), then deleting n. The holder renews its own generation (Overwrite) only while
 * it has not lapsed, so no taker can have moved past it; a holder that did lapse takes it again like anyone else.
 * A claim lapses at `expiresAt` (a killed run stops renewing), or at once when its process is gone on this machine;
 * Ctrl-C releases it (the signal handler's held locks).
 */
export class StackClaim {
  private gen: number | undefined;
  private info: ClaimInfo | undefined;
  private renewing: Promise<void> | undefined;
  private lost: ClaimLost | undefined;
  private readonly path: string;

  constructor(private readonly ssm: Sender<SSMClient>, app: string, private readonly clock: Clock, private readonly me: Omit<ClaimInfo, "expiresAt">, private readonly notice: (line: string) => void) {
    this.path = claimPath(app);
  }

  /** Takes the claim, or says who holds it. The rules of the local lock: a live run here is never broken, another machine's needs `force`. */
  async acquire(force = false, confirm?: Confirm): Promise<void> {
    runsHere.add(this.me.run);
    try {
      await this.take(force, confirm);
    } catch (e) {
      runsHere.delete(this.me.run);
      throw e;
    }
  }

  private async take(force: boolean, confirm: Confirm | undefined): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const all = await this.list();
      const top = all.at(-1);
      if (top && top.info?.run !== this.me.run) await this.mayTake(top.info, force, confirm);
      const gen = (top?.gen ?? 0) + 1;
      if (!(await this.create(gen))) continue; // another run made generation `gen` first: look again
      // Our view of the path may have been old (a generation made and superseded meanwhile): the higher one wins.
      const after = await this.list();
      if (after.some((g) => g.gen > gen)) {
        await this.remove(gen);
        continue;
      }
      this.gen = gen;
      heldLocks.add(this.path, () => this.release());
      for (const g of after) if (g.gen < gen) await this.remove(g.gen); // superseded: their runs lapsed
      return;
    }
    throw new ToolError(`could not take the claim on the stack (${this.path}): other runs kept taking it first`);
  }

  /**
   * Before each AWS call of the run: renews the claim once half its time has gone (one renewal at a time). A claim
   * that lapsed meanwhile (a long prompt, a machine asleep) is taken again only if no other run took it: else the
   * run stops here, before its next call.
   */
  async keep(): Promise<void> {
    if (this.lost) throw this.lost; // every later call of the run too
    if (this.gen === undefined || this.clock.now() < this.info!.expiresAt - CLAIM_TTL_MS / 2) return;
    this.renewing ??= this.renew().finally(() => { this.renewing = undefined; });
    return this.renewing;
  }

  private async renew(): Promise<void> {
    if (this.clock.now() < this.info!.expiresAt) {
      await this.put(this.gen!, true);
      return;
    }
    // Lapsed: still ours only if no run made a generation after it (a run that took it over and finished deleted it).
    const top = (await this.list()).at(-1);
    if (top?.info?.run !== this.me.run) {
      this.gen = undefined;
      heldLocks.delete(this.path);
      runsHere.delete(this.me.run);
      this.lost = new ClaimLost(top ? claimHolder(top.info) : "another run (done since)");
      throw this.lost;
    }
    await this.acquire();
  }

  /** Gives the claim up (at the end of the run, or on Ctrl-C). A lapsed claim is left: its successor, if any, owns the path now. */
  async release(): Promise<void> {
    const gen = this.gen;
    if (gen === undefined) return;
    this.gen = undefined;
    heldLocks.delete(this.path);
    runsHere.delete(this.me.run);
    if (this.clock.now() >= this.info!.expiresAt) return;
    try {
      await this.remove(gen);
    } catch (e) {
      this.notice(`Could not release the claim on the stack (${(e as Error).message}): it lapses by itself at ${new Date(this.info!.expiresAt).toISOString()}.`);
    }
  }

  /** Whether a claim someone else holds may be taken: lapsed, or its process gone on this machine; else refused (or broken with `force`). */
  private async mayTake(holder: ClaimInfo | undefined, force: boolean, confirm: Confirm | undefined): Promise<void> {
    const who = claimHolder(holder);
    const now = this.clock.now();
    const here = holder?.host === this.me.host;
    if (!holder || now >= holder.expiresAt + (here ? 0 : CLAIM_SKEW_MS)) {
      this.notice(`Taking over the claim on the stack of ${who}: it lapsed${holder ? ` at ${new Date(holder.expiresAt).toISOString()}` : ""} (that run stopped renewing it).`);
      return;
    }
    if (here && !stillRunning(holder)) {
      this.notice(`Taking over the claim on the stack of ${who}: that process is no longer running.`);
      return;
    }
    const until = new Date(holder.expiresAt + CLAIM_SKEW_MS).toISOString();
    const refused = `the stack is being changed by another run: ${who} (it holds the claim ${this.path} in AWS, whatever state directory it uses)`;
    if (here) throw new UserError(refused, force ? "--force-unlock never breaks the claim of a run still going on this machine: wait for it, or stop it with Ctrl-C" : "wait for it to finish");
    if (!force) throw new UserError(refused, `wait for it to finish; if that run is gone for good, its claim lapses by itself at ${until}, or run again with --force-unlock`);
    if (!(await confirm?.(`Break the claim on the stack of ${who}? Do it only if that run is gone for good.`))) throw new ToolError("Cancelled: the claim was left in place.");
    this.notice(`Breaking the claim on the stack of ${who}.`);
  }

  /** Creates generation `gen` holding this run; false when it exists already (unless it is this run's own, its answer lost). */
  private async create(gen: number): Promise<boolean> {
    try {
      await this.put(gen, false);
      return true;
    } catch (e) {
      if (errorCode(e) !== "ParameterAlreadyExists") throw e;
      // A retried PutParameter whose first attempt landed answers ParameterAlreadyExists: look whose it is.
      const mine = (await this.list()).find((g) => g.gen === gen && g.info?.run === this.me.run);
      if (mine) this.info = mine.info;
      return mine !== undefined;
    }
  }

  private async put(gen: number, overwrite: boolean): Promise<void> {
    const info: ClaimInfo = { ...this.me, expiresAt: this.clock.now() + CLAIM_TTL_MS };
    await this.ssm.send(new PutParameterCommand({ Name: `${this.path}/${gen}`, Value: JSON.stringify(info), Type: "String", Overwrite: overwrite, Tier: "Standard" }));
    this.info = info;
  }

  private async remove(gen: number): Promise<void> {
    try {
      await this.ssm.send(new DeleteParameterCommand({ Name: `${this.path}/${gen}` }));
    } catch (e) {
      if (errorCode(e) !== "ParameterNotFound") throw e;
    }
  }

  /** Every generation under the path, lowest first (GetParametersByPath pages by NextToken). */
  private async list(): Promise<Generation[]> {
    const out: Generation[] = [];
    let token: string | undefined;
    do {
      const page = await this.ssm.send(new GetParametersByPathCommand({ Path: this.path, ...(token ? { NextToken: token } : {}) }));
      for (const p of page.Parameters ?? []) {
        const gen = Number(p.Name!.slice(this.path.length + 1));
        if (!Number.isInteger(gen) || gen < 1) continue;
        let info: ClaimInfo | undefined;
        try { info = JSON.parse(p.Value ?? "") as ClaimInfo; } catch { /* unreadable: no holder to name */ }
        out.push({ gen, info });
      }
      token = page.NextToken;
    } while (token);
    return out.sort((a, b) => a.gen - b.gen);
  }
}
