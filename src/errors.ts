/**
 * Errors the user can fix (bad spec, state file, flags, credentials): one line, exit code 2.
 * Everything else is a ToolError or an AWS error: exit code 1 with the cause.
 */
export class UserError extends Error {
  override readonly name = "UserError";
  constructor(message: string, readonly hint?: string) { super(message); }
}

/** A failure the user cannot fix by changing input: AWS refused, a wait timed out, a resource failed. */
export class ToolError extends Error {
  override readonly name = "ToolError";
  constructor(message: string, options?: { cause?: unknown }) { super(message, options); }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
