import type { Aws } from "../aws/clients.js";
import type { StackSnapshot } from "../aws/rds.js";
import type { RunId } from "../aws/ec2.js";
import type { names } from "../config/names.js";
import type { Spec } from "../config/schema.js";
import type { ReadCache } from "../shared/reads.js";
import type { Attrs, EngineCtx, Outputs, Resource } from "../engine/types.js";
import type { KindDeclaration } from "./kind.js";

/** The spec as the stack's resources see it: AZs resolved, and what is asleep (`sleep` stops the service first, then the DB). */
export interface DesiredStack extends Spec {
  availabilityZones: [string, string];
  /** `bySchedule`: the spec's schedule decided it (its own calls sleep the stack: no tag on the service then). */
  asleep: { service: boolean; database: boolean; bySchedule?: boolean };
  /** The account's public Route 53 zone for `https.domain`, if it has one: DNS records are then written, not printed. */
  hostedZone?: HostedZone;
  /** `up --restore`: the database, when it has to be created, is restored from this snapshot of the stack's. */
  restoreFrom?: StackSnapshot;
}

export interface HostedZone { id: string; name: string }

/** What every resource of this stack gets: the engine's context plus AWS, names and the run's options. */
export interface Ctx extends EngineCtx {
  spec: DesiredStack;
  names: ReturnType<typeof names>;
  aws: Aws;
  /** Reads shared while the whole stack is observed. */
  reads: ReadCache;
  /** `down --skip-final-snapshot`. */
  skipFinalSnapshot: boolean;
  /** `down`: nothing is kept, whatever the spec says; otherwise (`up`) deleting a kept resource is a replacement. */
  tearingDown: boolean;
  /** `--take-over-dns`: a record holding the domain that is not this stack's may be repointed at it. */
  takeOverDns: boolean;
  /** `down --disable-deletion-protection`: deletion protection turned on by hand is turned off before the delete. */
  disableDeletionProtection: boolean;
  /** Lines for the user once the run ends (e.g. the final snapshot's id). */
  notices: string[];
  /** This run, as it tags what it creates where a retried create can leave a copy (see TAG_CREATED_BY). */
  run: RunId;
}

/**
 * A resource of this stack: W is what it wants, A what observe reads back, O what dependents can `ref`; its
 * kind's declaration (client, actions, tagging) beside its lifecycle.
 */
export type StackResource<W extends Attrs, A extends Attrs, O extends Outputs> = Resource<Ctx, DesiredStack, W, A, O> & KindDeclaration;
