/** Team state in S3 (issue 17), on the fake: bootstrap, the lock, conditional writes, pull/push/migrate, crashes. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { awsError } from "./fake/aws.js";
import { APP, withHarness, type Harness } from "./helpers.js";
import { describeAwsError } from "../src/aws/errors.js";
import { ToolError } from "../src/errors.js";
import { failureOf } from "../src/stack/failure.js";
import { S3_BOOTSTRAP_ACTIONS, S3_STATE_ACTIONS } from "../src/state/s3-permissions.js";

const BUCKET = "acme-spontime-state";
const KEY = `spontime-infra/${APP}.json`;
const LOCK = `${KEY}.lock`;
const S3 = ["--state-bucket", BUCKET];

const bucketOf = (h: Harness) => h.fake.s3.buckets.get(BUCKET)!;
/** The current body of a key, or undefined when there is none (or a delete marker is current). */
const objectText = (h: Harness, key: string) => bucketOf(h).objects.get(key)?.at(-1)?.body;
const putsTo = (h: Harness, key: string) => h.fake.calls.filter((c) => c.op === "PutObject" && (c.input as { Key: string }).Key === key).map((c) => c.input as { Body: string; IfMatch?: string; IfNoneMatch?: string });

async function bootstrapped(h: Harness): Promise<void> {
  const r = await h.cli(["state", "bootstrap", "--bucket", BUCKET]);
  assert.equal(r.code, 0, r.stderr);
}

/** Puts a lock object as another machine's run would have left it. */
function foreignLock(h: Harness, holder: Partial<{ pid: number; host: string; user: string; command: string; since: string }> = {}): void {
  const body = JSON.stringify({ pid: 4242, host: "ci-runner-7", user: "bob", since: "2026-11-27T10:00:00.000Z", command: "up", ...holder });
  bucketOf(h).objects.set(LOCK, [{ versionId: "v-foreign", body, etag: '"foreign"' }]);
}

describe("state bootstrap", () => {
  it("creates the bucket with versioning, SSE-S3, all public access blocked, a TLS-only policy and the stack's tags; a re-run only checks", async () => {
    await withHarness(async (h) => {
      const r = await h.cli(["state", "bootstrap", "--bucket", BUCKET]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Created s3:\/\/acme-spontime-state in us-east-1: versioning on, default encryption \(SSE-S3\), all public access blocked, TLS-only policy/);
      assert.match(r.stderr, /holds the database password and SECRET_KEY: give access to this bucket only to the people and the CI role that run `up`/);
      const b = bucketOf(h);
      assert.equal(b.versioning, "Enabled");
      assert.equal(b.encryption, "AES256");
      assert.deepEqual(b.publicAccessBlock, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
      const policy = JSON.parse(b.policy!) as { Statement: { Effect: string; Condition: unknown; Resource: string[] }[] };
      assert.deepEqual(policy.Statement.map((s) => [s.Effect, s.Condition]), [["Deny", { Bool: { "aws:SecureTransport": "false" } }]]);
      assert.deepEqual(policy.Statement[0]!.Resource, [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`]);
      assert.equal(b.tags["spontime:stack"], APP);
      assert.equal(b.tags.ManagedBy, "spontime-infra");

      h.resetCalls();
      const again = await h.cli(["state", "bootstrap", "--bucket", BUCKET, "--json"]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).created, false);
      assert.equal(h.fake.count("CreateBucket"), 0);
      assert.equal(h.fake.count("PutBucketPolicy"), 0, "our statement is there already: the policy is left alone");
    });
  });

  it("keeps the statements of a policy the bucket already has", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      bucketOf(h).policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Theirs", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` }] });
      assert.equal((await h.cli(["state", "bootstrap", "--bucket", BUCKET])).code, 0);
      assert.deepEqual((JSON.parse(bucketOf(h).policy!) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid), ["Theirs", "SpontimeDenyInsecureTransport"]);
    });
  });

  it("refuses an existing bucket with public access allowed, and another account's bucket, changing nothing", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      bucketOf(h).publicAccessBlock = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false };
      h.resetCalls();
      const r = await h.cli(["state", "bootstrap", "--bucket", BUCKET]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /the bucket acme-spontime-state allows public access \(S3 Block Public Access is not fully on\): refusing/);
      assert.deepEqual(h.fake.mutatingCalls(), []);

      h.fake.s3.foreign.add("someone-elses");
      const foreign = await h.cli(["state", "bootstrap", "--bucket", "someone-elses"]);
      assert.equal(foreign.code, 2);
      assert.match(foreign.stderr, /exists but these credentials cannot use it/);
    });
  });

  it("a state bucket that does not exist: exit 2 naming bootstrap; a bad bucket name: exit 2 before any call", async () => {
    await withHarness(async (h) => {
      const r = await h.cli(["plan", ...S3]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /the state bucket acme-spontime-state does not exist\n\s+create it with `spontime-infra state bootstrap --bucket acme-spontime-state`/);
      const bad = await h.cli(["plan", "--state-bucket", "Not_A_Bucket"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /state bucket "Not_A_Bucket": must be an S3 bucket name/);
      assert.equal(h.fake.calls.filter((c) => c.input && (c.input as { Bucket?: string }).Bucket === "Not_A_Bucket").length, 0);
    });
  });
});

