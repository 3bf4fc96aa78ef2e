/**
 * Two runs of one stack at once, each with its own state directory (two laptops, or a laptop and a CI runner
 * before team state; issue 23 item 1). The local lock cannot see the other run: the stack's claim in AWS
 * (src/state/claim.ts) lets only one of them apply, and no run ever deletes what the other made or uses.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Aws } from "../src/aws/clients.js";
import { ClaimLost, CLAIM_TTL_MS, StackClaim } from "../src/state/claim.js";
import { lockHolder } from "../src/state/store.js";
import type { FakeAws } from "./fake/aws.js";
import { APP, kindOf, withHarness } from "./helpers.js";

const CLAIM = `/spontime-infra/${APP}/claim`;

/** Every id, ARN and name the fake holds for something that still exists (ECS keeps INACTIVE items listed a while). */
function liveIds(fake: FakeAws): Set<string> {
  const ids = new Set<string>();
  for (const service of Object.values(fake.state)) {
    if (!service || typeof service !== "object") continue;
    for (const items of Object.values(service)) {
      if (!(items instanceof Map)) continue;
      for (const [key, item] of items) {
        const v = item as Record<string, unknown>;
        if (typeof v?.status === "string" && /INACTIVE|DELETED/.test(v.status)) continue;
        ids.add(String(key));
        for (const field of ["id", "arn", "name"]) if (typeof v?.[field] === "string") ids.add(v[field] as string);
      }
    }
  }
  return ids;
}

/** The resources a state directory's file records that no longer exist at AWS ("secrets" is generated locally). */
function deadInState(fake: FakeAws, stateDir: string): string[] {
  const state = JSON.parse(readFileSync(join(stateDir, `${APP}.json`), "utf8")) as { resources: Record<string, { id: string }> };
  const live = liveIds(fake);
  return Object.entries(state.resources).filter(([key, r]) => key !== "secrets" && !live.has(r.id)).map(([key, r]) => `${key} ${r.id}`);
}

const kinds = (fake: FakeAws) => fake.taggedResources(APP).map(kindOf).sort();

