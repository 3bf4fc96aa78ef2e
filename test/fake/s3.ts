/**
 * S3, as far as the state backend uses it: buckets with their settings, object versions, and the conditional
 * requests the lock and the state writes rest on. Each rule cites the page that states it.
 */
import * as S3 from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { FakeAws } from "./aws.js";
import { awsError, fromUpper, type CallContext, type Service, type Tags } from "./common.js";

/** One version of a key; a delete marker has no body. */
export interface S3Version { versionId: string; body?: string; etag?: string; at?: number }
export interface PublicAccessBlock { BlockPublicAcls?: boolean; IgnorePublicAcls?: boolean; BlockPublicPolicy?: boolean; RestrictPublicBuckets?: boolean }
export interface Bucket {
  name: string; region: string; tags: Tags; versioning?: "Enabled" | "Suspended"; encryption?: string;
  publicAccessBlock?: PublicAccessBlock; policy?: string; objects: Map<string, S3Version[]>;
  /** A restricted caller: the only IAM actions (`s3:GetObject`, ...) its policies allow on this bucket; undefined, all. */
  callerMay?: string[];
}
export interface S3State {
  buckets: Map<string, Bucket>;
  /** Bucket names taken by other accounts (bucket names are global). */
  foreign: Set<string>;
  /** The next this-many conditional writes answer 409 ConditionalRequestConflict, as when another is in flight. */
  conflicts: number;
}

export const emptyS3 = (): S3State => ({ buckets: new Map(), foreign: new Set(), conflicts: 0 });

/** A single-part upload without SSE-KMS has the MD5 of its bytes as ETag, quoted: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html */
const etagOf = (body: string) => `"${createHash("md5").update(body).digest("hex")}"`;

/** The SDK's GetObject Body: a stream with transformToString (https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/client/s3/command/GetObjectCommand/). */
const bodyOf = (text: string) => ({ transformToString: async () => text, transformToByteArray: async () => new TextEncoder().encode(text) });

/**
 * The IAM action each operation needs (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html,
 * and each API page's "Permissions"): HeadBucket needs s3:ListBucket (API_HeadBucket.html), ListObjectVersions
 * s3:ListBucketVersions (API_ListObjectVersions.html), a GetObject with a VersionId s3:GetObjectVersion instead of
 * s3:GetObject (API_GetObject.html); PutBucketEncryption is s3:PutEncryptionConfiguration.
 */
const actionOf = (op: string, input: { VersionId?: string }): string => ({
  HeadBucket: "s3:ListBucket", ListObjectVersions: "s3:ListBucketVersions", GetObject: input.VersionId === undefined ? "s3:GetObject" : "s3:GetObjectVersion",
  GetBucketEncryption: "s3:GetEncryptionConfiguration", PutBucketEncryption: "s3:PutEncryptionConfiguration",
  GetPublicAccessBlock: "s3:GetBucketPublicAccessBlock", PutPublicAccessBlock: "s3:PutBucketPublicAccessBlock",
} as Record<string, string>)[op] ?? `s3:${op}`;

/**
 * A refusal. A HEAD request's answer has no body (API_HeadBucket.html: "A message body is not included, so you
 * cannot determine the exception beyond these HTTP response codes"), so the SDK has no code to name the error by:
 * SDK v3 names it "Unknown" with the message "UnknownError" (AwsRestXmlProtocol.handleError in aws/aws-sdk-js-v3
 * packages/core/src/submodules/protocols/xml/AwsRestXmlProtocol.ts; earlier versions "403" or "", aws/aws-sdk-js-v3#6597, #1596).
 */
const accessDenied = (head: boolean) => (head ? awsError("Unknown", "UnknownError", 403) : awsError("AccessDenied", "Access Denied", 403));
const HEAD_OPS = new Set(["HeadBucket"]);