describe("up with the state in S3", () => {
  it("writes the state object with If-None-Match first and If-Match on the last ETag after, takes and releases the lock, leaves no local file", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      const r = await h.cli(["up", "--yes", ...S3]);
      assert.equal(r.code, 0, r.stderr);
      const writes = putsTo(h, KEY);
      assert.ok(writes.length > 20, `${writes.length} state writes`);
      assert.equal(writes[0]!.IfNoneMatch, "*");
      for (const w of writes.slice(1)) assert.ok(w.IfMatch, "every later write names the version it replaces");
      const locks = putsTo(h, LOCK);
      assert.equal(locks.length, 1);
      assert.equal(locks[0]!.IfNoneMatch, "*", "the lock is created only if none exists");
      assert.equal(objectText(h, LOCK), undefined, "the lock is released");
      const state = JSON.parse(objectText(h, KEY)!);
      assert.ok(state.resources["db-instance"].id);
      assert.ok(state.resources.secrets.outputs.secretKey);
      assert.ok(!existsSync(h.statePath));
      assert.ok(bucketOf(h).objects.get(KEY)!.length > 20, "versioning keeps every state version");
    });
  });

  it("spec `state: {backend: s3}` selects the bucket and key; plan, status and outputs read it without taking the lock", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      const spec = join(h.dir, "spontime.config.json");
      writeFileSync(spec, JSON.stringify({ state: { backend: "s3", bucket: BUCKET, key: "team/poc.json" } }));
      assert.equal((await h.cli(["up", "--yes", "--config", spec])).code, 0);
      assert.ok(objectText(h, "team/poc.json"));
      h.resetCalls();
      for (const command of [["plan"], ["status"], ["outputs", "--json"]]) {
        const r = await h.cli([...command, "--config", spec]);
        assert.equal(r.code, 0, `${command}: ${r.stderr}`);
      }
      assert.match((await h.cli(["outputs", "--json", "--config", spec])).stdout, /"url": "http:\/\//);
      assert.equal(h.fake.count("PutObject") + h.fake.count("DeleteObject"), 0, "reads take no lock and write nothing");
    });
  });

  it("two `up` against the same S3 state at once: one runs, the other is refused naming the holder", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      const [a, b] = await h.cliConcurrently([["up", "--yes", ...S3], ["up", "--yes", ...S3]]);
      assert.deepEqual([a!.code, b!.code].sort(), [0, 2]);
      const loser = a!.code === 2 ? a! : b!;
      assert.match(loser.stderr, new RegExp(`state is locked by pid ${process.pid} on ${hostname()} \\(\`up\` since \\S+\\), started by ${userInfo().username}`));
      assert.equal(h.fake.count("CreateVpc"), 1, "never both");
    });
  });

  it("a state bucket in another region than the stack: its region is asked (HeadBucket) and used, instead of S3's redirect failing the run (issue 24 item 13)", async () => {
    await withHarness(async (h) => {
      const made = await h.cli(["state", "bootstrap", "--bucket", BUCKET, "--region", "eu-west-1"]);
      assert.equal(made.code, 0, made.stderr);
      assert.equal(bucketOf(h).region, "eu-west-1");
      const r = await h.cli(["up", "--yes", ...S3]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(JSON.parse(objectText(h, KEY)!).resources.vpc, "the state is in the bucket");
      assert.equal(JSON.parse(objectText(h, KEY)!).region, "us-east-1", "the stack stays in its region");
      assert.equal((await h.cli(["status", ...S3])).code, 0);
    });
  });

  it("a 409 ConditionalRequestConflict on a conditional write is retried", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      h.fake.s3.conflicts = 2;
      const r = await h.cli(["up", "--yes", ...S3]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(h.fake.s3.conflicts, 0);
      assert.ok(JSON.parse(objectText(h, KEY)!).resources.vpc);
    });
  });
});

