import { describeAwsError, isAccessDenied, namedCode, type AwsErrorShape } from "../aws/errors.js";
import { partitionOf } from "../config/names.js";
import { ToolError } from "../errors.js";

/**
 * The IAM actions the team state in S3 calls (src/state/s3.ts), each as its API page's "Permissions" names it
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html). Apart from s3.ts so
 * that the permission lists (src/stack/permissions.ts) read them without loading the S3 client.
 * Those of every run (`up`, `down`, ...; `doctor` checks them):
 */
export const S3_STATE_RUN_ACTIONS = [
  // The state and its lock: read, conditional writes, the lock's release and `state migrate`'s retirement.
  "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
  // HeadBucket (the bucket's own region: API_HeadBucket.html); and without it S3 answers a missing object 403
  // AccessDenied instead of 404 NoSuchKey (API_GetObject.html, "Permissions"): a first run reads "no state yet" as a refusal.
  "s3:ListBucket",
  // Whether a locked run's bad state could be brought back (GetBucketVersioning): a warning when not.
  "s3:GetBucketVersioning",
] as const;

/**
 * The way back from a bad state: its versions listed (ListObjectVersions needs s3:ListBucketVersions,
 * API_ListObjectVersions.html), one read with `state pull --version-id` (a GetObject with a VersionId needs
 * s3:GetObjectVersion instead of s3:GetObject, API_GetObject.html).
 */
export const S3_STATE_RECOVERY_ACTIONS = ["s3:ListBucketVersions", "s3:GetObjectVersion"] as const;

/** All the team state needs: the README's list. */
export const S3_STATE_ACTIONS = [...S3_STATE_RUN_ACTIONS, ...S3_STATE_RECOVERY_ACTIONS] as const;

/** What `state bootstrap` calls besides HeadBucket: creating the bucket (or checking it) and locking it down. */
export const S3_BOOTSTRAP_ACTIONS = [
  "s3:ListBucket", "s3:CreateBucket", "s3:PutBucketTagging", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:GetBucketPolicy", "s3:PutBucketPolicy",
] as const;

export type S3Action = (typeof S3_STATE_ACTIONS)[number] | (typeof S3_BOOTSTRAP_ACTIONS)[number];

/** Actions on the objects are granted on `arn:…:s3:::bucket/*`, the others on the bucket itself. */
const OBJECT_ACTIONS = new Set<S3Action>(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"]);

export const s3Arn = (action: S3Action, bucket: string, region: string) => `arn:${partitionOf(region)}:s3:::${bucket}${OBJECT_ACTIONS.has(action) ? "/*" : ""}`;

/** One call of S3: which action it needs, on what, for the message when S3 refuses it. */
export interface S3Call { action: S3Action; bucket: string; key?: string; region: string }

/**
 * A refusal, said as the permission to grant: "S3 refused s3:PutObject on s3://b/k (403 AccessDenied, request …):
 * grant s3:PutObject on arn:aws:s3:::b/*". An empty 403 (a HEAD request's answer has no body) is said the same
 * way, never as the SDK's "UnknownError". `why` replaces the advice when more is known (a missing s3:ListBucket).
 * The CLI reports it as every AWS refusal: exit 1, code AccessDenied, the permissions hint (src/stack/failure.ts).
 */
export function s3Refusal(call: S3Call, e: unknown, why?: string): ToolError {
  const req = (e as AwsErrorShape)?.$metadata?.requestId;
  const where = `s3://${call.bucket}${call.key === undefined ? "" : `/${call.key}`}`;
  return new ToolError(`S3 refused ${call.action} on ${where} (403 ${namedCode(e)}${req ? `, request ${req}` : ""}): ${why ?? `grant ${call.action} on ${s3Arn(call.action, call.bucket, call.region)}`}`, { cause: e });
}

/** A refusal named by its permission, any other failure in the usual words. */
export const s3Failure = (what: string, call: S3Call, e: unknown): ToolError =>
  (isAccessDenied(e) ? s3Refusal(call, e) : new ToolError(describeAwsError(what, e), { cause: e }));
