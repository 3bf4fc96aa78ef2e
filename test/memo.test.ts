/** A resource's private memo is kept apart from its outputs (issue 26 item 3). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withHarness } from "./helpers.js";

describe("a resource's memo", () => {
  it("the schedules' notes of what they last read stay in the state file, out of `up --json`, `outputs` and the outputs", () => withHarness(async (h) => {
    const spec = h.writeSpec({ schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } });
    const up = await h.cli(["up", "--yes", "--json", "--config", spec]);
    assert.equal(up.code, 0, up.stderr);
    assert.doesNotMatch(up.stdout, /"seen"|LastModificationDate/, "up --json prints no resource's private notes");
    const doc = JSON.parse(up.stdout) as { outputs: Record<string, Record<string, string>> };
    assert.deepEqual(Object.keys(doc.outputs["schedule-service-sleep"]!), ["names"]);
    const outputs = await h.cli(["outputs", "--json", "--config", spec]);
    assert.doesNotMatch(outputs.stdout, /"seen"/);
    const record = (h.state().resources as Record<string, { outputs: Record<string, string>; memo?: Record<string, string> }>)["schedule-service-sleep"]!;
    assert.ok(JSON.parse(record.memo!.seen!).length > 0, "the state file keeps the memo");
    assert.equal(record.outputs.seen, undefined);
    h.resetCalls();
    assert.equal((await h.cli(["up", "--yes", "--config", spec])).code, 0);
    assert.equal(h.fake.count("GetSchedule"), 0, "the memo still spares a no-op up its reads");
  }));
});

describe("the generated secrets", () => {
  it("are kept in the state file, and no command prints them: up, plan (text and --json) of a change to DATABASE_URL, outputs, status", () => withHarness(async (h) => {
    const up = await h.cli(["up", "--yes", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const { dbPassword, secretKey } = (h.state().resources as Record<string, { outputs: Record<string, string> }>).secrets!.outputs;
    assert.ok(dbPassword!.length >= 32 && secretKey!.length >= 64);
    const renamed = h.writeSpec({ database: { name: "renamed" } });
    const printed = [up, await h.cli(["plan", "--config", renamed]), await h.cli(["plan", "--json", "--config", renamed]), await h.cli(["outputs", "--json"]), await h.cli(["status", "--json"])];
    assert.match(printed[1]!.stdout, /DATABASE_URL: "postgis:\/\/spontime:\(sensitive\)@.* → "postgis:\/\/spontime:\(sensitive\)@/, "the plan shows where the secret is, masked");
    for (const r of printed) {
      assert.ok(!r.stdout.includes(dbPassword!) && !r.stderr.includes(dbPassword!), "the password is never printed");
      assert.ok(!r.stdout.includes(secretKey!) && !r.stderr.includes(secretKey!), "SECRET_KEY is never printed");
    }
  }));
});