describe("a lost answer on an S3 state write (issue 24 items 14, 15)", () => {
  it("every conditional write of an up (lock, state, lock release) lands, its answer is lost, the SDK's retry gets 412/404: one run, exit 0, the state is whole", async () => {
    const positions: number[] = [];
    await withHarness(async (h) => {
      await bootstrapped(h);
      h.resetCalls();
      await h.up(...S3);
      h.fake.mutatingCalls().forEach((c, i) => { if (c.service === "s3") positions.push(i + 1); });
    });
    assert.ok(positions.length > 20, `${positions.length} S3 writes`);
    for (const k of positions) {
      await withHarness(async (h) => {
        await bootstrapped(h);
        h.fake.loseResponse(k);
        const r = await h.cli(["up", "--yes", ...S3]);
        assert.equal(r.code, 0, `answer of S3 write ${k} lost: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /Taking over the lock|changed by another run/, `answer of S3 write ${k} lost`);
        assert.equal(objectText(h, LOCK), undefined, `answer of S3 write ${k} lost: the lock is released`);
        const state = JSON.parse(objectText(h, KEY)!);
        assert.equal(state.resources["ecs-service"]?.id !== undefined, true, `answer of S3 write ${k} lost: the state is whole`);
        assert.equal(h.fake.count("CreateVpc"), 1);
        h.resetCalls();
        assert.equal((await h.cli(["up", "--yes", ...S3])).code, 0);
        assert.deepEqual(h.fake.mutatingCalls().filter((c) => c.service !== "s3"), [], `answer of S3 write ${k} lost: a further up changes nothing`);
      });
    }
  });

  it("up --json whose last state write fails prints one document, after that write, with outcome failed and the cause; exit 1", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      // The run's last state write (the service recorded) is refused, as S3 does without s3:PutObject.
      h.fake.failWith = (op, input) => {
        const i = input as { Key?: string; Body?: string };
        return op === "PutObject" && i.Key === KEY && i.Body?.includes('"ecs-service"') ? awsError("AccessDenied", "Access Denied", 403) : undefined;
      };
      const r = await h.cli(["up", "--yes", "--json", ...S3]);
      assert.equal(r.code, 1);
      const doc = JSON.parse(r.stdout) as { outcome: string; error?: { message: string } };
      assert.equal(doc.outcome, "failed");
      assert.match(doc.error!.message, /S3 refused s3:PutObject on s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json \(403 AccessDenied, request req-\w+\): grant s3:PutObject/);
      assert.doesNotMatch(r.stderr, /Done\./);
    });
  });
});

describe("S3 state recovery (issue 24 item 24)", () => {
  it("a corrupt state object names the versions the bucket kept; pull --version-id brings one back and push puts it in place", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      await h.up(...S3);
      const good = objectText(h, KEY)!;
      bucketOf(h).objects.get(KEY)!.push({ versionId: "v-corrupt", body: "{ half a file", etag: '"corrupt"', at: h.clock.now() + 1 });
      const r = await h.cli(["plan", ...S3]);
      assert.equal(r.code, 2);
      const previous = bucketOf(h).objects.get(KEY)!.at(-2)!.versionId;
      assert.match(r.stderr, new RegExp(`state file s3://${BUCKET}/${KEY} is corrupt \\(not JSON\\)\n\\s+earlier versions, newest first: ${previous} \\(\\d{4}-`));
      assert.match(r.stderr, /`spontime-infra state pull --version-id <id> -o state\.json`, check it, then `spontime-infra state push state\.json`/);

      const file = join(h.dir, "restored.json");
      const pulled = await h.cli(["state", "pull", "--version-id", previous, "-o", file, ...S3]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(readFileSync(file, "utf8"), good);
      const pushed = await h.cli(["state", "push", file, ...S3]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.equal(objectText(h, KEY), good);
      assert.equal((await h.cli(["plan", "--detailed-exitcode", ...S3])).code, 0, "back in sync");
    });
  });

  it("a locked run on an unversioned bucket warns that a bad state could not be brought back, and says how to turn versioning on", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      bucketOf(h).versioning = "Suspended";
      const r = await h.cli(["up", "--yes", ...S3]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: the state bucket acme-spontime-state has no versioning.*`spontime-infra state bootstrap --bucket acme-spontime-state` turns it on/);
      assert.equal((await h.cli(["state", "bootstrap", "--bucket", BUCKET])).code, 0);
      assert.equal(bucketOf(h).versioning, "Enabled");
      assert.doesNotMatch((await h.cli(["up", "--yes", ...S3])).stderr, /has no versioning/);
    });
  });
});

describe("S3 state permissions (issue 28 item 8)", () => {
  const stateMay = (h: Harness, ...without: string[]) => { bucketOf(h).callerMay = S3_STATE_ACTIONS.filter((a) => !without.includes(a)); };

  it("no s3:ListBucket, no state yet: S3 answers the read 403 (its HEADs with no body), said as the permission to grant, never UnknownError; exit 1, nothing changed", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      stateMay(h, "s3:ListBucket");
      h.resetCalls();
      const r = await h.cli(["up", "--yes", "--json", ...S3]);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout) as { outcome: string; error: { code: string; message: string; hint: string } };
      assert.equal(doc.outcome, "failed");
      assert.equal(doc.error.code, "AccessDenied");
      assert.match(doc.error.message, new RegExp(`^S3 refused s3:GetObject on s3://${BUCKET}/${KEY} \\(403 AccessDenied, request req-\\w+\\): grant s3:ListBucket on arn:aws:s3:::${BUCKET}: without it S3 answers a missing object 403 instead of 404, so "no state yet" reads as a refusal`));
      assert.match(doc.error.hint, /AWS permissions/);
      assert.deepEqual(h.fake.mutatingCalls(), []);
      const text = await h.cli(["plan", ...S3]);
      assert.equal(text.code, 1);
      assert.match(text.stderr, /error: S3 refused s3:GetObject .*grant s3:ListBucket .*\n  AWS AccessDenied, request id req-\w+\n/);
      assert.doesNotMatch(r.stdout + r.stderr + text.stderr, /Unknown/);
      assert.ok(h.fake.calls.some((c) => c.op === "HeadBucket"), "the empty 403 of HeadBucket is what told the missing s3:ListBucket");

      stateMay(h);
      assert.equal((await h.cli(["up", "--yes", ...S3])).code, 0, "the listed actions are enough for a first run");
      const good = bucketOf(h).objects.get(KEY)!.at(-1)!.versionId;
      bucketOf(h).objects.get(KEY)!.push({ versionId: "v-corrupt", body: "{ half a file", etag: '"corrupt"', at: h.clock.now() + 1 });
      assert.match((await h.cli(["plan", ...S3])).stderr, new RegExp(`earlier versions, newest first: ${good}`), "and for the way back from a bad state");
      assert.equal((await h.cli(["state", "pull", "--version-id", good, "-o", join(h.dir, "good.json"), ...S3])).code, 0);
    });
  });

  it("a 403 without a body, from any call, is reported as AccessDenied, never as the SDK's Unknown/UnknownError", () => {
    for (const name of ["Unknown", "Forbidden", "403", ""]) {
      const empty = awsError(name, name === "Unknown" ? "UnknownError" : "", 403);
      const f = failureOf(new ToolError(describeAwsError("check bucket b", empty), { cause: empty }));
      assert.equal(f.code, "AccessDenied", name);
      assert.equal(f.awsName, "AccessDenied", name);
      assert.match(f.message, /^check bucket b: refused \(HTTP 403, an answer without a body\) \(AccessDenied, request req-\w+\)$/, name);
    }
    assert.equal(failureOf(awsError("Unknown", "UnknownError", 400)).code, "Unknown", "only a 403 is a refusal");
  });

  it("each S3 call the state makes names its own permission when refused", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      await h.up(...S3);
      const file = join(h.dir, "pulled.json");
      assert.equal((await h.cli(["state", "pull", "-o", file, ...S3])).code, 0);
      const object = `s3://${BUCKET}/${KEY}`;
      const grant = (action: string, resource = `${BUCKET}/*`) => `grant ${action} on arn:aws:s3:::${resource}`;
      const cases: { without: string; argv: string[]; code: number; says: string; before?: () => void }[] = [
        { without: "s3:GetObject", argv: ["plan"], code: 1, says: `error: S3 refused s3:GetObject on ${object} (403 AccessDenied, request req-XXX): ${grant("s3:GetObject")}\n` },
        { without: "s3:PutObject", argv: ["state", "push", file], code: 1, says: `error: S3 refused s3:PutObject on ${object}.lock (403 AccessDenied, request req-XXX): ${grant("s3:PutObject")}\n` },
        { without: "s3:DeleteObject", argv: ["state", "push", file], code: 0, says: `Could not release the lock on ${object} (S3 refused s3:DeleteObject on ${object}.lock (403 AccessDenied, request req-XXX): ${grant("s3:DeleteObject")})` },
        { without: "s3:GetBucketVersioning", argv: ["state", "push", file], code: 0, says: `warning: could not check that the state bucket ${BUCKET} keeps earlier versions: S3 refused s3:GetBucketVersioning on s3://${BUCKET} (403 AccessDenied, request req-XXX): ${grant("s3:GetBucketVersioning", BUCKET)}\n` },
        { without: "s3:GetObjectVersion", argv: ["state", "pull", "--version-id", "v-1", "-o", file], code: 1, says: `error: S3 refused s3:GetObjectVersion on ${object} (403 AccessDenied, request req-XXX): ${grant("s3:GetObjectVersion")}\n` },
        {
          without: "s3:ListBucketVersions", argv: ["plan"], code: 1, says: `error: S3 refused s3:ListBucketVersions on s3://${BUCKET} (403 AccessDenied, request req-XXX): ${grant("s3:ListBucketVersions", BUCKET)}\n`,
          before: () => bucketOf(h).objects.get(KEY)!.push({ versionId: "v-corrupt", body: "{ half a file", etag: '"corrupt"' }),
        },
      ];
      for (const c of cases) {
        bucketOf(h).objects.delete(LOCK); // a lock left by the case before (no s3:DeleteObject)
        c.before?.();
        stateMay(h, c.without);
        const r = await h.cli([...c.argv, ...S3]);
        assert.equal(r.code, c.code, `without ${c.without}: ${r.stderr}`);
        assert.ok(r.stderr.replace(/request req-\w+/g, "request req-XXX").includes(c.says), `without ${c.without}, says:\n${c.says}\ngot:\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /Unknown|has no versioning/);
      }
    });
  });

  it("state bootstrap names the bucket permission it lacks; exactly the README's list is enough", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      const b = bucketOf(h);
      b.policy = undefined;
      b.callerMay = S3_BOOTSTRAP_ACTIONS.filter((a) => a !== "s3:PutBucketPolicy");
      const r = await h.cli(["state", "bootstrap", "--bucket", BUCKET]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`error: S3 refused s3:PutBucketPolicy on s3://${BUCKET} \\(403 AccessDenied, request req-\\w+\\): grant s3:PutBucketPolicy on arn:aws:s3:::${BUCKET}\n`));
      b.callerMay = [...S3_BOOTSTRAP_ACTIONS];
      assert.equal((await h.cli(["state", "bootstrap", "--bucket", BUCKET])).code, 0);
      b.callerMay = S3_BOOTSTRAP_ACTIONS.filter((a) => a !== "s3:ListBucket");
      const noList = await h.cli(["state", "bootstrap", "--bucket", BUCKET]);
      assert.equal(noList.code, 2);
      assert.match(noList.stderr, new RegExp(`if the bucket is yours, grant s3:ListBucket on arn:aws:s3:::${BUCKET}`));
    });
  });

  it("the README's team state section lists every action the state and bootstrap call", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const listed = (actions: readonly string[]) => actions.map((a) => `\`${a}\``).join(", ");
    assert.ok(readme.includes(listed(S3_STATE_ACTIONS)), `README.md should list ${listed(S3_STATE_ACTIONS)}`);
    assert.ok(readme.includes(listed(S3_BOOTSTRAP_ACTIONS)), `README.md should list ${listed(S3_BOOTSTRAP_ACTIONS)}`);
  });
});

