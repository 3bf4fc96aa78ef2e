import {
  CreateBucketCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand, PutBucketEncryptionCommand,
  PutBucketPolicyCommand, PutBucketTaggingCommand, PutBucketVersioningCommand, PutPublicAccessBlockCommand, type S3Client,
} from "@aws-sdk/client-s3";
import { credentialError, errorCode } from "../aws/errors.js";
import { partitionOf } from "../config/names.js";
import { UserError } from "../errors.js";
import { s3Arn, s3Failure, type S3Action } from "./s3-permissions.js";

/** The one statement of the bucket policy we add: any request not over TLS is denied. */
export const TLS_ONLY_SID = "SpontimeDenyInsecureTransport";
const tlsOnly = (bucket: string, region: string) => ({
  Sid: TLS_ONLY_SID, Effect: "Deny", Principal: "*", Action: "s3:*",
  Resource: [`arn:${partitionOf(region)}:s3:::${bucket}`, `arn:${partitionOf(region)}:s3:::${bucket}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** `what` failed; a refusal names `action`, the permission it needed on the bucket. */
const failure = (what: string, action: S3Action, bucket: string, region: string, e: unknown) => credentialError(e) ?? s3Failure(what, { action, bucket, region }, e);

/** Whether the bucket exists and this account may use it; a bucket someone else owns is refused. */
async function bucketExists(s3: S3Client, bucket: string, region: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return false;
    if (status === 403) {
      throw new UserError(`the bucket ${bucket} exists but these credentials cannot use it (another account's, or no s3:ListBucket)`,
        `bucket names are global: pick another one, or if the bucket is yours, grant s3:ListBucket on ${s3Arn("s3:ListBucket", bucket, region)}`);
    }
    throw failure(`check bucket ${bucket}`, "s3:ListBucket", bucket, region, e);
  }
}

export interface BootstrapResult { bucket: string; region: string; created: boolean }

/**
 * Creates the state bucket if missing, or checks an existing one, and sets: every public access blocked,
 * versioning on (every state version kept), default encryption SSE-S3, a policy statement denying non-TLS
 * access. An existing bucket with public access allowed is refused: the state holds secrets.
 */
export async function bootstrapBucket(s3: S3Client, bucket: string, region: string, tags: Record<string, string>): Promise<BootstrapResult> {
  const existed = await bucketExists(s3, bucket, region);
  const on = <T>(what: string, action: S3Action, fn: () => Promise<T>): Promise<T> => fn().catch((e: unknown) => { throw failure(what, action, bucket, region, e); });
  if (existed) {
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })).then((o) => o.PublicAccessBlockConfiguration, (e) => {
      if (errorCode(e) === "NoSuchPublicAccessBlockConfiguration") return undefined;
      throw failure(`read the public access block of ${bucket}`, "s3:GetBucketPublicAccessBlock", bucket, region, e);
    });
    if (!pab || !Object.keys(ALL_BLOCKED).every((k) => pab[k as keyof typeof ALL_BLOCKED])) {
      throw new UserError(`the bucket ${bucket} allows public access (S3 Block Public Access is not fully on): refusing to keep the state, which holds secrets, there`,
        `turn on all four Block Public Access settings for ${bucket}, or bootstrap a new bucket`);
    }
  } else {
    // us-east-1 takes no LocationConstraint (CreateBucket API reference); "already owned by you" is a lost response: ours.
    await on(`create bucket ${bucket}`, "s3:CreateBucket", () => s3.send(new CreateBucketCommand({
      Bucket: bucket, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
    })).catch((e) => { if (errorCode(e) !== "BucketAlreadyOwnedByYou") throw e; }));
    await on(`tag bucket ${bucket}`, "s3:PutBucketTagging", () => s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } })));
  }
  await on(`block public access on ${bucket}`, "s3:PutBucketPublicAccessBlock", () => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_BLOCKED })));
  await on(`turn on versioning of ${bucket}`, "s3:PutBucketVersioning", () => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } })));
  await on(`set default encryption of ${bucket}`, "s3:PutEncryptionConfiguration", () => s3.send(new PutBucketEncryptionCommand({
    Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
  })));
  // Add our statement to whatever policy the bucket has; never drop someone else's statements.
  type Policy = { Version?: string; Statement?: { Sid?: string }[] };
  const current = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket })).then((o) => JSON.parse(o.Policy ?? "{}") as Policy, (e): Policy => {
    if (errorCode(e) === "NoSuchBucketPolicy") return {};
    throw failure(`read the policy of ${bucket}`, "s3:GetBucketPolicy", bucket, region, e);
  });
  const statements = current.Statement ?? [];
  if (!statements.some((s) => s.Sid === TLS_ONLY_SID)) {
    const policy = { Version: current.Version ?? "2012-10-17", Statement: [...statements, tlsOnly(bucket, region)] };
    await on(`set the policy of ${bucket}`, "s3:PutBucketPolicy", () => s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) })));
  }
  return { bucket, region, created: !existed };
}
