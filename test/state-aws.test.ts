/**
 * The state's AWS parts called directly against the fake (no CLI): the S3 backend (conditional writes with ETag / 412,
 * lost answers, the lock object, refusals said as the permission to grant), bootstrap and where the state is.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { S3Client } from "@aws-sdk/client-s3";
import { SpecSchema, type Spec } from "../src/config/schema.js";
import { ToolError, UserError } from "../src/errors.js";
import { StateConflict, type LockInfo } from "../src/state/backend.js";
import { bootstrapBucket, TLS_ONLY_SID } from "../src/state/bootstrap.js";
import { openStore, stateLocation, stateS3Client } from "../src/state/open.js";
import { bucketRegion, s3Client, S3StateBackend, type S3Location } from "../src/state/s3.js";
import { s3Arn, s3Failure, s3Refusal } from "../src/state/s3-permissions.js";
import { FakeAws } from "./fake/aws.js";
import { VirtualClock } from "./fake/clock.js";
import { awsError } from "./fake/common.js";
import type { Bucket } from "./fake/s3.js";
import { matches } from "./error-match.js";

const BUCKET = "team-state";
const KEY = "spontime-infra/app.json";
const LOCK = `${KEY}.lock`;
const WHERE = `s3://${BUCKET}/${KEY}`;
const ENV: NodeJS.ProcessEnv = { AWS_ACCESS_KEY_ID: "AKIATEST", AWS_SECRET_ACCESS_KEY: "test" };
const holder: LockInfo = { pid: 42, host: "laptop", user: "ann", since: "2026-12-01T10:00:00.000Z", command: "up", run: "r-1" };
const state = (serial: number, app = "app") => JSON.stringify({ version: 1, app, region: "us-east-1", serial, resources: {} });

interface World { fake: FakeAws; clock: VirtualClock; s3: S3Client; backend: S3StateBackend; bucket: Bucket }

/** A fake account with the bucket (versioned unless said), and a backend on it; every call inside the virtual clock. */
async function inS3<T>(fn: (w: World) => Promise<T>, bucket: Partial<Bucket> | null = {}): Promise<T> {
  process.env.AWS_ACCESS_KEY_ID = ENV.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = ENV.AWS_SECRET_ACCESS_KEY;
  const clock = new VirtualClock(Date.parse("2026-12-01T10:00:00Z"));
  const fake = new FakeAws(clock).install();
  if (bucket) fake.s3.buckets.set(BUCKET, { name: BUCKET, region: "us-east-1", tags: {}, versioning: "Enabled", objects: new Map(), ...bucket });
  const s3 = new S3Client({ region: "us-east-1" });
  const backend = new S3StateBackend(s3, { bucket: BUCKET, key: KEY, region: "us-east-1" });
  try {
    return await clock.run(() => fn({ fake, clock, s3, backend, bucket: fake.s3.buckets.get(BUCKET)! }));
  } finally {
    fake.restore();
  }
}

const puts = (fake: FakeAws, key: string) => fake.calls.filter((c) => c.op === "PutObject" && (c.input as { Key: string }).Key === key).map((c) => c.input as { IfMatch?: string; IfNoneMatch?: string; ContentType?: string });
const current = (b: Bucket, key: string) => b.objects.get(key)?.at(-1)?.body;

