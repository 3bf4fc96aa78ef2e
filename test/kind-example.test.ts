/**
 * The README's "Adding a resource kind" is a real kind (test/example/s3-endpoint.ts, compiled with the tests):
 * the README shows it as it would sit in src/resources/, and registering it is all the product needs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { stackTags } from "../src/config/names.js";
import { SpecSchema } from "../src/config/schema.js";
import { graphOf } from "../src/engine/plan.js";
import type { DesiredStack } from "../src/resources/context.js";
import { actionsOf } from "../src/stack/permissions.js";
import { RESOURCES } from "../src/stack/resources.js";
import { s3Endpoint } from "./example/s3-endpoint.js";

const source = readFileSync(new URL("../../test/example/s3-endpoint.ts", import.meta.url), "utf8");
/** The file as it would be in src/resources/. */
const asInSrc = source.replaceAll('"../../src/resources/', '"./').replaceAll('"../../src/', '"../');

describe("adding a resource kind", () => {
  it("the README shows the example kind as it compiles", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    assert.ok(readme.includes(`// src/resources/s3-endpoint.ts\n${asInSrc}`), "README.md shows test/example/s3-endpoint.ts (imports as from src/resources/)");
  });

  it("one registry line: the engine orders it by its references, tagging and permissions follow from its declaration", () => {
    const spec: DesiredStack = { ...SpecSchema.parse({ tags: { team: "web" } }), availabilityZones: ["us-east-1a", "us-east-1b"], asleep: { service: false, database: false } };
    const registry = [...RESOURCES, s3Endpoint];
    const node = graphOf(registry, spec).find((n) => n.key === "s3-endpoint")!;
    assert.deepEqual([...node.dependsOn].sort(), ["route-table-public", "vpc"]);
    assert.deepEqual(s3Endpoint.desired(spec, (() => ({ vpcId: "vpc-1", routeTableId: "rtb-1" })) as never).tags, stackTags(spec, "s3-endpoint"));
    assert.deepEqual(actionsOf(s3Endpoint, "create", {}), ["ec2:CreateVpcEndpoint", "ec2:CreateTags"]);
    assert.deepEqual(actionsOf(s3Endpoint, "update", {}), ["ec2:ModifyVpcEndpoint", "ec2:CreateTags", "ec2:DeleteTags"]);
  });
});
