import {
  DeleteObjectCommand, GetBucketVersioningCommand, GetObjectCommand, HeadBucketCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client,
} from "@aws-sdk/client-s3";
import { credentialError, errorCode, isAccessDenied } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { StateConflict, type LockAttempt, type LockInfo, type Snapshot, type StateBackend } from "./backend.js";
import { s3Arn, s3Failure, s3Refusal, type S3Action } from "./s3-permissions.js";

/** `regionGiven`: the spec names the bucket's region; otherwise `region` is the stack's, and the bucket's own is asked. */
export interface S3Location { bucket: string; key: string; region: string; profile?: string; regionGiven?: boolean }

export function s3Client(location: Pick<S3Location, "region" | "profile">): S3Client {
  return new S3Client({ region: location.region, maxAttempts: 3, ...(location.profile ? { profile: location.profile } : {}) });
}

/**
 * The bucket's region, as HeadBucket answers it (BucketRegion, from x-amz-bucket-region; a redirect from
 * another region's endpoint carries the same header: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
 * Undefined when S3 does not say (no such bucket, no access): the next call then says what is wrong.
 */
export async function bucketRegion(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
  } catch (e) {
    return (e as { $response?: { headers?: Record<string, string> } }).$response?.headers?.["x-amz-bucket-region"];
  }
}

/**
 * The state as one object in an S3 bucket, the lock as a second object `<key>.lock` beside it. Both rest on S3
 * conditional requests (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
 * `If-None-Match: *` creates an object only if none exists, `If-Match: <etag>` replaces or deletes it only if
 * it is still that version; either fails with 412 PreconditionFailed otherwise.
 */
export class S3StateBackend implements StateBackend {
  readonly where: string;
  readonly warnings: string[] = [];
  notice: (line: string) => void = () => {};
  private readonly lockKey: string;

  constructor(private readonly s3: S3Client, readonly location: S3Location) {
    this.where = `s3://${location.bucket}/${location.key}`;
    this.lockKey = `${location.key}.lock`;
  }

  async read(): Promise<Snapshot | undefined> { return this.get(this.location.key); }

  /**
   * A 412 may be our own write: the SDK retries a PutObject whose answer was lost (network errors are retried for
   * every operation, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), and the retry
   * finds the object already replaced by its first attempt. So the object is read again: if it holds exactly
   * what was just written (its serial included), the write landed.
   */
  async write(text: string, expected: string | undefined): Promise<string> {
    const tag = (await this.put(this.location.key, text, expected)) ?? (await this.landed(this.location.key, text));
    if (tag === undefined) throw new StateConflict(this.where);
    return tag;
  }

  /** A conditional delete whose answer was lost is retried and finds no object (404): removed all the same. */
  async remove(expected: string): Promise<void> {
    if (!(await this.delete(this.location.key, expected)) && (await this.get(this.location.key))) throw new StateConflict(this.where);
  }

  async createLock(me: LockInfo): Promise<LockAttempt> {
    for (;;) {
      const body = JSON.stringify(me);
      const tag = await this.put(this.lockKey, body, undefined);
      if (tag !== undefined) return { mine: true, tag };
      const current = await this.get(this.lockKey);
      if (!current) continue; // released between our write and our read: try again
      if (current.text === body) return { mine: true, tag: current.tag }; // our own write, its answer lost (see write)
      let holder: LockInfo | undefined;
      try { holder = JSON.parse(current.text) as LockInfo; } catch { /* unreadable: no holder to name */ }
      return { mine: false, holder, tag: current.tag };
    }
  }

  async deleteLock(tag: string): Promise<void> { await this.delete(this.lockKey, tag); }