describe("S3 locks held by another machine", () => {
  it("refused without --force-unlock, naming the holder; without a terminal --force-unlock needs --yes; with it the lock is broken and said whose", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      foreignLock(h);
      h.resetCalls();
      const refused = await h.cli(["up", "--yes", ...S3]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /state is locked by pid 4242 on ci-runner-7 \(`up` since 2026-11-27T10:00:00.000Z\), started by bob\n\s+wait for it to finish; if that run is gone for good .* run again with --force-unlock/);
      assert.equal(h.fake.count("CreateVpc"), 0);

      const unasked = await h.cli(["down", ...S3, "--force-unlock"]);
      assert.equal(unasked.code, 2);
      assert.match(unasked.stderr, /refusing to break another machine's lock: no terminal to ask for confirmation/);
      assert.match(objectText(h, LOCK)!, /ci-runner-7/, "the lock is still there");

      const no = await h.cli(["up", ...S3, "--force-unlock"], { tty: true, input: "no\n" });
      assert.equal(no.code, 1);
      assert.match(no.stderr, /Break the lock of pid 4242 on ci-runner-7 .*started by bob\? .*Cancelled: the lock was left in place/s);

      const broken = await h.cli(["up", "--yes", ...S3, "--force-unlock"]);
      assert.equal(broken.code, 0, broken.stderr);
      assert.match(broken.stderr, /Breaking the lock of pid 4242 on ci-runner-7 \(`up` since 2026-11-27T10:00:00.000Z\), started by bob\./);
      assert.equal(objectText(h, LOCK), undefined);
    });
  });

  it("a writer whose lock was force-broken cannot overwrite the newer state (If-Match): it stops with a clear message", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      let newer: string | undefined;
      let theirLock: string | undefined;
      h.fake.onCall = (op) => {
        if (op !== "CreateDBInstance" || newer) return;
        // Meanwhile on another machine: `up --force-unlock` breaks our lock, takes its own, writes a newer state.
        const b = bucketOf(h);
        theirLock = JSON.stringify({ pid: 7, host: "laptop-2", user: "carol", since: "2026-11-27T11:00:00.000Z", command: "up" });
        b.objects.set(LOCK, [...(b.objects.get(LOCK) ?? []), { versionId: "v-carol-lock", body: theirLock, etag: '"carol-lock"' }]);
        const state = JSON.parse(objectText(h, KEY)!);
        state.serial += 100;
        newer = JSON.stringify(state, null, 2) + "\n";
        b.objects.get(KEY)!.push({ versionId: "v-carol", body: newer, etag: '"carol"' });
      };
      const r = await h.cli(["up", "--yes", ...S3]);
      h.fake.onCall = undefined;
      assert.ok(newer, "the race happened");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the state at s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json was changed by another run since this one read it .*stopped without overwriting it/);
      assert.equal(objectText(h, KEY), newer, "the newer state is intact");
      assert.equal(objectText(h, LOCK), theirLock, "their lock is not released by us (conditional delete)");
      const rejected = h.fake.calls.filter((c) => c.op === "PutObject" && (c.input as { Key: string }).Key === KEY).at(-1)!.input as { IfMatch?: string };
      assert.notEqual(rejected.IfMatch, '"carol"');
    });
  });
});

