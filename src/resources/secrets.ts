import { DescribeTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { randomInt } from "node:crypto";
import type { Resource } from "../engine/types.js";
import { absentIfNotFound } from "../aws/ec2.js";
import { errorCode } from "../aws/errors.js";

const KEY = "secrets";
// RDS refuses "/", "@", '"' and spaces in master passwords; letters and digits also need no URL-encoding.
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const random = (length: number, alphabet = ALPHANUMERIC) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");

/**
 * The DB master password and Django SECRET_KEY: generated once, kept in the state file, never in a plan.
 * With the state file lost they are read back from the live task definition's environment (the seed keeps
 * them there as plain variables), so the running app keeps its sessions and its database.
 */
export const secrets: Resource<Record<string, never>> = {
  key: KEY,
  kind: "local:secrets",
  dependsOn: [],
  title: () => "generated secrets (DB password, SECRET_KEY)",
  desired: () => ({}),
  async observe(ctx, prior) {
    if (prior?.outputs.dbPassword && prior.outputs.secretKey) return { id: KEY, attrs: {}, outputs: prior.outputs };
    const td = await absentIfNotFound(async () => {
      try {
        return (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ctx.names.taskFamily }))).taskDefinition;
      } catch (e) {
        if (errorCode(e) === "ClientException") return undefined; // ECS's answer for a family with no active revision
        throw e;
      }
    });
    const env = Object.fromEntries((td?.containerDefinitions?.[0]?.environment ?? []).map((v) => [v.name, v.value]));
    const password = env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).password) : undefined;
    if (!password || !env.SECRET_KEY) return undefined;
    return { id: KEY, attrs: {}, outputs: { dbPassword: password, secretKey: env.SECRET_KEY } };
  },
  async create() {
    return { id: KEY, outputs: { dbPassword: random(32), secretKey: random(64, `${ALPHANUMERIC}-_`) } };
  },
  async delete() {},
};
