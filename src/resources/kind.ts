import type { Aws } from "../aws/clients.js";
import type { TagService } from "../aws/tags.js";

/** The steps of a resource's life, each needing its own IAM actions. */
export type Verb = "observe" | "create" | "update" | "delete";
export const VERBS: readonly Verb[] = ["observe", "create", "update", "delete"];

/** IAM actions (`service:Action`) by step. */
export type ActionsByVerb = Readonly<Partial<Record<Verb, readonly string[]>>>;

/**
 * What a kind declares once, beside its lifecycle (crossplane's managed resource with its initializers): the
 * client its calls go through, the IAM actions each step calls, and how it is tagged. The registry
 * (src/stack/resources.ts) derives from it what used to be kept by hand: the permission lists of `doctor`, of
 * the preflight (the actions of the plan that will run) and of the README, and the inventories the fake and
 * the tests check against.
 */
export interface KindDeclaration {
  /** `<service>:<kind>`, as the plan names it. */
  readonly kind: string;
  /** The client (an `Aws` property) its calls go through; "none" for what lives only in the state file. */
  readonly client: keyof Pick<Aws, "ec2" | "elbv2" | "rds" | "ecs" | "ecr" | "logs" | "iam" | "scheduler" | "acm" | "route53"> | "none";
  /** The IAM actions each step calls, tagging's aside: those follow from `tagging`. */
  readonly actions: ActionsByVerb;
  /**
   * The service whose tag calls keep its tags in sync (its create call tags it: AWS asks for the tag action
   * for that too); "none" where AWS keeps no tags on it (ownership is then proven otherwise).
   */
  readonly tagging: TagService | "none";
  /** Actions only some specs call (Spot capacity), with how the README says when. */
  readonly optionalActions?: { readonly when: (spec: { app?: { capacity?: string; secrets?: object } }) => boolean; readonly says: string; readonly actions: ActionsByVerb };
}