describe("the state object in S3", () => {
  it("the first write creates it only if none exists; each later one replaces only the version it names", async () => {
    await inS3(async ({ fake, backend, bucket }) => {
      assert.equal(backend.where, WHERE);
      assert.equal(await backend.read(), undefined);
      const first = await backend.write(state(1), undefined);
      assert.equal(first, bucket.objects.get(KEY)!.at(-1)!.etag);
      const second = await backend.write(state(2), first);
      assert.notEqual(second, first);
      assert.deepEqual(puts(fake, KEY), [
        { Bucket: BUCKET, Key: KEY, Body: state(1), ContentType: "application/json", IfNoneMatch: "*" },
        { Bucket: BUCKET, Key: KEY, Body: state(2), ContentType: "application/json", IfMatch: first },
      ]);
      assert.deepEqual(await backend.read(), { text: state(2), tag: second });
      await assert.rejects(backend.write(state(3), first), matches(StateConflict, new RegExp(`^the state at ${WHERE} was changed by another run since this one read it`)));
      await assert.rejects(backend.write(state(3), undefined), StateConflict);
      assert.equal(current(bucket, KEY), state(2));
    });
  });

  it("a write whose answer was lost and whose retry got 412 landed: its tag is returned, no conflict", async () => {
    await inS3(async ({ fake, backend, bucket }) => {
      const first = await backend.write(state(1), undefined);
      fake.loseResponse(1);
      const tag = await backend.write(state(2), first);
      assert.equal(tag, bucket.objects.get(KEY)!.at(-1)!.etag);
      assert.equal(current(bucket, KEY), state(2));
      fake.loseResponse(1);
      const created = await new S3StateBackend(new S3Client({ region: "us-east-1" }), { bucket: BUCKET, key: "other.json", region: "us-east-1" }).write(state(1), undefined);
      assert.equal(created, bucket.objects.get("other.json")!.at(-1)!.etag);
    });
  });

  it("a write on a state deleted since it was read is a conflict (If-Match on a missing key answers 404)", async () => {
    await inS3(async ({ backend, bucket }) => {
      const tag = await backend.write(state(1), undefined);
      bucket.objects.delete(KEY);
      await assert.rejects(backend.write(state(2), tag), StateConflict);
    });
  });

  it("409 ConditionalRequestConflict (another conditional write in flight) is retried three times, then reported", async () => {
    await inS3(async ({ fake, backend }) => {
      fake.s3.conflicts = 3;
      await backend.write(state(1), undefined);
      assert.equal(puts(fake, KEY).length, 4);
      fake.s3.conflicts = 4;
      await assert.rejects(backend.write(state(2), "x"), matches(ToolError, new RegExp(`^write ${WHERE}: A conflicting conditional operation .*\\(ConditionalRequestConflict, request req-\\w+\\)$`)));
    });
  });

  it("remove deletes only the version it names; a lost answer (404 on the retry) or an object already gone is removed all the same", async () => {
    await inS3(async ({ fake, backend, bucket }) => {
      const tag = await backend.write(state(1), undefined);
      await assert.rejects(backend.remove('"stale"'), StateConflict);
      assert.equal(current(bucket, KEY), state(1));
      fake.loseResponse(1);
      await backend.remove(tag);
      assert.equal(await backend.read(), undefined);
      const deletes = fake.calls.filter((c) => c.op === "DeleteObject").map((c) => c.input);
      assert.deepEqual(deletes.at(-1), { Bucket: BUCKET, Key: KEY, IfMatch: tag });
      await backend.remove(tag);
    });
  });

  it("reading an object fails with what S3 said, a missing bucket with how to make it", async () => {
    await inS3(async ({ fake, backend }) => {
      fake.failWith = (op) => (op === "GetObject" ? awsError("InternalError", "We encountered an internal error.", 500) : undefined);
      await assert.rejects(backend.read(), matches(ToolError, new RegExp(`^read ${WHERE}: We encountered an internal error\\. \\(InternalError, request req-\\w+\\)$`)));
      fake.failWith = (op) => (op === "PutObject" ? awsError("InvalidRequest", "nope") : undefined);
      await assert.rejects(backend.write(state(1), undefined), matches(ToolError, new RegExp(`^write ${WHERE}: nope`)));
      fake.failWith = (op) => (op === "GetObject" ? Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }) : undefined);
      await assert.rejects(backend.read(), matches(UserError, /^no AWS credentials found$/));
    });
    await inS3(async ({ backend }) => {
      await assert.rejects(backend.read(), matches(UserError, /^the state bucket team-state does not exist$/, /^create it with `spontime-infra state bootstrap --bucket team-state`, or fix state\.bucket \/ --state-bucket$/));
    }, null);
  });

  it("a refused read names the permission: s3:GetObject, or s3:ListBucket when S3 answered a missing object 403", async () => {
    await inS3(async ({ backend }) => {
      await assert.rejects(backend.read(), matches(ToolError, new RegExp(`^S3 refused s3:GetObject on ${WHERE} \\(403 AccessDenied, request req-\\w+\\): grant s3:GetObject on arn:aws:s3:::team-state/\\*$`)));
    }, { callerMay: ["s3:ListBucket"] });
    await inS3(async ({ backend }) => {
      await assert.rejects(backend.read(), matches(ToolError, /\): grant s3:ListBucket on arn:aws:s3:::team-state: without it S3 answers a missing object 403 instead of 404, so "no state yet" reads as a refusal \(and s3:GetObject on arn:aws:s3:::team-state\/\*, if that is not granted either\)$/));
    }, { callerMay: ["s3:GetObject"] });
    await inS3(async ({ fake, backend }) => {
      fake.failWith = (op) => (op === "HeadBucket" ? awsError("InternalError", "down", 500) : undefined);
      await assert.rejects(backend.read(), matches(ToolError, /\): grant s3:GetObject on arn:aws:s3:::team-state\/\*; a missing object reads as 403 unless s3:ListBucket on arn:aws:s3:::team-state is granted too$/));
    }, { callerMay: [] });
  });
});

