/** The stack's claim in SSM (src/state/claim.ts), called directly against the fake on the virtual clock (no CLI). */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { Aws } from "../src/aws/clients.js";
import { ToolError, UserError } from "../src/errors.js";
import { CLAIM_SKEW_MS, CLAIM_TTL_MS, claimPath, ClaimLost, StackClaim, type ClaimInfo } from "../src/state/claim.js";
import { heldLocks, releaseHeldLocks } from "../src/state/held.js";
import { lockHolder, thisProcessStart } from "../src/state/store.js";
import { FakeAws } from "./fake/aws.js";
import { VirtualClock } from "./fake/clock.js";
import { awsError } from "./fake/common.js";
import { matches } from "./error-match.js";

/** A pid no process has: above Linux's pid_max limit (2^22). */
const DEAD = 4_194_400;


describe("the stack's claim (SSM parameters)", () => {
  const PATH = claimPath("app");
  const other: Omit<ClaimInfo, "expiresAt"> = { pid: 4242, host: "ci-runner-7", user: "bob", since: "2026-12-01T09:00:00.000Z", command: "up", run: "run-b" };
  const WHO = "pid 4242 on ci-runner-7 \\(`up` since 2026-12-01T09:00:00.000Z\\), started by bob, run run-b";
  interface Claiming { fake: FakeAws; clock: VirtualClock; claim: (run?: string) => StackClaim; notices: string[]; put: (gen: number, info: object | string) => void; names: () => string[] }
  /** A fresh fake account on a virtual clock, a claim for any run of this process, and the claim parameters at hand. */
  const withClaim = async (fn: (c: Claiming) => Promise<void>) => {
    const clock = new VirtualClock(Date.parse("2026-12-01T10:00:00Z"));
    const fake = new FakeAws(clock).install();
    const ssm = new Aws({ region: "us-east-1" }, clock).ssm;
    const notices: string[] = [];
    const params = fake.state.ssm.parameters;
    const put = (gen: number, info: object | string) => params.set(`${PATH}/${gen}`, { name: `${PATH}/${gen}`, value: typeof info === "string" ? info : JSON.stringify(info), version: 1, lastModified: 0 });
    const claim = (run = "run-a") => new StackClaim(ssm, "app", clock, lockHolder("up", run), (l) => notices.push(l));
    try {
      await clock.run(() => fn({ fake, clock, notices, put, names: () => [...params.keys()].sort(), claim }));
    } finally {
      fake.restore();
    }
  };
  const writes = (fake: FakeAws) => fake.calls.filter((c) => c.mutating).map((c) => `${c.op} ${(c.input as { Name: string }).Name}${(c.input as { Overwrite?: boolean }).Overwrite ? " overwrite" : ""}`);

  it("is generation 1 of the stack's path, naming this run until the TTL; renewed past half of it; released at the end", async () => {
    await withClaim(async ({ fake, clock, claim, names, notices }) => {
      const a = claim();
      await a.acquire();
      assert.deepEqual(notices, [], "a free stack is taken without a word");
      assert.equal(PATH, "/spontime-infra/app/claim");
      const call = fake.calls.find((c) => c.op === "PutParameter")!;
      const put = call.input as { Name: string; Value: string; Type: string; Overwrite: boolean; Tier: string };
      // Sent at `call.at` less the fake's latency (150 ms).
      assert.deepEqual({ ...put, Value: JSON.parse(put.Value) }, { Name: `${PATH}/1`, Type: "String", Overwrite: false, Tier: "Standard", Value: { ...lockHolder("up", "run-a"), since: JSON.parse(put.Value).since, expiresAt: call.at - 150 + CLAIM_TTL_MS } });
      assert.equal(heldLocks.has(PATH), true);
      fake.calls.length = 0;
      const expiresAt = call.at - 150 + CLAIM_TTL_MS;
      await clock.sleep(expiresAt - CLAIM_TTL_MS / 2 - 1 - clock.now());
      await a.keep();
      assert.deepEqual(writes(fake), [], "not renewed before half its time");
      await clock.sleep(1);
      await Promise.all([a.keep(), a.keep()]);
      assert.deepEqual(writes(fake), [`PutParameter ${PATH}/1 overwrite`], "renewed once");
      const renewed = JSON.parse(fake.state.ssm.parameters.get(`${PATH}/1`)!.value) as ClaimInfo;
      assert.equal(renewed.expiresAt, clock.now() - 150 + CLAIM_TTL_MS);
      await a.release();
      assert.deepEqual(names(), []);
      assert.equal(heldLocks.has(PATH), false);
      await a.release();
      assert.equal(fake.count("DeleteParameter"), 1, "released once");
    });
  });

  it("another machine's live claim is refused with when it lapses; --force-unlock asks, then breaks it as the next generation", async () => {
    await withClaim(async ({ clock, claim, notices, put, names }) => {
      const expiresAt = clock.now() + 5 * 60_000;
      put(3, { ...other, expiresAt });
      const until = new Date(expiresAt + CLAIM_SKEW_MS).toISOString();
      await assert.rejects(claim().acquire(), matches(UserError, new RegExp(`^the stack is being changed by another run: ${WHO} \\(it holds the claim ${PATH} in AWS, whatever state directory it uses\\)$`),
        new RegExp(`^wait for it to finish; if that run is gone for good, its claim lapses by itself at ${until}, or run again with --force-unlock$`)));
      const asked: string[] = [];
      await assert.rejects(claim().acquire(true, async (q) => { asked.push(q); return false; }), matches(ToolError, /^Cancelled: the claim was left in place\.$/));
      assert.match(asked[0]!, new RegExp(`^Break the claim on the stack of ${WHO}\\? Do it only if that run is gone for good\\.$`));
      await assert.rejects(claim().acquire(true), matches(ToolError, /Cancelled/), "no answer is no");
      assert.equal(heldLocks.has(PATH), false);
      await claim().acquire(true, async () => true);
      assert.match(notices[0]!, new RegExp(`^Breaking the claim on the stack of ${WHO}\\.$`));
      assert.deepEqual(names(), [`${PATH}/4`]);
    });
  });

  it("another machine's claim is taken over only a minute past its end (clocks differ); this machine's at its end", async () => {
    await withClaim(async ({ clock, claim, notices, put, names }) => {
      // The list answers 150 ms after the call (the fake's latency): the claim is judged then.
      put(1, { ...other, expiresAt: clock.now() + 150 - CLAIM_SKEW_MS + 1 });
      await assert.rejects(claim().acquire(), matches(UserError, /the stack is being changed by another run/));
      const expiresAt = clock.now() + 150 - CLAIM_SKEW_MS;
      put(1, { ...other, expiresAt });
      await claim().acquire();
      assert.equal(notices[0], `Taking over the claim on the stack of ${WHO.replace(/\\/g, "")}: it lapsed at ${new Date(expiresAt).toISOString()} (that run stopped renewing it).`);
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
    await withClaim(async ({ clock, claim, put, names }) => {
      put(1, { ...other, host: hostname(), pid: process.ppid, expiresAt: clock.now() + 150 });
      await claim().acquire();
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
  });

  it("a claim of a live run on this machine is never broken; one whose process is gone is taken over at once; an unreadable one counts as lapsed", async () => {
    await withClaim(async ({ clock, claim, notices, put, names }) => {
      put(1, { ...other, host: hostname(), pid: process.ppid, started: undefined, expiresAt: clock.now() + CLAIM_TTL_MS });
      await assert.rejects(claim().acquire(), matches(UserError, /^the stack is being changed by another run/, /^wait for it to finish$/));
      await assert.rejects(claim().acquire(true, async () => true), matches(UserError, /another run/, /^--force-unlock never breaks the claim of a run still going on this machine: wait for it, or stop it with Ctrl-C$/));
      put(1, { ...other, host: hostname(), pid: DEAD, expiresAt: clock.now() + CLAIM_TTL_MS });
      await claim().acquire();
      assert.match(notices[0]!, new RegExp(`^Taking over the claim on the stack of pid ${DEAD} on .*, run run-b: that process is no longer running\\.$`));
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
    await withClaim(async ({ claim, notices, put, names }) => {
      put(1, "garbage");
      await claim().acquire();
      assert.deepEqual(notices, ["Taking over the claim on the stack of an unreadable claim: it lapsed (that run stopped renewing it)."]);
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
  });

  it("in this very process, a claim is live while its run is here: another run here is refused, the one left by a finished run taken", async () => {
    await withClaim(async ({ clock, claim, put, names }) => {
      const a = claim("run-a");
      await a.acquire();
      await assert.rejects(claim("run-b").acquire(), matches(UserError, /another run: pid \d+ .*, run run-a/, /^wait for it to finish$/));
      await a.release();
      put(5, { ...lockHolder("up", "run-gone"), started: thisProcessStart(), expiresAt: clock.now() + CLAIM_TTL_MS });
      await claim("run-b").acquire();
      assert.deepEqual(names(), [`${PATH}/6`]);
    });
  });

  it("every generation is read (pages of 10), the highest by number taken over, the older ones deleted; other names ignored", async () => {
    await withClaim(async ({ clock, put, names, fake }) => {
      for (let gen = 1; gen <= 11; gen++) put(gen, { ...other, run: `run-${gen}`, expiresAt: clock.now() - 2 * CLAIM_SKEW_MS });
      for (const name of ["0", "x"]) fake.state.ssm.parameters.set(`${PATH}/${name}`, { name: `${PATH}/${name}`, value: "{}", version: 1, lastModified: 0 });
      const notices: string[] = [];
      const c = new StackClaim(new Aws({ region: "us-east-1" }, clock).ssm, "app", clock, lockHolder("up", "run-a"), (l) => notices.push(l));
      await c.acquire();
      assert.match(notices[0]!, /, run run-11: it lapsed at/);
      assert.deepEqual(names(), [`${PATH}/0`, `${PATH}/12`, `${PATH}/x`]);
    });
  });

  it("a generation another run made first is looked at again; one it made past ours wins and ours is withdrawn; five lost races end the attempt", async () => {
    await withClaim(async ({ fake, clock, claim, put, names }) => {
      let raced = false;
      fake.onCall = (op, input) => {
        if (op === "PutParameter" && !raced) { raced = true; put(1, { ...other, expiresAt: clock.now() + CLAIM_TTL_MS }); }
        void input;
      };
      await assert.rejects(claim().acquire(), matches(UserError, new RegExp(`another run: ${WHO}`)));
      assert.deepEqual(names(), [`${PATH}/1`]);
    });
    await withClaim(async ({ fake, clock, claim, put, names }) => {
      let raced = false;
      fake.onCall = (op) => { if (op === "GetParametersByPath" && fake.count("PutParameter") === 1 && !raced) { raced = true; put(2, { ...other, expiresAt: clock.now() + CLAIM_TTL_MS }); } };
      await assert.rejects(claim().acquire(), matches(UserError, new RegExp(`another run: ${WHO}`)));
      assert.deepEqual(writes(fake), [`PutParameter ${PATH}/1`, `DeleteParameter ${PATH}/1`]);
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
    await withClaim(async ({ fake, claim }) => {
      fake.failWith = (op) => (op === "PutParameter" ? awsError("ParameterAlreadyExists", "exists") : undefined);
      await assert.rejects(claim().acquire(), matches(ToolError, new RegExp(`^could not take the claim on the stack \\(${PATH}\\): other runs kept taking it first$`)));
      assert.equal(fake.count("PutParameter"), 5);
      fake.failWith = (op) => (op === "PutParameter" ? awsError("ValidationException", "bad") : undefined);
      await assert.rejects(claim().acquire(), (e) => (e as Error).message === "bad");
    });
  });

  it("a lapsed claim: taken again when nobody took it; the run stops when another did, or when it is gone; release leaves it", async () => {
    await withClaim(async ({ fake, clock, claim, put, names, notices }) => {
      const a = claim();
      await a.acquire();
      await clock.sleep(CLAIM_TTL_MS);
      await a.keep();
      assert.deepEqual(names(), [`${PATH}/2`], "taken again");
      assert.deepEqual(notices, [], "its own claim: nobody's to take over");
      await clock.sleep(CLAIM_TTL_MS);
      fake.state.ssm.parameters.clear();
      await assert.rejects(a.keep(), matches(ClaimLost, /^this run's claim on the stack lapsed and another run \(done since\) took it over: stopped before changing anything more; run `spontime-infra plan`/));
      await assert.rejects(a.keep(), ClaimLost);
      assert.equal(heldLocks.has(PATH), false);
      const b = claim("run-x");
      await b.acquire();
      await clock.sleep(CLAIM_TTL_MS);
      put(2, { ...other, expiresAt: clock.now() + CLAIM_TTL_MS });
      await assert.rejects(b.keep(), matches(ClaimLost, new RegExp(`lapsed and ${WHO} took it over`)));
      fake.calls.length = 0;
      const c = claim("run-c");
      fake.state.ssm.parameters.clear();
      await c.acquire();
      await clock.sleep(CLAIM_TTL_MS);
      await c.release();
      assert.deepEqual(writes(fake).filter((w) => w.startsWith("Delete")), [], "a lapsed claim is left to its successor");
      void put;
    });
  });

  it("keep before the claim is taken, or after it is released, asks nothing; a create whose answer was lost is renewed like any", async () => {
    await withClaim(async ({ fake, clock, claim, names }) => {
      const a = claim();
      await a.keep();
      assert.equal(fake.calls.length, 0);
      fake.loseClaimAnswer("PutParameter");
      await a.acquire();
      assert.deepEqual(names(), [`${PATH}/1`]);
      await clock.sleep(CLAIM_TTL_MS / 2);
      await a.keep();
      assert.equal(fake.calls.filter((c) => (c.input as { Overwrite?: boolean }).Overwrite).length, 1, "renewed");
      await a.release();
      fake.calls.length = 0;
      await clock.sleep(CLAIM_TTL_MS);
      await a.keep();
      assert.equal(fake.calls.length, 0);
    });
  });

  it("a run whose claim attempt failed is no longer here: a claim naming it is stale", async () => {
    await withClaim(async ({ clock, claim, put, names }) => {
      put(1, { ...other, expiresAt: clock.now() + CLAIM_TTL_MS });
      await assert.rejects(claim("run-x").acquire(), UserError);
      put(1, { ...lockHolder("up", "run-x"), started: thisProcessStart(), expiresAt: clock.now() + CLAIM_TTL_MS });
      await claim("run-y").acquire();
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
  });

  it("Ctrl-C (releaseHeldLocks) gives the claim up", async () => {
    await withClaim(async ({ claim, names }) => {
      await claim().acquire();
      assert.deepEqual(names(), [`${PATH}/1`]);
      await releaseHeldLocks(60_000);
      assert.deepEqual(names(), []);
    });
  });

  it("a claim lapses at its expiry exactly: kept until then, taken again (never renewed in place) and left at release from then", async () => {
    await withClaim(async ({ fake, clock, claim, names }) => {
      const a = claim();
      await a.acquire();
      const expiresAt = (JSON.parse(fake.state.ssm.parameters.get(`${PATH}/1`)!.value) as ClaimInfo).expiresAt;
      await clock.sleep(expiresAt - clock.now());
      await a.keep();
      assert.deepEqual(names(), [`${PATH}/2`]);
      const b = claim("run-b");
      fake.state.ssm.parameters.clear();
      await b.acquire();
      const until = (JSON.parse(fake.state.ssm.parameters.get(`${PATH}/1`)!.value) as ClaimInfo).expiresAt;
      await clock.sleep(until - clock.now());
      fake.calls.length = 0;
      await b.release();
      assert.equal(fake.count("DeleteParameter"), 0);
    });
  });

  it("a lapsed claim whose next generation another run makes at the same moment is lost, never taken as this run's", async () => {
    await withClaim(async ({ fake, clock, claim, put }) => {
      const a = claim();
      await a.acquire();
      await clock.sleep(CLAIM_TTL_MS);
      let raced = false;
      fake.onCall = (op) => { if (op === "PutParameter" && !raced) { raced = true; put(2, { ...other, expiresAt: clock.now() + CLAIM_TTL_MS }); } };
      await assert.rejects(a.keep(), matches(UserError, new RegExp(`another run: ${WHO}`)));
    });
  });

  it("a lapsed claim whose successor is unreadable is lost to it; a raced generation that is unreadable is taken over as lapsed", async () => {
    await withClaim(async ({ clock, claim, put }) => {
      const a = claim();
      await a.acquire();
      await clock.sleep(CLAIM_TTL_MS);
      put(2, "garbage");
      await assert.rejects(a.keep(), matches(ClaimLost, /lapsed and an unreadable claim took it over/));
    });
    await withClaim(async ({ fake, claim, put, names }) => {
      let raced = false;
      fake.onCall = (op) => { if (op === "PutParameter" && !raced) { raced = true; put(1, "garbage"); } };
      await claim().acquire();
      assert.deepEqual(names(), [`${PATH}/2`]);
    });
  });

  it("a release whose answer was lost (ParameterNotFound on the retry) is released all the same, without a word", async () => {
    await withClaim(async ({ fake, claim, notices, names }) => {
      const a = claim();
      await a.acquire();
      fake.loseClaimAnswer("DeleteParameter");
      await a.release();
      assert.deepEqual([names(), notices], [[], []]);
    });
  });

  it("a listing without a Parameters field is an empty path", async () => {
    const clock = new VirtualClock();
    const sent: string[] = [];
    const send = async (command: { constructor: { name: string } }) => { sent.push(command.constructor.name); return {}; };
    const ssm = { send, sendWith: () => send } as unknown as ConstructorParameters<typeof StackClaim>[0];
    await new StackClaim(ssm, "app", clock, lockHolder("up", "run-a"), () => {}).acquire();
    assert.deepEqual(sent, ["GetParametersByPathCommand", "PutParameterCommand", "GetParametersByPathCommand"]);
    heldLocks.delete(PATH);
  });

  it("a release that fails is told with when the claim lapses by itself; a delete of one already gone is fine", async () => {
    await withClaim(async ({ fake, clock, claim, notices, names }) => {
      const a = claim();
      await a.acquire();
      const expiresAt = JSON.parse(fake.state.ssm.parameters.get(`${PATH}/1`)!.value).expiresAt as number;
      fake.failWith = (op) => (op === "DeleteParameter" ? awsError("AccessDeniedException", "denied") : undefined);
      await a.release();
      assert.deepEqual(notices, [`Could not release the claim on the stack (denied): it lapses by itself at ${new Date(expiresAt).toISOString()}.`]);
      fake.failWith = undefined;
      fake.state.ssm.parameters.clear();
      const b = claim("run-b");
      await b.acquire();
      fake.state.ssm.parameters.clear();
      await b.release();
      assert.deepEqual(names(), []);
      void clock;
    });
  });
});
