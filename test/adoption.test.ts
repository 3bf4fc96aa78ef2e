/**
 * The README's ownership claim: "a named resource that exists but is not tagged for this stack is never
 * adopted: `up` stops and says so". (Its adoption claim for lost create responses is proven call by call in
 * lost-response.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ECRClient, CreateRepositoryCommand } from "@aws-sdk/client-ecr";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { CreateClusterCommand, ECSClient } from "@aws-sdk/client-ecs";
import { APP, withHarness } from "./helpers.js";

describe("a resource with the stack's name that is not tagged for it", () => {
  const sdk = { region: "us-east-1" };
  const strangers: [string, string, () => Promise<unknown>][] = [
    ["ECR repository", `ecr:repository:${APP}`, () => new ECRClient(sdk).send(new CreateRepositoryCommand({ repositoryName: APP }))],
    ["IAM role", `iam:role:${APP}-us-east-1-ecs-execution`, () => new IAMClient(sdk).send(new CreateRoleCommand({ RoleName: `${APP}-us-east-1-ecs-execution`, AssumeRolePolicyDocument: "{}" }))],
    ["log group", `logs:log-group:/ecs/${APP}`, () => new CloudWatchLogsClient(sdk).send(new CreateLogGroupCommand({ logGroupName: `/ecs/${APP}` }))],
    ["ECS cluster", `ecs:cluster:${APP}`, () => new ECSClient(sdk).send(new CreateClusterCommand({ clusterName: APP }))],
  ];
  for (const [what, entry, create] of strangers) {
    it(`${what}: up refuses it, naming the tag it lacks, and leaves it untagged`, async () => {
      await withHarness(async (h) => {
        await h.clock.run(create);
        const r = await h.cli(["up", "--yes"]);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`not tagged spontime:stack=${APP}: refusing to adopt`));
        const touched = h.fake.mutatingCalls().filter((c) => /^(Tag|AddTags|CreateTags|PutLifecyclePolicy|PutRetentionPolicy|AttachRolePolicy|TagResource)/.test(c.op) && JSON.stringify(c.input).includes(APP));
        assert.deepEqual(touched.map((c) => c.op), [], "nothing done to the stranger's resource");
        assert.ok(!h.fake.taggedResources(APP).includes(entry), `${entry} is still not tagged for the stack`);
      });
    });
  }
});