describe("state pull, push, migrate", () => {
  it("migrate local → s3 → local round-trips the file byte for byte (secrets included), under the lock; the spec names the bucket, the local file becomes a marker", async () => {
    await withHarness(async (h) => {
      await h.up();
      await bootstrapped(h);
      const original = readFileSync(h.statePath, "utf8");
      assert.match(original, /"secretKey"/);
      const spec = h.writeSpec({ appName: APP, tags: { team: "a" } });
      h.resetCalls();
      const up = await h.cli(["state", "migrate", "--to", "s3", "--config", spec, ...S3]);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /Moved the state \(serial \d+\) from .*spontime-poc\.json to s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json, checked by reading it back/);
      assert.match(up.stdout, /spec\.json now names the bucket \("state": \{"backend": "s3", "bucket": "acme-spontime-state"\}\).*left as a marker/);
      assert.deepEqual(JSON.parse(readFileSync(spec, "utf8")), { appName: APP, tags: { team: "a" }, state: { backend: "s3", bucket: BUCKET } }, "the rest of the spec as written");
      assert.equal(objectText(h, KEY), original);
      assert.equal(JSON.parse(readFileSync(h.statePath, "utf8")).movedTo, `s3://${BUCKET}/${KEY}`, "the local file says where the state went");
      // Order: both locks, the write, the read back, then the old copy goes, then the locks.
      const ops = h.fake.calls.filter((c) => c.op === "PutObject" || c.op === "GetObject" || c.op === "DeleteObject").map((c) => `${c.op} ${(c.input as { Key: string }).Key}`);
      assert.deepEqual(ops.filter((o) => o.startsWith("PutObject")), [`PutObject ${LOCK}`, `PutObject ${KEY}`]);
      assert.ok(ops.indexOf(`PutObject ${LOCK}`) < ops.indexOf(`PutObject ${KEY}`));
      assert.equal(objectText(h, LOCK), undefined, "the S3 lock is released");
      assert.ok(!existsSync(join(h.stateDir, `${APP}.lock`)), "the local lock is released");
      // A run that still looks in the local directory is refused, told where the state went; one with the spec reads S3.
      const stale = await h.cli(["plan"]);
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /the state at .*spontime-poc\.json was moved to s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json: this file only marks where it went\n.*--state-bucket/);
      assert.equal((await h.cli(["up", "--yes", "--json"])).code, 2, "up refuses the marker too");
      assert.equal((await h.cli(["plan", "--detailed-exitcode", "--config", spec])).code, 2, "the spec's tag change, planned from the state in S3");

      const back = await h.cli(["state", "migrate", "--to", "local", "--config", spec, ...S3]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(readFileSync(h.statePath, "utf8"), original, "byte for byte");
      assert.equal(statSync(h.statePath).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(spec, "utf8")).state, undefined, "the spec names the bucket no more");
      assert.equal(objectText(h, KEY), undefined, "the S3 copy is removed (a delete marker; versions stay)");
      assert.ok(bucketOf(h).objects.get(KEY)!.some((v) => v.body === original));
      assert.equal((await h.cli(["plan", "--detailed-exitcode"])).code, 0, "the stack is still known from the local file");
    });
  });

  it("after migrate to s3, validate and cost read the spec's location, not the local marker (validate without an AWS call)", async () => {
    await withHarness(async (h) => {
      await h.up();
      await bootstrapped(h);
      const spec = h.writeSpec({ appName: APP });
      assert.equal((await h.cli(["state", "migrate", "--to", "s3", "--config", spec, ...S3])).code, 0);
      assert.equal((await h.cli(["sleep", "--yes", "--config", spec])).code, 0);
      h.resetCalls();
      const validate = await h.cli(["validate", "--config", spec]);
      assert.equal(validate.code, 0, validate.stderr);
      assert.match(validate.stdout, /state in s3:\/\/acme-spontime-state\/spontime-infra\/spontime-poc\.json \(not read/);
      assert.deepEqual(h.fake.calls, [], "validate makes no AWS call");
      const cost = await h.cli(["cost", "--json", "--config", spec]);
      assert.equal(cost.code, 0, cost.stderr);
      assert.equal(JSON.parse(cost.stdout).asleep, true, "the state in S3 says the stack sleeps");
    });
  });

  it("migrate --to s3 with no spec file to record the bucket in refuses before moving anything", async () => {
    await withHarness(async (h) => {
      await h.up();
      await bootstrapped(h);
      const local = readFileSync(h.statePath, "utf8");
      h.resetCalls();
      const r = await h.cli(["state", "migrate", "--to", "s3", ...S3]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /writes where the state went into the spec file, and there is none.*\n.*spontime-infra init/);
      assert.equal(readFileSync(h.statePath, "utf8"), local);
      assert.equal(objectText(h, KEY), undefined);
      assert.deepEqual(h.fake.mutatingCalls(), []);
    });
  });

  it("migrate refuses to overwrite a different state at the destination and removes nothing", async () => {
    await withHarness(async (h) => {
      await h.up();
      await bootstrapped(h);
      const local = readFileSync(h.statePath, "utf8");
      const other = local.replace(/"serial": \d+/, '"serial": 999');
      bucketOf(h).objects.set(KEY, [{ versionId: "v1", body: other, etag: '"other"' }]);
      const r = await h.cli(["state", "migrate", "--to", "s3", "--config", h.writeSpec({}), ...S3]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /already holds a state \(serial 999\): refusing to overwrite it/);
      assert.equal(readFileSync(h.statePath, "utf8"), local);
      assert.equal(objectText(h, KEY), other);
      assert.ok(!existsSync(join(h.stateDir, `${APP}.lock`)));
      assert.equal(objectText(h, LOCK), undefined);
    });
  });

  it("pull saves the stored bytes with mode 0600; push replaces them under the lock, refusing an older serial", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      assert.equal((await h.cli(["up", "--yes", ...S3])).code, 0);
      const file = join(h.dir, "pulled.json");
      const pulled = await h.cli(["state", "pull", "-o", file, ...S3]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(readFileSync(file, "utf8"), objectText(h, KEY));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const terminal = await h.cli(["state", "pull", ...S3], { tty: true });
      assert.equal(terminal.code, 2, "no secrets on a terminal");
      assert.equal(terminal.stdout, "");

      const state = JSON.parse(readFileSync(file, "utf8"));
      state.serial -= 1;
      writeFileSync(file, JSON.stringify(state, null, 2) + "\n");
      const older = await h.cli(["state", "push", file, ...S3]);
      assert.equal(older.code, 2);
      assert.match(older.stderr, /older than the stored state/);

      state.serial += 5;
      state.sleeping = false;
      const text = JSON.stringify(state, null, 2) + "\n";
      writeFileSync(file, text);
      h.resetCalls();
      const pushed = await h.cli(["state", "push", file, ...S3]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.equal(objectText(h, KEY), text);
      assert.ok(putsTo(h, KEY)[0]!.IfMatch, "push writes with If-Match too");
      assert.equal(putsTo(h, LOCK).length, 1, "under the lock");
      assert.equal(objectText(h, LOCK), undefined);
    });
  });
});

