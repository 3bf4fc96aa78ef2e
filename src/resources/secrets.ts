import { randomInt } from "node:crypto";
import { activeTaskDefinition } from "../aws/ecs.js";
import type { StackResource } from "./context.js";

const KEY = "secrets";
// RDS refuses "/", "@", '"' and spaces in master passwords; letters and digits also need no URL-encoding.
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const random = (length: number, alphabet = ALPHANUMERIC) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");

type Out = { dbPassword: string; secretKey: string };

/**
 * The DB master password and Django SECRET_KEY: generated once, kept in the state file, marked sensitive so no
 * plan or output shows them. With the state file lost they are read back from the live task definition's
 * environment (the seed keeps them there as plain variables), so the running app keeps its sessions and its database.
 */
export const secrets: StackResource<Record<string, never>, Record<string, never>, Out> = {
  key: KEY,
  kind: "local:secrets",
  client: "none",
  tagging: "none",
  actions: { observe: ["ecs:DescribeServices", "ecs:DescribeTaskDefinition"] },
  ignored: {
    "(no AWS resource)": "the generated password and SECRET_KEY live in the state file; the database's password is compared through its hash tag",
  },
  sensitive: ["dbPassword", "secretKey"],
  title: () => "generated secrets (DB password, SECRET_KEY)",
  desired: () => ({}),
  async observe(ctx, prior) {
    if (prior?.outputs.dbPassword && prior.outputs.secretKey) return { id: KEY, state: "ready", attrs: {}, outputs: { dbPassword: prior.outputs.dbPassword, secretKey: prior.outputs.secretKey } };
    const td = (await activeTaskDefinition(ctx, ctx.names.taskFamily))?.taskDefinition;
    const env = Object.fromEntries((td?.containerDefinitions?.[0]?.environment ?? []).map((v) => [v.name, v.value]));
    const password = env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).password) : undefined;
    if (!password || !env.SECRET_KEY) return undefined;
    return { id: KEY, state: "ready", attrs: {}, outputs: { dbPassword: password, secretKey: env.SECRET_KEY } };
  },
  async create() {
    return { id: KEY, outputs: { dbPassword: random(32), secretKey: random(64, `${ALPHANUMERIC}-_`) } };
  },
  async delete() {},
};