export function s3Service(fake: FakeAws): Service<typeof S3> {
  const s3 = () => fake.state.s3;
  const bucket = (name: string | undefined) => {
    const b = s3().buckets.get(name ?? "");
    if (!b) throw awsError("NoSuchBucket", "The specified bucket does not exist", 404);
    return b;
  };
  /**
   * An object request sent to another region's endpoint than the bucket's answers 301 PermanentRedirect
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html; the SDK follows it only with
   * `followRegionRedirects`); HeadBucket answers the bucket's region (x-amz-bucket-region, API_HeadBucket).
   */
  const inRegion = (name: string | undefined, call: CallContext) => {
    const b = bucket(name);
    if (b.region !== call.region) throw awsError("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.", 301);
    return b;
  };
  /** The current version, unless it is a delete marker: "a delete marker ... GET returns 404" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html). */
  const current = (b: Bucket, key: string) => {
    const v = b.objects.get(key)?.at(-1);
    return v?.body === undefined ? undefined : v;
  };
  /** A versioned bucket keeps every version; an unversioned one keeps only the last (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html). */
  const store = (b: Bucket, key: string, v: S3Version) => {
    const versions = b.objects.get(key) ?? [];
    b.objects.set(key, b.versioning === "Enabled" ? [...versions, v] : [v]);
  };
  /**
   * Conditional writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html, PutObject
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html): If-None-Match "*" fails with 412
   * PreconditionFailed when the key exists; If-Match fails with 412 when the ETag differs and 404 NoSuchKey when
   * there is no object; a conflicting conditional request in flight answers 409 ConditionalRequestConflict.
   * Conditional deletes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html) apply
   * If-Match to the current version the same way. So the SDK's retry of a write whose answer was lost (FakeAws
   * `loseResponse`) answers 412 (or 404 for a delete): its first attempt already changed the ETag.
   */
  const checkConditions = (b: Bucket, key: string, i: { IfMatch?: string; IfNoneMatch?: string }) => {
    if (i.IfMatch === undefined && i.IfNoneMatch === undefined) return;
    if (s3().conflicts > 0) {
      s3().conflicts--;
      throw awsError("ConditionalRequestConflict", "A conflicting conditional operation is currently in progress against this resource. Please try again.", 409);
    }
    const now = current(b, key);
    if (i.IfNoneMatch === "*" && now) throw awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
    if (i.IfMatch !== undefined) {
      if (!now) throw awsError("NoSuchKey", "The specified key does not exist.", 404);
      if (i.IfMatch !== "*" && i.IfMatch !== now.etag) throw awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
    }
  };
  /** What the restricted caller may do on an existing bucket; a refusal comes before any other answer of the bucket's. */
  const may = (name: string | undefined, action: string) => {
    const allowed = s3().buckets.get(name ?? "")?.callerMay;
    return !allowed || allowed.includes(action);
  };
  const guarded = <H extends Record<string, unknown>>(handlers: H): H => Object.fromEntries(Object.entries(handlers).map(([op, handler]) => [op,
    (i: { Bucket?: string; VersionId?: string }, call: CallContext) => {
      if (!may(i.Bucket, actionOf(op, i))) throw accessDenied(HEAD_OPS.has(op));
      return (handler as (i: unknown, call: CallContext) => unknown)(i, call);
    }])) as H;
  return {
    client: S3.S3Client,
    sdk: S3,
    reads: guarded({
      // HeadBucket has no body, so the SDK names its errors by status (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
      HeadBucket: (i) => {
        if (s3().foreign.has(i.Bucket!)) throw accessDenied(true);
        return { BucketRegion: bucket(i.Bucket).region };
      },
      // With VersionId, that version (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html); one the key never had is NoSuchVersion.
      GetObject: (i, call) => {
        const b = inRegion(i.Bucket, call);
        if (i.VersionId !== undefined) {
          const old = b.objects.get(i.Key!)?.find((x) => x.versionId === i.VersionId && x.body !== undefined);
          if (!old) throw awsError("NoSuchVersion", "The specified version does not exist.", 404);
          return { Body: bodyOf(old.body!), ETag: old.etag, VersionId: old.versionId };
        }
        const v = current(b, i.Key!);
        // "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error" (API_GetObject.html, Permissions).
        if (!v) throw may(i.Bucket, "s3:ListBucket") ? awsError("NoSuchKey", "The specified key does not exist.", 404) : accessDenied(false);
        return { Body: bodyOf(v.body!), ETag: v.etag, VersionId: v.versionId };
      },
      ListObjectVersions: (i) => ({
        Versions: [...bucket(i.Bucket).objects].filter(([k]) => k.startsWith(i.Prefix ?? "")).flatMap(([Key, vs]) => vs.filter((v) => v.body !== undefined).map((v) => ({ Key, VersionId: v.versionId, ETag: v.etag, Size: v.body!.length, ...(v.at === undefined ? {} : { LastModified: new Date(v.at) }) }))),
      }),
      GetBucketVersioning: (i) => ({ Status: bucket(i.Bucket).versioning }),
      GetBucketEncryption: (i) => ({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: bucket(i.Bucket).encryption } }] } }),
      GetPublicAccessBlock: (i) => {
        const pab = bucket(i.Bucket).publicAccessBlock;
        if (!pab) throw awsError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404);
        return { PublicAccessBlockConfiguration: pab };
      },
      GetBucketPolicy: (i) => {
        const policy = bucket(i.Bucket).policy;
        if (!policy) throw awsError("NoSuchBucketPolicy", "The bucket policy does not exist", 404);
        return { Policy: policy };
      },
      GetBucketTagging: (i) => ({ TagSet: Object.entries(bucket(i.Bucket).tags).map(([Key, Value]) => ({ Key, Value })) }),
    }),
    writes: guarded({
      /**
       * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html: a name another account holds is
       * BucketAlreadyExists; one you own is BucketAlreadyOwnedByYou (in us-east-1, 200 OK). New buckets have every
       * Block Public Access setting on (https://docs.aws.amazon.com/AmazonS3/latest/userguide/create-bucket-overview.html)
       * and SSE-S3 default encryption (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html).
       */
      CreateBucket: (i) => {
        const name = i.Bucket!;
        if (s3().foreign.has(name)) throw awsError("BucketAlreadyExists", "The requested bucket name is not available.", 409);
        const region = i.CreateBucketConfiguration?.LocationConstraint ?? "us-east-1";
        if (s3().buckets.has(name)) {
          if (region === "us-east-1") return {};
          throw awsError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", 409);
        }
        s3().buckets.set(name, {
          name, region, tags: {}, encryption: "AES256", objects: new Map(),
          publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        });
        return { Location: `/${name}` };
      },
      PutBucketTagging: (i) => { bucket(i.Bucket).tags = fromUpper(i.Tagging?.TagSet); },
      PutPublicAccessBlock: (i) => { bucket(i.Bucket).publicAccessBlock = { ...i.PublicAccessBlockConfiguration }; },
      PutBucketVersioning: (i) => { bucket(i.Bucket).versioning = i.VersioningConfiguration?.Status as Bucket["versioning"]; },
      PutBucketEncryption: (i) => { bucket(i.Bucket).encryption = i.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm; },
      PutBucketPolicy: (i) => {
        JSON.parse(i.Policy!); // MalformedPolicy otherwise
        bucket(i.Bucket).policy = i.Policy!;
      },
      PutObject: (i, call) => {
        const b = inRegion(i.Bucket, call);
        checkConditions(b, i.Key!, i);
        const body = String(i.Body ?? "");
        const v: S3Version = { versionId: b.versioning === "Enabled" ? fake.id("v") : "null", body, etag: etagOf(body), at: fake.clock.now() };
        store(b, i.Key!, v);
        return { ETag: v.etag, VersionId: v.versionId };
      },
      /** Without a version id: a versioned bucket gets a delete marker, earlier versions stay (DeleteObject API reference). */
      DeleteObject: (i, call) => {
        const b = inRegion(i.Bucket, call);
        checkConditions(b, i.Key!, i);
        if (b.versioning === "Enabled") store(b, i.Key!, { versionId: fake.id("v") });
        else b.objects.delete(i.Key!);
        return {};
      },
    }),
  };
}