describe("crash (the process dies) at any point of a locked run on S3 state", () => {
  it("at every call of a run, S3 holds a lock naming the holder and the last complete state: what a crash there would leave", async () => {
    await withHarness(async (h) => {
      await bootstrapped(h);
      let lastWritten: string | undefined;
      let lockWritten = false;
      let points = 0;
      // A call's effect is atomic at its arrival, so at each arrival S3 is exactly what a death right after the previous call leaves.
      h.fake.onCall = (op, input) => {
        const key = (input as { Key?: string }).Key;
        if (lockWritten && !(op === "DeleteObject" && key === LOCK)) {
          points++;
          const holder = JSON.parse(objectText(h, LOCK) ?? "null");
          assert.deepEqual([holder?.pid, holder?.host, holder?.user, holder?.command], [process.pid, hostname(), userInfo().username, "up"], `before ${op}`);
          assert.equal(objectText(h, KEY), lastWritten, `before ${op}: the state is the last complete write`);
        }
        if (op === "PutObject" && key === LOCK) lockWritten = true;
        if (op === "PutObject" && key === KEY) lastWritten = (input as { Body: string }).Body;
      };
      assert.equal((await h.cli(["up", "--yes", ...S3])).code, 0);
      assert.ok(points > 60, `${points} points checked`);
      assert.equal(objectText(h, LOCK), undefined);
    });
  });

  for (const [name, at] of [["right after taking the lock", 1], ["in the middle", 20], ["just before releasing the lock", -1]] as const) {
    it(`a real crash ${name}: the lock names the dead run, and the next run on this machine takes it over as stale`, async () => {
      let points = 0;
      await withHarness(async (h) => {
        await bootstrapped(h);
        h.resetCalls();
        await h.up(...S3);
        points = h.fake.mutatingCalls().length;
      });
      await withHarness(async (h) => {
        await bootstrapped(h);
        let stateAtDeath: string | undefined;
        h.fake.armCrash(at > 0 ? at : points + at, () => { stateAtDeath = objectText(h, KEY); });
        await h.cli(["up", "--yes", ...S3]);
        h.fake.disarm();
        const holder = JSON.parse(objectText(h, LOCK)!);
        assert.deepEqual([holder.pid, holder.host, holder.command], [process.pid, hostname(), "up"]);
        assert.equal(objectText(h, KEY), stateAtDeath);
        if (stateAtDeath) assert.equal(JSON.parse(stateAtDeath).app, APP);
        const again = await h.cli(["up", "--yes", ...S3]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /Taking over the lock of pid \d+ on .*: that process is no longer running/);
        assert.equal(h.fake.count("CreateVpc"), 1);
        assert.equal(objectText(h, LOCK), undefined);
      });
    });
  }
});