describe("the lock object in S3", () => {
  it("is created only if none exists; a second run is told the holder and the lock's version", async () => {
    await inS3(async ({ fake, backend, bucket }) => {
      const got = await backend.createLock(holder);
      assert.deepEqual(got, { mine: true, tag: bucket.objects.get(LOCK)!.at(-1)!.etag });
      assert.equal(puts(fake, LOCK)[0]!.IfNoneMatch, "*");
      const other = await backend.createLock({ ...holder, run: "r-2" });
      assert.deepEqual(other, { mine: false, holder, tag: got.tag });
      await backend.deleteLock('"stale"');
      assert.equal(current(bucket, LOCK), JSON.stringify(holder), "a lock of another version stays");
      await backend.deleteLock(got.tag);
      assert.equal(current(bucket, LOCK), undefined);
    });
  });

  it("a lock this run created whose answer was lost is its own; an unreadable one has no holder; one released meanwhile is taken", async () => {
    await inS3(async ({ fake, backend, bucket }) => {
      fake.loseResponse(1);
      const got = await backend.createLock(holder);
      assert.deepEqual(got, { mine: true, tag: bucket.objects.get(LOCK)!.at(-1)!.etag });
      bucket.objects.set(LOCK, [{ versionId: "v", body: "garbage", etag: '"g"' }]);
      assert.deepEqual(await backend.createLock(holder), { mine: false, holder: undefined, tag: '"g"' });
      // The holder releases it between this run's refused create and its read: this run tries again.
      let released = false;
      fake.onCall = (op) => { if (op === "GetObject" && !released) { released = true; bucket.objects.delete(LOCK); } };
      const again = await backend.createLock(holder);
      assert.equal(again.mine, true);
      assert.equal(current(bucket, LOCK), JSON.stringify(holder));
    });
  });

  it("a refused lock release names s3:DeleteObject", async () => {
    await inS3(async ({ backend }) => {
      await assert.rejects(backend.deleteLock('"x"'), matches(ToolError, /^S3 refused s3:DeleteObject on s3:\/\/team-state\/spontime-infra\/app\.json\.lock \(403 AccessDenied, request req-\w+\): grant s3:DeleteObject on arn:aws:s3:::team-state\/\*$/));
    }, { callerMay: ["s3:ListBucket"] });
  });

  it("after the lock: a bucket without versioning, or whose versioning cannot be read, is warned about", async () => {
    await inS3(async ({ backend }) => { assert.deepEqual(await backend.afterLock(), []); });
    for (const versioning of [undefined, "Suspended"] as const) {
      await inS3(async ({ backend }) => {
        assert.deepEqual(await backend.afterLock(), ["warning: the state bucket team-state has no versioning, so an overwritten or corrupt state cannot be brought back: `spontime-infra state bootstrap --bucket team-state` turns it on"]);
      }, { versioning });
    }
    await inS3(async ({ backend }) => {
      const [line, ...rest] = await backend.afterLock();
      assert.deepEqual(rest, []);
      assert.match(line!, /^warning: could not check that the state bucket team-state keeps earlier versions: S3 refused s3:GetBucketVersioning on s3:\/\/team-state \(403 AccessDenied, request req-\w+\): grant s3:GetBucketVersioning on arn:aws:s3:::team-state$/);
    }, { callerMay: [] });
  });
});

