import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { EC2Client } from "@aws-sdk/client-ec2";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { APP, SCENARIOS, type ContractTarget } from "./contract.js";
import { Harness, kindOf } from "./helpers.js";

/** The offline fake as a contract target: it counts mutating calls by its own list, not the CLI's report. */
function fakeTarget(h: Harness): ContractTarget {
  return {
    cli: (argv) => { h.resetCalls(); return h.cli(argv); },
    mutatingCalls: () => h.fake.mutatingCalls().length,
    tagged: async () => h.fake.taggedResources(APP).map(kindOf).sort(),
    aws: (fn) => h.clock.run(() => fn({ ec2: new EC2Client({ region: "us-east-1" }), logs: new CloudWatchLogsClient({ region: "us-east-1" }) })),
    deleteStateFile: () => rmSync(h.statePath),
    unreported: {},
  };
}

describe("contract, on the fake (the same scenarios run on moto in npm run test:e2e)", () => {
  const h = new Harness();
  after(() => h.close());
  const target = fakeTarget(h);
  for (const s of SCENARIOS) it(s.name, () => s.run(target));
});
