/** CloudWatch Logs: group names unique, the retention periods PutRetentionPolicy accepts, events as tasks wrote them. */
import * as LOGS from "@aws-sdk/client-cloudwatch-logs";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, TAG_RULES, type Service, type Tags } from "./common.js";

export interface LogEvent { logStreamName: string; timestamp: number; message: string }
export interface LogGroup { name: string; arn: string; retention?: number; tags: Tags; events: LogEvent[] }
export interface LogsState { groups: Map<string, LogGroup> }

export const emptyLogs = (): LogsState => ({ groups: new Map() });

/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function logsService(fake: FakeAws): Service<typeof LOGS> {
  const groups = () => fake.logs.groups;
  const get = (name: string | undefined) => {
    const g = groups().get(name ?? "");
    if (!g) throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
    return g;
  };
  const byArn = (arn: string | undefined) => {
    const g = [...groups().values()].find((x) => x.arn === arn);
    if (!g) throw awsError("ResourceNotFoundException", `The specified log group does not exist: ${arn}`);
    return g;
  };
  return {
    client: LOGS.CloudWatchLogsClient,
    sdk: LOGS,
    reads: {
      DescribeLogGroups: (i) => ({ logGroups: [...groups().values()].filter((g) => g.name.startsWith(i.logGroupNamePrefix ?? "")).map((g) => ({ logGroupName: g.name, arn: `${g.arn}:*`, retentionInDays: g.retention })) }),
      ListTagsForResource: (i) => ({ tags: [...groups().values()].find((g) => g.arn === i.resourceArn)?.tags ?? {} }),
      // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html: names and a
      // prefix together are refused; a named stream that does not exist (awslogs creates a task's stream only
      // when its container starts) fails the whole request.
      FilterLogEvents: (i) => {
        const written = get(i.logGroupName).events.filter((e) => e.timestamp <= fake.clock.now());
        if (i.logStreamNames && i.logStreamNamePrefix) throw awsError("InvalidParameterException", "You cannot specify both LogStreamNames and LogStreamNamePrefix");
        for (const name of i.logStreamNames ?? []) if (!written.some((e) => e.logStreamName === name)) throw awsError("ResourceNotFoundException", "The specified log stream does not exist.");
        const events = written
          .filter((e) => (i.startTime === undefined || e.timestamp >= i.startTime) && (!i.logStreamNames || i.logStreamNames.includes(e.logStreamName)) && e.logStreamName.startsWith(i.logStreamNamePrefix ?? ""))
          .sort((a, b) => a.timestamp - b.timestamp);
        return { events: events.map((e, n) => ({ ...e, eventId: String(n) })) };
      },
    },
    writes: {
      // The newer tagging API by ARN (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TagResource.html).
      TagResource: (i) => { const g = byArn(i.resourceArn); Object.assign(g.tags, checkTags(TAG_RULES.logs, g.tags, i.tags ?? {})); },
      UntagResource: (i) => { const g = byArn(i.resourceArn); for (const k of i.tagKeys ?? []) delete g.tags[k]; },
      CreateLogGroup: (i) => {
        const name = i.logGroupName!;
        if (groups().has(name)) throw awsError("ResourceAlreadyExistsException", "The specified log group already exists");
        groups().set(name, { name, arn: fake.arn("logs", `log-group:${name}`), tags: { ...checkTags(TAG_RULES.logs, {}, i.tags ?? {}) }, events: [] });
      },
      PutRetentionPolicy: (i) => {
        const g = get(i.logGroupName);
        if (!RETENTION_DAYS.includes(i.retentionInDays!)) throw awsError("InvalidParameterException", "1 validation error detected: retentionInDays");
        g.retention = i.retentionInDays;
      },
      DeleteLogGroup: (i) => {
        if (!groups().delete(i.logGroupName!)) throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
      },
    },
  };
}
