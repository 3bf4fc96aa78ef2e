import { TAG_ASLEEP } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import { livePhaseAt, phaseAt } from "../config/schedule.js";
import type { Observed } from "../engine/plan.js";
import type { StackSnapshot } from "../aws/rds.js";
import type { DesiredStack, HostedZone } from "../resources/context.js";
import { dbInstance } from "../resources/db-instance.js";
import { ecsService } from "../resources/ecs-service.js";
import { liveSchedules } from "../resources/schedules.js";
import { publicSubnets } from "../resources/subnet.js";

export type Asleep = DesiredStack["asleep"];

export const AWAKE: Asleep = { service: false, database: false };
export const ASLEEP: Asleep = { service: true, database: true };

/** What a run knows beside the spec, each fact from the one step that learns it. */
export interface Facts {
  /** The state file, read before any call. */
  recorded: {
    /** The AZs of the recorded public subnets. */
    azs?: [string, string];
    /** The zone the certificate's validation record was written in. */
    hostedZone?: HostedZone;
    /** `sleep` (true) or `wake` (false) as last applied; undefined when the state file never said. */
    sleeping?: boolean;
  };
  /** `connect`: the domain's zone as Route 53 has it (null: none), and the AZs it chose or checked. */
  connected?: { hostedZone?: HostedZone | null; zones?: [string, string] };
  /** `observe`: what AWS has, and when it was read (the schedule's window is the one of that minute). */
  observed?: { resources: Observed; at: number };
  /** `sleep`, `wake`, `up --wake`: what is asleep in this run, whatever the schedule says. */
  asleepChosen?: Asleep;
  /** `up --restore`. */
  restoreFrom?: StackSnapshot;
}

export interface Desired {
  spec: DesiredStack;
  /** Why this run sleeps or wakes the stack: the schedule was added or changed and now falls in another window. */
  scheduleTurn?: string;
  /** A line for the user (the schedule keeps the stack asleep until a time). */
  notice?: string;
  /** The state file should learn that the stack sleeps: its service is tagged asleep and the state never said. */
  sleepingFound?: boolean;
}

/**
 * The stack this run wants, from the spec and the facts: a pure function, so `plan` and `up` want the same stack
 * from the same facts, whatever order the steps ran in.
 * - AZs: the spec's (checked by `connect`); else the state file's; else, once observed, the live subnets' (a
 *   state file lost loses nothing AWS knows); else those `connect` chose; else the region's first two letters.
 * - The hosted zone: Route 53's once `connect` asked, else the one the state file saw (a plan without credentials
 *   must not lose the DNS records).
 * - Asleep: as `sleep`/`wake` chose; else as the state file says (or the service's own tag, when the state file
 *   never said); else, with a schedule, as the schedule has it now (see `bySchedule`); else awake.
 */
export function desiredStack(spec: Spec, facts: Facts): Desired {
  const { recorded, connected, observed, asleepChosen } = facts;
  const live = observed?.resources;
  const [a, b] = publicSubnets.map((s) => live?.get(s.key)?.outputs.availabilityZone);
  const availabilityZones = spec.availabilityZones ?? recorded.azs ?? (a && b ? [a, b] : undefined) ?? connected?.zones ?? [`${spec.region}a`, `${spec.region}b`];
  const zone = spec.https ? (connected?.hostedZone === undefined ? recorded.hostedZone : connected.hostedZone ?? undefined) : undefined;
  const tagged = !!(live?.get(ecsService.key)?.attrs.tags as Record<string, string> | undefined)?.[TAG_ASLEEP];
  const sleepingFound = recorded.sleeping === undefined && tagged;
  const base = { ...spec, availabilityZones, ...(zone ? { hostedZone: zone } : {}), ...(facts.restoreFrom ? { restoreFrom: facts.restoreFrom } : {}) };
  if (asleepChosen) return { spec: { ...base, asleep: asleepChosen } };
  if (recorded.sleeping || sleepingFound) return { spec: { ...base, asleep: ASLEEP }, ...(sleepingFound ? { sleepingFound } : {}) };
  if (!spec.schedule || !observed) return { spec: { ...base, asleep: AWAKE } };
  const { asleep, ...said } = bySchedule(spec.schedule, observed.resources, observed.at);
  return { spec: { ...base, asleep }, ...said };
}

/**
 * With a schedule (and no `sleep` of the user's in force: that holds until `wake`), the schedule owns the
 * service's count and the DB's state. In an awake window the stack should be awake (drift is repaired). In a
 * sleep window the schedule's own calls put it to sleep and `wake` may have woken it until the next sleep time:
 * what AWS has then is what is wanted, so `up` neither wakes nor re-sleeps it. But a schedule added or changed
 * so that now falls in its sleep window never made that sleep's calls (Scheduler runs a schedule at its next
 * time): this run makes them, and its plan says why (`scheduleTurn`).
 */
function bySchedule(schedule: NonNullable<Spec["schedule"]>, observed: Observed, now: number): { asleep: Asleep; scheduleTurn?: string; notice?: string } {
  const phase = phaseAt(schedule, now);
  // What the schedules AWS has had asleep at this minute (none yet: awake): where the spec's differs, this run
  // is the sleep (or the wake) those never ran.
  const before = livePhaseAt(liveSchedules(observed), now);
  const service = observed.get(ecsService.key);
  const db = observed.get(dbInstance.key);
  const serviceAsleep = phase.service && (!before.service || (service ? service.attrs.desiredCount === 0 : true));
  const databaseAsleep = phase.database && (before.database ? (db ? ["stopped", "stopping"].includes(String(db.attrs.status)) : true) : serviceAsleep);
  // "Thu 20:00-Fri 08:00", "Thu 08:00-20:00" within a day.
  const sameDay = phase.since && phase.next && phase.since.slice(0, 3) === phase.next.slice(0, 3) && phase.since < phase.next;
  const until = sameDay ? phase.next!.slice(4) : phase.next;
  const window = phase.next ? `${phase.since}-${until} (${schedule.timezone}) holds until ${phase.next}` : undefined;
  return {
    asleep: { service: serviceAsleep, database: databaseAsleep, bySchedule: true },
    ...(window && phase.service !== before.service
      ? { scheduleTurn: `${phase.service ? "asleep now: the schedule's sleep window" : "awake now: the schedule's awake window"} ${window}` }
      : {}),
    ...(serviceAsleep && phase.next
      ? { notice: `Asleep until ${phase.next} (${schedule.timezone}) by schedule; \`spontime-infra wake\` wakes it now, until the next sleep time.` }
      : {}),
  };
}