describe("earlier versions of the state object", () => {
  it("are listed newest first, the state's own only, with time and size; one is read back as stored", async () => {
    await inS3(async ({ clock, backend }) => {
      let tag: string | undefined;
      for (const serial of [1, 2, 3]) {
        tag = await backend.write(state(serial), tag);
        await backend.createLock(holder);
        await clock.sleep(60_000);
      }
      const versions = await backend.versions();
      assert.equal(versions.length, 3);
      assert.deepEqual(versions.map((v) => v.size), [state(3).length, state(2).length, state(1).length]);
      assert.ok(versions[0]!.lastModified!.getTime() > versions[1]!.lastModified!.getTime());
      assert.equal(await backend.readVersion(versions[2]!.versionId), state(1));
      await assert.rejects(backend.readVersion("v-none"), matches(UserError, new RegExp(`^${WHERE} has no version v-none$`), /state pull/));
    });
  });

  it("a malformed or unknown version id is said as such; versions S3 lists without a date or size come last, without them", async () => {
    for (const code of ["InvalidArgument", "NoSuchKey"]) {
      await inS3(async ({ fake, backend }) => {
        fake.failWith = () => awsError(code, "no");
        await assert.rejects(backend.readVersion("bad id"), matches(UserError, /has no version bad id$/, /^list them with `spontime-infra state pull` on the corrupt state, or in the S3 console \(Show versions\)$/));
      });
    }
    const listing = { send: async () => ({ Versions: [
      { Key: KEY, VersionId: "v-old" }, { Key: KEY, VersionId: "v-new", LastModified: new Date(5), Size: 0 }, { Key: KEY }, { Key: KEY, VersionId: "null" },
    ] }) } as unknown as S3Client;
    assert.deepEqual(await new S3StateBackend(listing, { bucket: BUCKET, key: KEY, region: "us-east-1" }).versions(), [{ versionId: "v-new", lastModified: new Date(5), size: 0 }, { versionId: "v-old" }]);
  });

  it("an unversioned bucket lists none; refusals name s3:ListBucketVersions and s3:GetObjectVersion", async () => {
    await inS3(async ({ backend }) => {
      await backend.write(state(1), undefined);
      assert.deepEqual(await backend.versions(), []);
    }, { versioning: undefined });
    await inS3(async ({ backend }) => {
      await assert.rejects(backend.versions(), matches(ToolError, /^S3 refused s3:ListBucketVersions on s3:\/\/team-state \(403 AccessDenied, request req-\w+\): grant s3:ListBucketVersions on arn:aws:s3:::team-state$/));
      await assert.rejects(backend.readVersion("v-1"), matches(ToolError, new RegExp(`^S3 refused s3:GetObjectVersion on ${WHERE} .*: grant s3:GetObjectVersion on arn:aws:s3:::team-state/\\*$`)));
    }, { callerMay: [] });
    await inS3(async ({ fake, backend }) => {
      fake.failWith = () => awsError("InternalError", "down", 500);
      await assert.rejects(backend.versions(), matches(ToolError, new RegExp(`^list the versions of ${WHERE}: down`)));
      await assert.rejects(backend.readVersion("v-1"), matches(ToolError, new RegExp(`^read version v-1 of ${WHERE}: down`)));
    });
  });
});

