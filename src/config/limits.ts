/**
 * Every name and identifier the tool generates, against the limit AWS documents for it. Many of these are
 * only in the API reference's text, not in the SDK models, so neither the SDK nor a local emulator refuses
 * them: real AWS does, minutes into a run. `names.ts` builds the names; this module is the one place that
 * knows what each must look like.
 */
export interface NameLimit {
  /** What the value names, for the error message. */
  what: string;
  max: number;
  /** The characters and shape allowed (length apart). */
  pattern: RegExp;
  /** The rule in words, as the documentation states it. */
  rule: string;
}

const RDS_IDENTIFIER = /^[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$/; // letter first, no "--", no trailing "-"
const ECS_NAME = /^[A-Za-z0-9_-]+$/;
const TOKEN = /^[\x21-\x7e]+$/; // printable ASCII 33-126

export const LIMITS = {
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
  elbName: {
    what: "load balancer / target group name", max: 32, pattern: /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/,
    rule: "at most 32 letters, digits and hyphens, not starting or ending with a hyphen",
  },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
  iamRoleName: {
    what: "IAM role name", max: 64, pattern: /^[\w+=,.@-]+$/,
    rule: "at most 64 letters, digits and +=,.@_-",
  },
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
  rdsInstanceId: {
    what: "RDS DB instance identifier", max: 63, pattern: RDS_IDENTIFIER,
    rule: "1-63 letters, digits or hyphens; a letter first; no two consecutive hyphens; no hyphen at the end",
  },
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html
  rdsFinalSnapshotId: {
    // The API reference allows 255 here (DeleteDBInstance FinalDBSnapshotIdentifier), with the instance id's shape.
    what: "RDS final snapshot identifier", max: 255, pattern: RDS_IDENTIFIER,
    rule: "1-255 letters, digits or hyphens; a letter first; no two consecutive hyphens; no hyphen at the end",
  },
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html
  rdsSubnetGroupName: {
    what: "DB subnet group name", max: 255, pattern: /^(?!default$)[A-Za-z0-9 ._-]+$/,
    rule: "at most 255 letters, digits, spaces, periods, underscores and hyphens; not \"default\"",
  },
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
  logGroupName: {
    what: "log group name", max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/,
    rule: "1-512 characters from a-z, A-Z, 0-9, '_', '-', '/', '.', '#'",
  },
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
  ecsName: {
    what: "ECS cluster, service, task family or container name", max: 255, pattern: ECS_NAME,
    rule: "at most 255 letters, digits, hyphens and underscores",
  },
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
  ecrRepositoryName: {
    what: "ECR repository name", max: 256, pattern: /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    rule: "2-256 lowercase letters, digits and . _ - / (each part starting and ending with a letter or digit)",
  },
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
  serviceClientToken: {
    what: "CreateService clientToken", max: 36, pattern: TOKEN,
    rule: "up to 36 ASCII characters in the range 33-126",
  },
  // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html
  ec2ClientToken: {
    what: "EC2 ClientToken (CreateRouteTable)", max: 64, pattern: TOKEN,
    rule: "up to 64 ASCII characters",
  },
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
  runTaskClientToken: {
    what: "RunTask clientToken", max: 64, pattern: TOKEN,
    rule: "up to 64 ASCII characters",
  },
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
  startedBy: {
    what: "RunTask startedBy", max: 128, pattern: /^[A-Za-z0-9_/-]+$/,
    rule: "up to 128 letters, digits, hyphens, forward slashes and underscores (no spaces)",
  },
  // A stack's tags go on every kind it makes, so they follow the strictest of them: the characters IAM, ELB,
  // RDS, Logs and ECS allow (EC2 allows any), 127/255 characters as the ELB and ACM guides state (their API
  // references say 128/256), no leading or trailing space (ELB), no "aws:" (all) or "rds:" (RDS) prefix, in
  // any case, on a key or a value.
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-tags.html, https://docs.aws.amazon.com/acm/latest/userguide/tags-restrictions.html
  tagKey: {
    what: "tag key", max: 127, pattern: /^(?!aws:|rds:)(?!\p{Z})[\p{L}\p{Z}\p{N}_.:/=+@-]+(?<!\p{Z})$/iu,
    rule: "1-127 Unicode letters, digits, spaces and _.:/=+-@; no space first or last; not starting with aws: or rds:",
  },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html, https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-tags.html, https://docs.aws.amazon.com/acm/latest/userguide/tags-restrictions.html
  tagValue: {
    what: "tag value", max: 255, pattern: /^(?!aws:|rds:)(?!\p{Z})[\p{L}\p{Z}\p{N}_.:/=+@-]*(?<!\p{Z})$/iu,
    rule: "0-255 Unicode letters, digits, spaces and _.:/=+-@; no space first or last; not starting with aws: or rds:",
  },
} satisfies Record<string, NameLimit>;

export type LimitKind = keyof typeof LIMITS;

/** Why `value` breaks its limit, or undefined when it fits. */
export function limitViolation(kind: LimitKind, value: string): string | undefined {
  const l: NameLimit = LIMITS[kind];
  const min = kind === "tagValue" ? 0 : kind === "ecrRepositoryName" ? 2 : 1;
  const length = [...value].length; // AWS counts Unicode characters, not UTF-16 units
  if (length >= min && length <= l.max && l.pattern.test(value)) return undefined;
  return `${l.what} "${value}" (${length} characters) breaks AWS's rule: ${l.rule}`;
}
