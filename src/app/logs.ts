import { FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { describeAwsError, errorCode } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { poll } from "../engine/poll.js";
import type { AppCtx } from "./context.js";

export interface LogLine { timestamp: number; task: string; message: string }

const taskOf = (stream: string | undefined) => stream?.split("/").pop() ?? "";

const toLine = (e: FilteredLogEvent): LogLine => ({ timestamp: e.timestamp ?? 0, task: taskOf(e.logStreamName), message: (e.message ?? "").replace(/\n$/, "") });

/**
 * Every event of the app's log group since `startTime` (optionally of one task), oldest first, all pages.
 * One task's stream is asked for by prefix, not by name: awslogs creates it only when the container starts,
 * and FilterLogEvents fails the whole request with ResourceNotFoundException for a named stream that does
 * not exist yet (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
 */
export async function readLogs(ctx: AppCtx, options: { startTime?: number; taskId?: string }): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    const input = {
      logGroupName: ctx.names.logGroup,
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
      ...(options.taskId ? { logStreamNamePrefix: `${ctx.names.container}/${ctx.names.container}/${options.taskId}` } : {}),
      ...(nextToken ? { nextToken } : {}),
    };
    const page = await ctx.aws.logs.send(new FilterLogEventsCommand(input)).catch((e: unknown) => {
      if (errorCode(e) !== "ResourceNotFoundException") throw e;
      throw Object.assign(new UserError(describeAwsError(`read the log group ${ctx.names.logGroup}`, e), "run `spontime-infra up` first (it creates the log group), or check --region and appName"), { cause: e });
    });
    lines.push(...(page.events ?? []).map(toLine));
    nextToken = page.nextToken;
  } while (nextToken);
  return lines.sort((a, b) => a.timestamp - b.timestamp);
}

/** Prints each line once across repeated reads: follow mode reads overlapping windows. */
export function printOnce(print: (l: LogLine) => void) {
  const seen = new Set<string>();
  let latest = 0;
  return {
    /** Where the next read may start: lines with the latest timestamp can still arrive. */
    since: (fallback: number) => Math.max(fallback, latest),
    print(lines: LogLine[]) {
      for (const l of lines) {
        const key = `${l.timestamp}:${l.task}:${l.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        latest = Math.max(latest, l.timestamp);
        print(l);
      }
    },
  };
}

/** Prints the log group's new lines every 2 s until the run is interrupted (`logs --follow`). */
export async function followLogs(ctx: AppCtx, startTime: number, print: (l: LogLine) => void): Promise<void> {
  const lines = printOnce(print);
  await poll(async () => {
    lines.print(await readLogs(ctx, { startTime: lines.since(startTime) }));
    return { done: false, state: "following" };
  }, { clock: ctx.clock, signal: ctx.signal, timeoutMs: Infinity, delay: () => 2_000 });
}
