import { describeAwsError, namedCode, type AwsErrorShape } from "../aws/errors.js";
import { ToolError, errorMessage } from "../errors.js";

/** A failure as the CLI reports it, in words and a code: the CLI never reads an SDK error itself. */
export interface Failure {
  message: string;
  code: string;
  /** AWS's request id and error name, when AWS answered. */
  requestId?: string;
  awsName?: string;
  /** Neither AWS's answer nor ours: a bug, for which the stack trace helps. */
  internal: boolean;
}

/** An error no command wrapped: said the way every AWS failure is (never the SDK's raw text alone). */
export function failureOf(e: unknown): Failure {
  const wrapped = e instanceof ToolError;
  const aws = (wrapped ? e.cause : e) as AwsErrorShape | undefined;
  const fromAws = !!aws?.$metadata;
  const requestId = aws?.$metadata?.requestId;
  return {
    message: !wrapped && fromAws ? describeAwsError("AWS call", e) : errorMessage(e),
    code: fromAws ? namedCode(aws) || "Failed" : wrapped ? "Failed" : "InternalError",
    ...(requestId ? { requestId, awsName: namedCode(aws) || "error" } : {}),
    internal: !wrapped && !fromAws,
  };
}