describe("local state directory", () => {
  it("stale temp files of a killed run are removed by the next locked run, and it says so", async () => {
    await withHarness(async (h) => {
      mkdirSync(h.stateDir, { recursive: true });
      const tmp = join(h.stateDir, `${APP}.json.99999999.tmp`);
      writeFileSync(tmp, '{"secrets": "a full copy"}');
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!existsSync(tmp));
      assert.match(r.stderr, /removed spontime-poc\.json\.99999999\.tmp in .*: left by a killed run, a full copy of the state \(secrets included\)/);
    });
  });

  it("a state file with version 0 or an unknown version is refused with exit 2 before any AWS call", async () => {
    for (const version of [0, 2, -1]) {
      await withHarness(async (h) => {
        mkdirSync(h.stateDir, { recursive: true });
        writeFileSync(h.statePath, JSON.stringify({ version, app: APP, region: "us-east-1", serial: 1, resources: {} }), { mode: 0o600 });
        const r = await h.cli(["up", "--yes"]);
        assert.equal(r.code, 2, `version ${version}`);
        assert.match(r.stderr, version > 1 ? /is format 2, newer than this spontime-infra understands/ : new RegExp(`is format ${version}, which no spontime-infra ever wrote`));
        assert.equal(h.fake.calls.length, 0);
      });
    }
  });

  it("a lock held by a live process on this machine is never broken, even with --force-unlock", async () => {
    const { spawn } = await import("node:child_process");
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      await withHarness(async (h) => {
        mkdirSync(h.stateDir, { recursive: true });
        writeFileSync(join(h.stateDir, `${APP}.lock`), JSON.stringify({ pid: live.pid, host: hostname(), user: "dave", since: "2026-11-27T12:00:00.000Z", command: "down" }));
        const r = await h.cli(["up", "--yes", "--force-unlock"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, new RegExp(`state is locked by pid ${live.pid} on ${hostname()} \\(\`down\` since 2026-11-27T12:00:00.000Z\\), started by dave\\n\\s+--force-unlock never breaks the lock of a run still going on this machine`));
        assert.ok(existsSync(join(h.stateDir, `${APP}.lock`)));
        assert.equal(h.fake.count("CreateVpc"), 0);
      });
    } finally {
      live.kill();
    }
  });

  it("a lock whose pid now belongs to an unrelated process (pid reused) is stale: --force-unlock takes it over; the same process, by its start time, is never broken", async () => {
    const { spawn } = await import("node:child_process");
    const { processStart } = await import("../src/state/process.js");
    const unrelated = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const lockOf = (started: string) => JSON.stringify({ pid: unrelated.pid, started, host: hostname(), user: "erin", since: "2026-11-27T12:00:00.000Z", command: "up" });
      const realStart = processStart(unrelated.pid!);
      assert.ok(realStart, "this machine tells a process's start time");
      await withHarness(async (h) => {
        mkdirSync(h.stateDir, { recursive: true });
        // The run that wrote this lock started at another time: its pid was given to `unrelated` since.
        writeFileSync(join(h.stateDir, `${APP}.lock`), lockOf(`${realStart}0`));
        const r = await h.cli(["up", "--yes", "--force-unlock"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`Taking over the lock of pid ${unrelated.pid} on .*: that process is no longer running \\(pid ${unrelated.pid} is now another process\\)`));
        assert.ok(!existsSync(join(h.stateDir, `${APP}.lock`)), "released at the end");
      });
      await withHarness(async (h) => {
        mkdirSync(h.stateDir, { recursive: true });
        writeFileSync(join(h.stateDir, `${APP}.lock`), lockOf(realStart!));
        const r = await h.cli(["up", "--yes", "--force-unlock"]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--force-unlock never breaks the lock of a run still going on this machine/);
        assert.equal(h.fake.count("CreateVpc"), 0);
      });
    } finally {
      unrelated.kill();
    }
  });

  it("inside a git work tree, the first save writes a .gitignore (`*`) into the state directory and says so; an ignored directory is left alone", async () => {
    const { execFileSync } = await import("node:child_process");
    await withHarness(async (h) => {
      execFileSync("git", ["init", "-q", h.dir]);
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(h.stateDir, ".gitignore"), "utf8"), "*\n");
      assert.match(r.stderr, /is inside a git work tree and was not ignored: wrote .*\.gitignore \("\*"\) so the state, which holds the database password and SECRET_KEY, is never committed/);
      assert.equal(execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: h.dir, encoding: "utf8" }), "", "git status shows nothing to commit");
      assert.equal((await h.cli(["up", "--yes"])).stderr.includes(".gitignore"), false, "said once, on the first save");
    });
    await withHarness(async (h) => {
      execFileSync("git", ["init", "-q", h.dir]);
      writeFileSync(join(h.dir, ".gitignore"), "state/\n");
      const r = await h.cli(["up", "--yes"]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!existsSync(join(h.stateDir, ".gitignore")));
      assert.doesNotMatch(r.stderr, /gitignore/);
    });
  });

  it("outputs with no state says where it looked and how to point at the state", async () => {
    await withHarness(async (h) => {
      const r = await h.cli(["outputs"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`no outputs: no state at ${h.statePath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n.*--state-dir <dir> \\(--state-bucket <bucket> for team state in S3\\)`));
    });
  });
});