  /**
   * An unversioned bucket keeps only the last state: a corrupt or overwritten one cannot be brought back. A bucket
   * whose versioning cannot be read is said as such, not as one without versioning.
   */
  async afterLock(): Promise<string[]> {
    const { bucket } = this.location;
    try {
      const status = (await this.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
      return status === "Enabled" ? [] : [`warning: the state bucket ${bucket} has no versioning, so an overwritten or corrupt state cannot be brought back: \`spontime-infra state bootstrap --bucket ${bucket}\` turns it on`];
    } catch (e) {
      return [`warning: could not check that the state bucket ${bucket} keeps earlier versions: ${this.failure("read its versioning", e, "s3:GetBucketVersioning").message}`];
    }
  }

  /** The state object's earlier versions, newest first (ListObjectVersions; a versioned bucket keeps them all). */
  async versions(): Promise<{ versionId: string; lastModified?: Date; size?: number }[]> {
    const out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.location.bucket, Prefix: this.location.key })).catch((e) => { throw this.failure(`list the versions of ${this.where}`, e, "s3:ListBucketVersions"); });
    return (out.Versions ?? []).filter((v) => v.Key === this.location.key && v.VersionId && v.VersionId !== "null")
      .map((v) => ({ versionId: v.VersionId!, ...(v.LastModified ? { lastModified: v.LastModified } : {}), ...(v.Size !== undefined ? { size: v.Size } : {}) }))
      .sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0));
  }

  /** One version of the state object, as stored (not parsed: it is how a corrupt state is replaced by a good one). */
  async readVersion(versionId: string): Promise<string> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.key, VersionId: versionId }));
      return await out.Body!.transformToString();
    } catch (e) {
      if (["NoSuchVersion", "InvalidArgument", "NoSuchKey"].includes(errorCode(e))) throw new UserError(`${this.where} has no version ${versionId}`, "list them with `spontime-infra state pull` on the corrupt state, or in the S3 console (Show versions)");
      throw this.failure(`read version ${versionId} of ${this.where}`, e, "s3:GetObjectVersion", this.location.key);
    }
  }

  private async get(key: string): Promise<Snapshot | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
      return { text: await out.Body!.transformToString(), tag: out.ETag! };
    } catch (e) {
      if (errorCode(e) === "NoSuchKey") return undefined;
      if (isAccessDenied(e)) throw await this.readRefused(key, e);
      throw this.failure(`read s3://${this.location.bucket}/${key}`, e, "s3:GetObject", key);
    }
  }

  /** The version of `key` if it holds exactly `text`. */
  private async landed(key: string, text: string): Promise<string | undefined> {
    const current = await this.get(key);
    return current?.text === text ? current.tag : undefined;
  }

  /** A conditional PutObject; undefined when the condition failed (the object exists, or is not version `expected`). */
  private async put(key: string, body: string, expected: string | undefined): Promise<string | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.s3.send(new PutObjectCommand({
          Bucket: this.location.bucket, Key: key, Body: body, ContentType: "application/json",
          ...(expected === undefined ? { IfNoneMatch: "*" } : { IfMatch: expected }),
        }));
        return out.ETag!;
      } catch (e) {
        const code = errorCode(e);
        // 409: another conditional write on this key was in flight; S3's answer is to retry, which then settles it.
        if (code === "ConditionalRequestConflict" && attempt < 3) continue;
        // 412: the condition failed; 404 NoSuchKey: If-Match on an object that is gone.
        if (code === "PreconditionFailed" || code === "NoSuchKey") return undefined;
        throw this.failure(`write s3://${this.location.bucket}/${key}`, e, "s3:PutObject", key);
      }
    }
  }

  /** A DeleteObject conditional on the version (conditional deletes, https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html). */
  private async delete(key: string, tag: string): Promise<boolean> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key, IfMatch: tag }));
      return true;
    } catch (e) {
      const code = errorCode(e);
      if (code === "PreconditionFailed" || code === "NoSuchKey") return false;
      throw this.failure(`delete s3://${this.location.bucket}/${key}`, e, "s3:DeleteObject", key);
    }
  }

  /**
   * A refused GetObject: either s3:GetObject is missing, or the object is (no state yet, no lock) and so is
   * s3:ListBucket, without which S3 answers a missing key 403 instead of 404 (API_GetObject.html, "Permissions").
   * HeadBucket, which needs s3:ListBucket alone (API_HeadBucket.html), tells the two apart.
   */
  private async readRefused(key: string, e: unknown): Promise<Error> {
    const { bucket, region } = this.location;
    const call = { action: "s3:GetObject" as const, bucket, key, region };
    const listing = await this.s3.send(new HeadBucketCommand({ Bucket: bucket })).then(() => true, (probe) => (isAccessDenied(probe) ? false : undefined));
    if (listing) return s3Refusal(call, e);
    const list = `s3:ListBucket on ${s3Arn("s3:ListBucket", bucket, region)}`;
    const get = `s3:GetObject on ${s3Arn("s3:GetObject", bucket, region)}`;
    return s3Refusal(call, e, listing === false
      ? `grant ${list}: without it S3 answers a missing object 403 instead of 404, so "no state yet" reads as a refusal (and ${get}, if that is not granted either)`
      : `grant ${get}; a missing object reads as 403 unless ${list} is granted too`);
  }

  private failure(what: string, e: unknown, action: S3Action, key?: string): Error {
    const cred = credentialError(e);
    if (cred) return cred;
    if (errorCode(e) === "NoSuchBucket") {
      return new UserError(`the state bucket ${this.location.bucket} does not exist`, `create it with \`spontime-infra state bootstrap --bucket ${this.location.bucket}\`, or fix state.bucket / --state-bucket`);
    }
    return s3Failure(what, { action, bucket: this.location.bucket, region: this.location.region, ...(key === undefined ? {} : { key }) }, e);
  }
}
