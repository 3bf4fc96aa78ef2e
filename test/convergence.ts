import assert from "node:assert/strict";
import { FULL_STACK, kindOf } from "./contract.js";
import { APP, withHarness, type Harness, type HarnessSnapshot } from "./helpers.js";

/** What the crash and lost-response matrices check after each run: the registry's inventory (contract.ts). */
export const KINDS = FULL_STACK;
export const kinds = (h: Harness) => h.fake.taggedResources(APP).map(kindOf).sort();

/** The stack is whole, single, recorded truthfully, and runs on the secrets the state file holds. */
export function assertConverged(h: Harness, context: string) {
  assert.deepEqual(kinds(h), KINDS, `${context}: exactly one of each resource`);
  const state = h.state();
  assert.equal(state.resources.vpc!.id, [...h.fake.ec2.vpcs.keys()][0], `${context}: state knows the VPC`);
  assert.ok(h.fake.elb.lbs.has(state.resources["load-balancer"]!.id), `${context}: state knows the ALB`);
  const secrets = state.resources.secrets!.outputs;
  assert.equal(h.fake.rds.instances.get(`${APP}-db`)?.password, secrets.dbPassword, `${context}: the DB runs on the password in state`);
  const service = [...h.fake.ecs.services.values()].find((s) => s.status === "ACTIVE")!;
  const env = Object.fromEntries(h.fake.ecs.taskDefs.get(service.taskDefinition)!.def.containerDefinitions![0]!.environment!.map((e) => [e.name, e.value]));
  assert.equal(env.SECRET_KEY, secrets.secretKey, `${context}: the app runs on the SECRET_KEY in state`);
  assert.ok(env.DATABASE_URL.includes(`:${secrets.dbPassword}@`), `${context}: DATABASE_URL carries the state's password`);
}

export async function mutationsOf(argvs: string[][]): Promise<number> {
  let count = 0;
  await withHarness(async (h) => {
    for (const argv of argvs.slice(0, -1)) await h.cli(argv);
    h.resetCalls();
    await h.cli(argvs.at(-1)!);
    count = h.fake.mutatingCalls().length;
  });
  return count;
}

/** One converged stack, built once: the matrices below restore it instead of rebuilding it call by call. */
export async function builtStack(): Promise<HarnessSnapshot> {
  let snap: HarnessSnapshot | undefined;
  await withHarness(async (h) => {
    await h.up();
    snap = h.snapshot();
  });
  return snap!;
}