describe("S3 refusals", () => {
  it("name the action and the ARN to grant it on, in the bucket's partition; objects' actions on bucket/*", () => {
    assert.equal(s3Arn("s3:GetObject", "b", "cn-north-1"), "arn:aws-cn:s3:::b/*");
    assert.equal(s3Arn("s3:ListBucket", "b", "us-gov-west-1"), "arn:aws-us-gov:s3:::b");
    for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"] as const) assert.equal(s3Arn(action, "b", "eu-west-1"), "arn:aws:s3:::b/*");
    const empty403 = Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 403 } });
    const refusal = s3Refusal({ action: "s3:PutObject", bucket: "b", key: "k", region: "eu-west-1" }, empty403);
    assert.equal(refusal.message, "S3 refused s3:PutObject on s3://b/k (403 AccessDenied): grant s3:PutObject on arn:aws:s3:::b/*");
    assert.equal(refusal.cause, empty403);
    assert.equal(s3Failure("put it", { action: "s3:PutObject", bucket: "b", region: "eu-west-1" }, empty403).message, "S3 refused s3:PutObject on s3://b (403 AccessDenied): grant s3:PutObject on arn:aws:s3:::b/*");
    const other = awsError("SlowDown", "Please reduce your request rate.", 503);
    const failure = s3Failure("put it", { action: "s3:PutObject", bucket: "b", region: "eu-west-1" }, other);
    assert.match(failure.message, /^put it: Please reduce your request rate\. \(SlowDown, request req-\w+\)$/);
    assert.equal(failure.cause, other);
  });
});

describe("the bucket's region and client", () => {
  it("HeadBucket's answer, or a redirect's header, says where the bucket is", async () => {
    await inS3(async ({ s3 }) => {
      assert.equal(await bucketRegion(s3, BUCKET), "eu-central-1");
      assert.equal(await bucketRegion(s3, "missing"), undefined);
    }, { region: "eu-central-1" });
    const redirect = { send: async () => { throw Object.assign(new Error("moved"), { $response: { headers: { "x-amz-bucket-region": "ap-south-1" } } }); } } as unknown as S3Client;
    assert.equal(await bucketRegion(redirect, BUCKET), "ap-south-1");
  });

  it("a client is made for the bucket's region and the spec's profile", async () => {
    assert.equal(await s3Client({ region: "eu-west-3" }).config.region(), "eu-west-3");
    assert.equal(s3Client({ region: "eu-west-3", profile: "team" }).config.profile, "team");
    assert.equal(s3Client({ region: "eu-west-3" }).config.profile, undefined);
    assert.equal(await (s3Client({ region: "eu-west-3" }).config.maxAttempts as () => Promise<number>)(), 3);
  });
});

describe("state bootstrap", () => {
  const tags = { "spontime:stack": "app", ManagedBy: "spontime-infra" };
  it("creates a missing bucket in the region (no LocationConstraint in us-east-1) and locks it down", async () => {
    for (const region of ["us-east-1", "eu-west-1"]) {
      await inS3(async ({ fake }) => {
        assert.deepEqual(await bootstrapBucket(new S3Client({ region }), BUCKET, region, tags), { bucket: BUCKET, region, created: true });
        const create = fake.calls.find((c) => c.op === "CreateBucket")!.input;
        assert.deepEqual(create, region === "us-east-1" ? { Bucket: BUCKET } : { Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: region } });
        const b = fake.s3.buckets.get(BUCKET)!;
        assert.equal(b.region, region);
        assert.deepEqual(b.tags, tags);
        assert.equal(b.versioning, "Enabled");
        assert.equal(b.encryption, "AES256");
        assert.deepEqual(b.publicAccessBlock, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
        assert.deepEqual(JSON.parse(b.policy!), { Version: "2012-10-17", Statement: [{
          Sid: TLS_ONLY_SID, Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }] });
      }, null);
    }
  });

  it("a create whose answer was lost (BucketAlreadyOwnedByYou on the retry) is this run's bucket", async () => {
    await inS3(async ({ fake }) => {
      fake.loseResponse(1);
      assert.equal((await bootstrapBucket(new S3Client({ region: "eu-west-1" }), BUCKET, "eu-west-1", tags)).created, true);
      assert.equal(fake.s3.buckets.get(BUCKET)!.versioning, "Enabled");
    }, null);
  });

  it("an existing bucket is checked, never re-tagged; its policy's statements and version are kept, ours added once", async () => {
    const theirs = { Sid: "Theirs", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::team-state/*" };
    await inS3(async ({ fake, s3, bucket }) => {
      assert.deepEqual(await bootstrapBucket(s3, BUCKET, "us-east-1", tags), { bucket: BUCKET, region: "us-east-1", created: false });
      assert.equal(fake.count("CreateBucket") + fake.count("PutBucketTagging"), 0);
      const policy = JSON.parse(bucket.policy!) as { Version: string; Statement: { Sid: string }[] };
      assert.equal(policy.Version, "2008-10-17");
      assert.deepEqual(policy.Statement.map((s) => s.Sid), ["Theirs", TLS_ONLY_SID]);
      fake.calls.length = 0;
      await bootstrapBucket(s3, BUCKET, "us-east-1", tags);
      assert.equal(fake.count("PutBucketPolicy"), 0);
    }, { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }, policy: JSON.stringify({ Version: "2008-10-17", Statement: [theirs] }) });
  });

  it("a bucket policy without statements gets ours as its first", async () => {
    await inS3(async ({ s3, bucket }) => {
      await bootstrapBucket(s3, BUCKET, "us-east-1", tags);
      assert.deepEqual((JSON.parse(bucket.policy!) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid), [TLS_ONLY_SID]);
    }, { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }, policy: JSON.stringify({ Version: "2012-10-17" }) });
  });

  it("refuses an existing bucket without every public access block on, and one these credentials cannot use", async () => {
    const refused = matches(UserError, /^the bucket team-state allows public access \(S3 Block Public Access is not fully on\): refusing to keep the state, which holds secrets, there$/, /^turn on all four Block Public Access settings for team-state, or bootstrap a new bucket$/);
    for (const publicAccessBlock of [undefined, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false }, { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }]) {
      await inS3(async ({ fake, s3 }) => {
        await assert.rejects(bootstrapBucket(s3, BUCKET, "us-east-1", tags), refused);
        assert.deepEqual(fake.mutatingCalls(), []);
      }, { publicAccessBlock });
    }
    await inS3(async ({ fake, s3 }) => {
      fake.s3.foreign.add("taken");
      await assert.rejects(bootstrapBucket(s3, "taken", "cn-north-1", tags), matches(UserError, /^the bucket taken exists but these credentials cannot use it \(another account's, or no s3:ListBucket\)$/, /^bucket names are global: pick another one, or if the bucket is yours, grant s3:ListBucket on arn:aws-cn:s3:::taken$/));
    }, null);
  });

  it("each failing step says what it was doing, a refusal the permission it needed", async () => {
    const steps: [string, string, boolean][] = [
      ["HeadBucket", "check bucket team-state", true], ["CreateBucket", "create bucket team-state", false], ["PutBucketTagging", "tag bucket team-state", false],
      ["GetPublicAccessBlock", "read the public access block of team-state", true], ["PutPublicAccessBlock", "block public access on team-state", true],
      ["PutBucketVersioning", "turn on versioning of team-state", true], ["PutBucketEncryption", "set default encryption of team-state", true],
      ["GetBucketPolicy", "read the policy of team-state", true], ["PutBucketPolicy", "set the policy of team-state", true],
    ];
    for (const [op, what, existing] of steps) {
      await inS3(async ({ fake, s3 }) => {
        fake.failWith = (called) => (called === op ? awsError("InternalError", "boom", 500) : undefined);
        await assert.rejects(bootstrapBucket(s3, BUCKET, "us-east-1", tags), matches(ToolError, new RegExp(`^${what}: boom \\(InternalError`)), op);
      }, existing ? { publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } : null);
    }
    await inS3(async ({ fake, s3 }) => {
      fake.failWith = (called) => (called === "GetPublicAccessBlock" ? awsError("AccessDenied", "Access Denied", 403) : undefined);
      await assert.rejects(bootstrapBucket(s3, BUCKET, "us-east-1", tags), matches(ToolError, /^S3 refused s3:GetBucketPublicAccessBlock on s3:\/\/team-state /));
      fake.failWith = (called) => (called === "HeadBucket" ? Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }) : undefined);
      await assert.rejects(bootstrapBucket(s3, BUCKET, "us-east-1", tags), matches(UserError, /^no AWS credentials found$/));
    });
  });
});

describe("where the state is", () => {
  const spec = (over: object = {}): Spec => SpecSchema.parse({ appName: "app", ...over });
  const flags = { stateDir: "/s" };

  it("a bucket from the flag, else the environment, else the spec; without one the local directory", () => {
    assert.deepEqual(stateLocation(spec(), flags, {}), { backend: "local", dir: "/s" });
    assert.deepEqual(stateLocation(spec({ state: { backend: "local" } }), flags, {}), { backend: "local", dir: "/s" });
    assert.deepEqual(stateLocation(spec(), flags, { SPONTIME_STATE_BUCKET: "env-bucket" }), { backend: "s3", bucket: "env-bucket", key: "spontime-infra/app.json", region: "us-east-1", regionGiven: false });
    const inSpec = spec({ region: "eu-west-1", profile: "team", state: { backend: "s3", bucket: "spec-bucket", key: "k.json", region: "eu-central-1" } });
    assert.deepEqual(stateLocation(inSpec, flags, {}), { backend: "s3", bucket: "spec-bucket", key: "k.json", region: "eu-central-1", regionGiven: true, profile: "team" });
    assert.equal((stateLocation(inSpec, flags, { SPONTIME_STATE_BUCKET: "env-bucket" }) as S3Location).bucket, "env-bucket");
    assert.equal((stateLocation(inSpec, { ...flags, stateBucket: "flag-bucket" }, { SPONTIME_STATE_BUCKET: "env-bucket" }) as S3Location).bucket, "flag-bucket");
    assert.throws(() => stateLocation(spec(), { ...flags, stateBucket: "Bad_Name" }, {}), matches(UserError, /^state bucket "Bad_Name": must be an S3 bucket name/));
  });

  it("without any credentials, a state in S3 is refused before any call, saying that plan needs them too", async () => {
    const home = mkdtempSync(join(tmpdir(), "spontime-home-"));
    await assert.rejects(stateS3Client({ bucket: BUCKET, key: KEY, region: "us-east-1" }, { HOME: home }), matches(UserError,
      /^no AWS credentials found: this stack's state is in S3 \(s3:\/\/team-state\/spontime-infra\/app\.json\), and reading it needs them, for `plan` too$/,
      /; without credentials, `plan` and `validate` work only for a stack whose state is local \(no "state" in the spec, no --state-bucket\)$/));
  });

  it("the client goes to the bucket's own region when the spec does not name it", async () => {
    await inS3(async ({ fake }) => {
      const location: S3Location = { bucket: BUCKET, key: KEY, region: "us-east-1" };
      const client = await stateS3Client(location, ENV);
      assert.equal(await client.config.region(), "eu-west-1");
      assert.equal(location.region, "eu-west-1");
      fake.calls.length = 0;
      const given = await stateS3Client({ bucket: BUCKET, key: KEY, region: "eu-west-1", regionGiven: true }, ENV);
      assert.equal(await given.config.region(), "eu-west-1");
      assert.equal(fake.count("HeadBucket"), 0, "a region the spec names is not asked");
      const same = await stateS3Client({ bucket: BUCKET, key: KEY, region: "eu-west-1" }, ENV);
      assert.equal(await same.config.region(), "eu-west-1");
      const unknown = await stateS3Client({ bucket: "missing", key: KEY, region: "us-east-2" }, ENV);
      assert.equal(await unknown.config.region(), "us-east-2");
    }, { region: "eu-west-1" });
  });

  it("a corrupt state object is answered with the versions kept before it, newest first, and how to bring one back", async () => {
    await inS3(async ({ clock, backend, bucket }) => {
      let tag: string | undefined;
      for (let serial = 1; serial <= 7; serial++) {
        tag = await backend.write(state(serial), tag);
        await clock.sleep(60_000);
      }
      await backend.write("{ half", tag);
      const kept = bucket.objects.get(KEY)!.slice(1, 7).reverse().map((v) => v.versionId);
      const location = { backend: "s3" as const, bucket: BUCKET, key: KEY, region: "us-east-1", regionGiven: true };
      await assert.rejects(openStore(location, spec(), ENV), (e) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, new RegExp(`^state file ${WHERE} is corrupt \\(not JSON\\)$`));
        const listed = [...e.hint!.matchAll(/(v-\w+) \(2026-12-01T10:\d\d:\d\d\.\d{3}Z\)/g)].map((m) => m[1]);
        assert.deepEqual(listed, kept.slice(0, 5));
        assert.match(e.hint!, /; bring one back with `spontime-infra state pull --version-id <id> -o state\.json`, check it, then `spontime-infra state push state\.json`$/);
        return true;
      });
      const replacing = await openStore(location, spec(), ENV, true);
      assert.equal(replacing.text, "{ half");
      await assert.rejects(openStore(location, spec({ appName: "other" }), ENV), matches(UserError, /is corrupt/));
    });
    await inS3(async ({ backend }) => {
      await backend.write("{ half", undefined);
      await assert.rejects(openStore({ backend: "s3", bucket: BUCKET, key: KEY, region: "us-east-1", regionGiven: true }, spec(), ENV), matches(UserError, /is corrupt/, /^the bucket kept no earlier version \(is versioning on\?\): move the object aside and run `up`/));
    });
    await inS3(async ({ backend }) => {
      await backend.write(state(1, "other"), undefined);
      await assert.rejects(openStore({ backend: "s3", bucket: BUCKET, key: KEY, region: "us-east-1", regionGiven: true }, spec(), ENV), matches(UserError, /belongs to app other/, /check appName/));
      const store = await openStore({ backend: "local", dir: mkdtempSync(join(tmpdir(), "spontime-open-")) }, spec(), ENV);
      assert.equal(store.exists, false);
      assert.equal(store.app, "app");
    });
  });
});
