import { FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import type { AppCtx } from "./context.js";

export interface LogLine { timestamp: number; task: string; message: string }

const taskOf = (stream: string | undefined) => stream?.split("/").pop() ?? "";

const toLine = (e: FilteredLogEvent): LogLine => ({ timestamp: e.timestamp ?? 0, task: taskOf(e.logStreamName), message: (e.message ?? "").replace(/\n$/, "") });

/** Every event of the app's log group since `startTime` (optionally of some tasks), oldest first, all pages. */
export async function readLogs(ctx: AppCtx, options: { startTime?: number; taskIds?: string[] }): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.aws.logs.send(new FilterLogEventsCommand({
      logGroupName: ctx.names.logGroup,
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
      ...(options.taskIds ? { logStreamNames: options.taskIds.map((id) => `${ctx.names.container}/${ctx.names.container}/${id}`) } : {}),
      ...(nextToken ? { nextToken } : {}),
    }));
    lines.push(...(page.events ?? []).map(toLine));
    nextToken = page.nextToken;
  } while (nextToken);
  return lines.sort((a, b) => a.timestamp - b.timestamp);
}

/** "10m", "2h", "30s", "1d" in ms; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

/** Follows the log group: prints new events every few seconds until the signal aborts or `until` says stop. */
export async function followLogs(ctx: AppCtx, options: { startTime: number; taskIds?: string[]; until?: () => Promise<boolean> }, print: (l: LogLine) => void): Promise<void> {
  const seen = new Set<string>();
  let since = options.startTime;
  for (;;) {
    const stop = options.until ? await options.until() : false;
    for (const l of await readLogs(ctx, { startTime: since, ...(options.taskIds ? { taskIds: options.taskIds } : {}) })) {
      const key = `${l.timestamp}:${l.task}:${l.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      since = Math.max(since, l.timestamp);
      print(l);
    }
    if (stop || ctx.signal.aborted) return;
    await ctx.clock.sleep(2_000, ctx.signal);
  }
}
