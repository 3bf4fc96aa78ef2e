import { UserError } from "../errors.js";
import { knownProfiles } from "./profiles.js";

/** What the retry layer and resources need to know about an AWS SDK error. */
export interface AwsErrorShape { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string }; $retryable?: unknown; code?: string; $operation?: string }

/** Records which call failed on the SDK's error (the SDK does not say), for messages that must name it. */
export const withOperation = (e: unknown, op: string): unknown => (e && typeof e === "object" ? Object.assign(e, { $operation: op }) : e);

/**
 * The answer was not AWS's (an HTML page from a proxy, a captive portal, a wrong AWS_ENDPOINT_URL): the SDK
 * then reports its parser's text, "Unexpected token '<' … Deserialization error" for JSON services, or an
 * error named and worded "Unknown" for XML ones (EC2, RDS, ELB, IAM), which alone tell the user nothing.
 */
const isForeignResponse = (e: unknown): boolean => {
  const err = e as AwsErrorShape;
  return err?.name === "SyntaxError" || /Deserialization error|Unexpected token/.test(err?.message ?? "") || (err?.name === "Unknown" && err?.message === "Unknown");
};

export const errorCode = (e: unknown): string => {
  const err = e as AwsErrorShape;
  return err?.Code ?? err?.name ?? "";
};

/**
 * A 403 whose answer had no body to name it: HEAD requests have none (API_HeadBucket.html: "A message body is not
 * included"), so SDK v3 calls it "Unknown" with the message "UnknownError" (AwsRestXmlProtocol.handleError), and
 * earlier versions "403", "Forbidden" or "" (aws/aws-sdk-js-v3#6597, #1596). S3 refuses that way what it
 * answers AccessDenied to a GET.
 */
const UNNAMED = new Set(["Unknown", "UnknownError", "Forbidden", "403", ""]);
const unnamed403 = (e: unknown): boolean => (e as AwsErrorShape)?.$metadata?.httpStatusCode === 403 && UNNAMED.has(errorCode(e));

/** AWS refused the call for want of a permission (or an explicit deny). */
export const isAccessDenied = (e: unknown): boolean => errorCode(e) === "AccessDenied" || unnamed403(e);

/** The error's code, an unnamed 403 called what it is: AccessDenied. */
export const namedCode = (e: unknown): string => (unnamed403(e) ? "AccessDenied" : errorCode(e));

const THROTTLING = new Set([
  "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
  "RequestLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
]);
const TRANSIENT_NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const EXPIRED = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const BAD_CREDENTIALS = new Set(["InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure", "SignatureDoesNotMatch", "InvalidAccessKeyId", "IncompleteSignature"]);

export function isTransient(e: unknown): boolean {
  const err = e as AwsErrorShape;
  const code = errorCode(e);
  if (THROTTLING.has(code) || TRANSIENT_NETWORK.has(code) || TRANSIENT_NETWORK.has(err?.code ?? "")) return true;
  if (code === "InternalError" || code === "InternalFailure" || code === "ServiceUnavailable" || code === "ServiceUnavailableException" || code === "ServerException") return true;
  return (err?.$metadata?.httpStatusCode ?? 0) >= 500;
}

export const isNotFound = (e: unknown): boolean => /NotFound|NoSuch|DoesNotExist|not found/i.test(errorCode(e));

/**
 * Credential problems are the user's to fix: exit 2 with what to do, never an SDK stack trace. The SDK's
 * message for a mistyped profile does not name it ("Could not load credentials from any providers"): we do,
 * and tell a profile that does not exist, an SSO profile not logged in and one without credentials apart.
 */
export function credentialError(e: unknown, profile?: string, env: NodeJS.ProcessEnv = process.env): UserError | undefined {
  const code = errorCode(e);
  if (code === "CredentialsProviderError" || code === "TokenProviderError" || /Could not load credentials/i.test((e as Error)?.message ?? "")) {
    return profile ? profileError(profile, env) : new UserError("no AWS credentials found", "set AWS_PROFILE (and run `aws sso login --profile <name>` if it is an SSO profile) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
  if (EXPIRED.has(code)) return new UserError("AWS credentials have expired", `refresh them (\`aws sso login${profile ? ` --profile ${profile}` : ""}\`, or new session keys) and run again`);
  if (BAD_CREDENTIALS.has(code)) return new UserError(`AWS rejected the credentials (${code})`, "check AWS_PROFILE / AWS_ACCESS_KEY_ID and the region");
  return undefined;
}

/** Why the named profile gave no credentials, from the shared config files: absent, SSO without a login, or no keys. */
function profileError(profile: string, env: NodeJS.ProcessEnv): UserError {
  const profiles = knownProfiles(env);
  const found = profiles.get(profile);
  if (!found) {
    const names = [...profiles.keys()].sort();
    return new UserError(`AWS profile "${profile}" does not exist (--profile or AWS_PROFILE)`, names.length
      ? `the profiles in ~/.aws/config and ~/.aws/credentials are: ${names.join(", ")}`
      : `there is no profile at all in ~/.aws/config or ~/.aws/credentials: create it with \`aws configure --profile ${profile}\` (or \`aws configure sso\`)`);
  }
  if (found.sso) return new UserError(`AWS profile "${profile}" uses IAM Identity Center (SSO) and is not logged in, or its login expired`, `run \`aws sso login --profile ${profile}\`, then run again`);
  return new UserError(`AWS profile "${profile}" gives no credentials`, `check its keys or role settings in ~/.aws/credentials and ~/.aws/config (\`aws configure list --profile ${profile}\`)`);
}

/** `<what>: <AWS message> (<code>, request <id>)`, the form every AWS failure is reported in. */
export function describeAwsError(what: string, e: unknown): string {
  const err = e as AwsErrorShape;
  if (isForeignResponse(e)) {
    const status = err.$metadata?.httpStatusCode;
    return `${what}${err.$operation ? ` (${err.$operation})` : ""}: the endpoint answered${status ? ` HTTP ${status}` : ""} with something that is not an AWS response (a proxy, a captive portal, or a wrong AWS_ENDPOINT_URL?)`;
  }
  const code = namedCode(e);
  const req = err?.$metadata?.requestId;
  const detail = [code, req ? `request ${req}` : ""].filter(Boolean).join(", ");
  return `${what}: ${unnamed403(e) ? "refused (HTTP 403, an answer without a body)" : err?.message ?? String(e)}${detail ? ` (${detail})` : ""}`;
}

/**
 * A predicate for "the error is one of these codes", for the engine's `inUse` / `alreadyExists` questions. The
 * API reference names a code `EntityAlreadyExists` while SDK v3 raises `EntityAlreadyExistsException` (or RDS's
 * `...Fault`): both spellings match.
 */
export const hasCode = (...codes: string[]) => {
  const base = (code: string) => code.replace(/(Exception|Fault)$/, "");
  const wanted = new Set(codes.map(base));
  return (e: unknown): boolean => wanted.has(base(errorCode(e)));
};

/**
 * A predicate for "the error is this code, saying this": for codes a service answers for many things (ECS's
 * ClientException, EC2's InvalidParameterValue), where only the message tells which. With `hasCode`, the one
 * way an error is given a meaning: each meaning is named once, beside the calls that answer it.
 */
export const codeSaying = (code: string, what: RegExp) => (e: unknown): boolean => errorCode(e) === code && what.test((e as Error)?.message ?? "");

/** Reads that answer NotFound for a missing id mean "absent", not failure. */
export async function absentIfNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Deleting something already gone is success. */
export async function ignoreNotFound(action: () => Promise<unknown>): Promise<void> {
  await absentIfNotFound(action);
}