/** A small deterministic generator (mulberry32), so a failing interleaving can be replayed by its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("two runs of one stack from two state directories", () => {
  it("50 seeded interleavings of two concurrent `up`s: a run that exits 0 has every resource of its state live, one copy of each resource remains", async () => {
    const one = await withHarness(async (h) => { await h.up(); return kinds(h.fake); });
    for (let seed = 1; seed <= 50; seed++) {
      const rng = random(seed);
      // Where B starts in A's run: at once (both race for the claim), within A's first calls, or anywhere in its 10 minutes.
      const span = [1_000, 20_000, 700_000][seed % 3]!;
      const startAfterMs = Math.floor(rng() * span);
      await withHarness(async (h) => {
        const dirB = join(h.dir, "state-b");
        const [a, b] = await h.runsConcurrently([{ argv: ["up", "--yes"] }, { argv: ["up", "--yes"], stateDir: dirB, startAfterMs }]);
        const why = `seed ${seed}, B after ${startAfterMs} ms\nA (${a!.code}): ${a!.stderr.slice(-600)}\nB (${b!.code}): ${b!.stderr.slice(-600)}`;
        assert.ok(a!.code === 0 || b!.code === 0, `one run applies: ${why}`);
        for (const [run, dir] of [[a!, h.stateDir], [b!, dirB]] as const) {
          if (run.code === 0) assert.deepEqual(deadInState(h.fake, dir), [], `a run that exited 0 has its resources live: ${why}`);
          else assert.match(run.stderr, /the stack is being changed by another run: pid \d+ on .*`up`/, why);
        }
        assert.deepEqual(kinds(h.fake), one, `one copy of each resource: ${why}`);
        assert.deepEqual([...h.fake.state.ssm.parameters.keys()], [], `the claim is released: ${why}`);
      }, { seed });
    }
  });

  it("the claim names the other run and how to go on; a claim whose process is gone on this machine, or that lapsed, is taken over", async () => {
    await withHarness(async (h) => {
      const claim = (holder: object) => h.fake.state.ssm.parameters.set(`${CLAIM}/3`, { name: `${CLAIM}/3`, value: JSON.stringify(holder), version: 1, lastModified: 0 });
      const base = { user: "bob", since: "2026-12-01T10:00:00.000Z", command: "up", run: "run-b" };
      claim({ ...base, pid: 4242, host: "ci-runner-7", expiresAt: h.clock.now() + 5 * 60_000 });
      const refused = await h.cli(["up", "--yes"]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /the stack is being changed by another run: pid 4242 on ci-runner-7 \(`up` since 2026-12-01T10:00:00.000Z\), started by bob, run run-b \(it holds the claim \/spontime-infra\/spontime-poc\/claim in AWS, whatever state directory it uses\)\n\s+wait for it to finish; if that run is gone for good, its claim lapses by itself at .*, or run again with --force-unlock/);
      assert.equal(h.fake.mutatingCalls().length, 0, "nothing changed");

      // That run is gone for good: --force-unlock breaks its claim (asked first; --yes answers).
      const broken = await h.cli(["up", "--yes", "--force-unlock"]);
      assert.equal(broken.code, 0, broken.stderr);
      assert.match(broken.stderr, /Breaking the claim on the stack of pid 4242 on ci-runner-7/);
      h.resetCalls();

      // The same claim, lapsed (with the margin for another machine's clock): taken over, said so, generation 4.
      claim({ ...base, pid: 4242, host: "ci-runner-7", expiresAt: h.clock.now() - 61_000 });
      const lapsed = await h.cli(["up", "--yes"]);
      assert.equal(lapsed.code, 0, lapsed.stderr);
      assert.match(lapsed.stderr, /Taking over the claim on the stack of pid 4242 on ci-runner-7 .*: it lapsed at/);
      const claimWrites = h.fake.claimCalls().filter((c) => c.mutating && !(c.input as { Overwrite?: boolean }).Overwrite);
      assert.deepEqual(claimWrites.map((c) => `${c.op} ${(c.input as { Name: string }).Name}`), [`PutParameter ${CLAIM}/4`, `DeleteParameter ${CLAIM}/3`, `DeleteParameter ${CLAIM}/4`]);

      // A run on this machine killed a minute ago: its process is gone, its claim is taken over at once.
      claim({ ...base, pid: 2 ** 22 + 1, host: hostname(), expiresAt: h.clock.now() + 9 * 60_000 });
      const dead = await h.cli(["up", "--yes"]);
      assert.equal(dead.code, 0, dead.stderr);
      assert.match(dead.stderr, /Taking over the claim on the stack of .*: that process is no longer running/);
      assert.deepEqual([...h.fake.state.ssm.parameters.keys()], []);
    });
  });

  it("a run longer than the claim's 10 minutes renews it: a second run started after that still finds it held", async () => {
    await withHarness(async (h) => {
      // `up` from empty takes about 612 s on the fake's latencies: B starts once an unrenewed claim would have lapsed.
      const [a, b] = await h.runsConcurrently([{ argv: ["up", "--yes"] }, { argv: ["up", "--yes"], stateDir: join(h.dir, "state-b"), startAfterMs: 601_000 }]);
      assert.equal(a!.code, 0, a!.stderr);
      assert.equal(b!.code, 2, b!.stderr);
      assert.match(b!.stderr, /the stack is being changed by another run/);
      assert.ok(h.fake.claimCalls().filter((c) => (c.input as { Overwrite?: boolean }).Overwrite).length >= 2, "renewed every 5 minutes");
    });
  });

  it("a copy of the network another run made and uses is never deleted: up stops, naming both copies, when and by which run each was made, what uses them, and how to resolve it (exit 1)", async () => {
    await withHarness(async (h) => {
      await h.up();
      // The neighbour: another run (its own state directory) made its own VPC and subnet, and its ALB's interface is in it.
      const other = { "spontime:stack": APP, ManagedBy: "spontime-infra", "spontime:created-by": "2026-12-01T10:00:00.000Z/run-other" };
      const ec2 = h.fake.ec2;
      ec2.vpcs.set("vpc-other", { id: "vpc-other", cidr: "10.0.0.0/16", dnsSupport: true, dnsHostnames: true, createdAt: 0, tags: { ...other, "spontime:resource": "vpc" } });
      ec2.subnets.set("subnet-other", { id: "subnet-other", vpcId: "vpc-other", cidr: "10.0.1.0/24", az: "us-east-1a", mapPublicIp: true, createdAt: 0, tags: { ...other, "spontime:resource": "subnet-public-a" } });
      // ...and an internet gateway nothing uses: still the other run's, so never deleted by this one either.
      ec2.igws.set("igw-other", { id: "igw-other", createdAt: 0, tags: { ...other, "spontime:resource": "internet-gateway" } });
      ec2.enis.set("eni-other", { id: "eni-other", subnetId: "subnet-other", groups: [], publicIp: true, owner: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other-alb/1" });
      const ours = h.state().resources.vpc!.id;
      for (const dir of [h.stateDir, join(h.dir, "state-b")]) {
        h.resetCalls();
        const r = await h.runsConcurrently([{ argv: ["up", "--yes"], stateDir: dir }]).then(([x]) => x!);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /two live copies of the stack's network exist \(two runs at once, each with its own state directory\): this run changed nothing, and deletes neither/);
        assert.match(r.stderr, new RegExp(`keep   ${ours}${dir === h.stateDir ? " \\(this state file's\\)" : ""}: made 1970-01-01T00:00:00.000Z by run [0-9a-f-]{36}; used by subnet subnet-`));
        assert.match(r.stderr, /remove vpc-other: made 2026-12-01T10:00:00.000Z by run run-other; used by subnet subnet-other, network interface eni-other \(ELB app\/other-alb\/1\)/);
        assert.match(r.stderr, /remove subnet-other: made 2026-12-01T10:00:00.000Z by run run-other; used by network interface eni-other/);
        assert.match(r.stderr, /remove igw-other: made 2026-12-01T10:00:00.000Z by run run-other; used by nothing/);
        assert.match(r.stderr, /Remove the others, what is inside a VPC first, then run `spontime-infra up` again:\n\s+aws ec2 delete-subnet --subnet-id subnet-other\n\s+aws ec2 detach-internet-gateway --internet-gateway-id igw-other .*\n\s+aws ec2 delete-internet-gateway --internet-gateway-id igw-other\n\s+aws ec2 delete-vpc --vpc-id vpc-other/);
        assert.deepEqual(h.fake.mutatingCalls(), [], "nothing changed, nothing deleted");
      }
      assert.ok(ec2.vpcs.has("vpc-other") && ec2.subnets.has("subnet-other") && ec2.igws.has("igw-other"));
      const plan = await h.cli(["plan"]);
      assert.equal(plan.code, 1, "plan says what up would: it stops");
      assert.match(plan.stderr, /two live copies of the stack's network exist/);
      // `down` is asked to remove the whole stack: every copy tagged for it goes, once nothing else uses it.
      ec2.enis.delete("eni-other");
      const down = await h.cli(["down", "--yes", "--skip-final-snapshot"]);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(h.fake.taggedResources(APP), []);
    });
  });

  it("a run whose claim lapsed (a machine asleep) stops before its next call when another run took the stack meanwhile; with nobody in between it takes it again", async () => {
    await withHarness(async (h) => {
      await h.clock.run(async () => {
        const aws = new Aws({ region: "us-east-1" }, h.clock);
        const claim = new StackClaim(aws.ssm, APP, h.clock, lockHolder("up", "run-a"), () => {});
        await claim.acquire();
        await h.clock.sleep(CLAIM_TTL_MS + 1);
        await claim.keep();
        assert.deepEqual([...h.fake.state.ssm.parameters.keys()], [`${CLAIM}/2`], "taken again as the next generation");
        await h.clock.sleep(CLAIM_TTL_MS + 1);
        const other = { ...lockHolder("up", "run-b"), host: "laptop-b", expiresAt: h.clock.now() + CLAIM_TTL_MS };
        h.fake.state.ssm.parameters.set(`${CLAIM}/3`, { name: `${CLAIM}/3`, value: JSON.stringify(other), version: 1, lastModified: h.clock.now() });
        await assert.rejects(claim.keep(), (e: Error) => e instanceof ClaimLost && /this run's claim on the stack lapsed and pid \d+ on laptop-b .*run run-b took it over: stopped before changing anything more/.test(e.message));
        await assert.rejects(claim.keep(), ClaimLost, "and before every later call");
        await claim.release();
        assert.ok(h.fake.state.ssm.parameters.has(`${CLAIM}/3`), "the other run's claim is left alone");
      });
    });
  });

  it("a claim call whose answer is lost and which is sent again (ParameterAlreadyExists, ParameterNotFound) is this run's own: up goes on and the claim is released", async () => {
    await withHarness(async (h) => {
      h.fake.loseClaimAnswer("PutParameter");
      h.fake.loseClaimAnswer("DeleteParameter");
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(h.fake.claimCalls().filter((c) => c.op === "PutParameter").length >= 2, true, "sent twice");
      assert.deepEqual([...h.fake.state.ssm.parameters.keys()], []);
    });
  });
});
