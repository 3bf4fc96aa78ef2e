import { estimate, PRICES_FROM } from "../cost/estimate.js";
import type { CostChange } from "../stack/cost-change.js";
import { UserError } from "../errors.js";
import { openState } from "../state/open.js";
import type { CommandContext } from "./context.js";
import type { Output } from "./output.js";

const dollars = (n: number) => `$${n.toFixed(2)}`;

/** The estimate as a table; shared by `cost` and the end of `plan`. */
export function renderCost(out: Output, spec: Parameters<typeof estimate>[0], asleep = false, kept?: Parameters<typeof estimate>[1]): void {
  const e = estimate(spec, kept);
  const width = Math.max(...e.lines.map((l) => l.item.length));
  out.out(`Monthly estimate (${e.pricesFrom}${e.region === "us-east-1" ? "" : `; your region is ${e.region}, prices there differ`}):`);
  for (const l of e.lines) out.out(`  ${l.item.padEnd(width)}  ${typeof l.monthly === "number" ? dollars(l.monthly).padStart(8) : "   usage"}${l.note ? out.paint("dim", `  ${l.note}`) : ""}`);
  out.out(`  ${"total before usage".padEnd(width)}  ${e.total === null
    ? out.paint("yellow", `incomplete: no price for ${e.incomplete.join(", ")} (see the RDS pricing page)`)
    : out.paint("bold", dollars(e.total).padStart(8))}`);
  out.out(`  ${"while asleep (no task, RDS stopped)".padEnd(width)}  ${dollars(e.asleepTotal).padStart(8)}${asleep ? out.paint("yellow", "  <- the stack is asleep now") : ""}`);
  out.out("Savings:");
  for (const s of e.savings) out.out(`  ${s.item.padEnd(width)}  ${`-${dollars(s.monthly)}`.padStart(8)}${out.paint("dim", `  ${s.note}`)}`);
}

const wholeDollars = (n: number) => `$${Math.abs(Math.round(n))}`;

/** `Monthly cost: $0 → ~$50 (+$50) before usage (…)`: what a plan changes in the bill, in whole dollars as estimates go. */
export function costChangeLine({ before, after }: CostChange): string {
  const about = (n: number | null) => (n === null ? "unknown" : n === 0 ? "$0" : `~${wholeDollars(n)}`);
  const delta = before === null || after === null ? "a price is missing" : Math.round(after - before) === 0 ? "no change" : `${after > before ? "+" : "-"}${wholeDollars(after - before)}`;
  return `Monthly cost: ${about(before)} → ${about(after)} (${delta}) before usage (${PRICES_FROM}; \`spontime-infra cost\` itemises it).`;
}

/** The same figures for `--json`, to the cent. */
export const costJson = ({ before, after }: CostChange) => ({
  monthlyBefore: before, monthlyAfter: after, monthlyChange: before === null || after === null ? null : Math.round((after - before) * 100) / 100, pricesFrom: PRICES_FROM,
});

export async function cost(c: CommandContext): Promise<number> {
  const spec = c.spec();
  const asleep = await asleepInState(c);
  const kept = await snapshotsKept(c);
  if (c.opts.json) c.out.json({ ...estimate(spec, kept ?? undefined), asleep, snapshotsChecked: kept !== null });
  else {
    renderCost(c.out, spec, asleep, kept ?? undefined);
    if (!kept) c.out.err("DB snapshots not checked (no AWS credentials): a stack that was `down` may still keep some (`spontime-infra snapshots`).");
  }
  return 0;
}

/** Whether the state (local or in S3) says the stack sleeps; unread (no credentials for an S3 state): awake. */
async function asleepInState(c: CommandContext): Promise<boolean> {
  try {
    return (await openState(c.spec(), c.opts, c.out.io.env)).data.sleeping ?? false;
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}

/** The stack's kept DB snapshots with their size, or null without credentials: `cost` works offline too. */
async function snapshotsKept(c: CommandContext): Promise<{ snapshotsGb: number; liveStorageGb: number } | null> {
  const { connectApp, httpGet } = await import("../app/context.js");
  const { keptSnapshots } = await import("../app/snapshots.js");
  const { realClock } = await import("../shared/clock.js");
  let ctx;
  try {
    ctx = await connectApp({ spec: c.spec(), clock: c.clock ?? realClock, signal: c.signal, http: c.http ?? httpGet, env: c.out.io.env, progress: (l) => c.out.err(l) });
  } catch (e) {
    if (e instanceof UserError) return null;
    throw e;
  }
  const { snapshots, liveStorageGb } = await keptSnapshots(ctx);
  return { snapshotsGb: snapshots.reduce((sum, x) => sum + x.sizeGb, 0), liveStorageGb };
}
