// A namespace import: the bundle then keeps only the parts of zod used (`{ z }` pulls in its 45 locales).
import * as z from "zod";
import { DB_INSTANCE_CLASSES, didYouMean, REGIONS } from "./catalog.js";
import { contains, overlaps, parseCidr } from "./cidr.js";
import { limitViolation } from "./limits.js";
import { isUserTagKey, MAX_USER_TAGS, nameViolations } from "./names.js";
import { scheduleViolations } from "./schedule.js";

// Each schema parses once or twice per run: zod's JIT (it compiles an object schema into a function on first
// use) costs more than it saves here, about 7% of `validate`'s start-up on Node 20 (npm run bench, startup).
z.config({ jitless: true });

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Fargate's valid memory (MiB) for each task cpu unit count. */
export function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) =>
    Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256: return [512, 1024, 2048];
    case 512: return range(1024, 4096, 1024);
    case 1024: return range(2048, 8192, 1024);
    case 2048: return range(4096, 16384, 1024);
    case 4096: return range(8192, 30720, 1024);
    case 8192: return range(16384, 61440, 4096);
    case 16384: return range(32768, 122880, 8192);
    default: return [];
  }
}

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: "must be an IPv4 CIDR with no host bits set, like 10.0.1.0/24",
});
const subnetPair = z.tuple([cidr, cidr]);

// Derived names must fit every AWS limit: `<app>-alb`/`<app>-tg` (ELB, 32 chars), `<app>-db` (RDS,
// no "--", no trailing "-"), `<app>-<region>-ecs-execution` (IAM, 64). 24 characters keeps all of them legal;
// 2 at least, as the ECR repository is named `<app>` and takes 2-256.
export const appNameSchema = z
  .string()
  .regex(/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,23}$/, {
    message: "must be 2-24 characters: lowercase letters, digits and single hyphens, starting with a letter",
  });

/** Adds each message as an issue of the value being checked. */
const report = (ctx: z.RefinementCtx, messages: string[]) => { for (const message of messages) ctx.addIssue({ code: "custom", message }); };

/** A value from a known list, or an error naming the nearest one. */
const oneOf = (what: string, options: readonly string[]) => z.string().superRefine((v, ctx) => {
  if (!options.includes(v)) ctx.addIssue({ code: "custom", message: `"${v}" is not ${what}${didYouMean(v, options)}` });
});

const region = oneOf("an AWS region", REGIONS);

/** S3 bucket naming rules (general purpose buckets): 3-63 characters, lowercase letters, digits, dots, hyphens. */
export const s3BucketName = z.string().regex(/^[a-z0-9](?:[a-z0-9.-]{1,61})[a-z0-9]$/, {
  message: "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
});

/** A DNS name ACM can certify: 2+ labels of letters, digits and inner hyphens, at most 253 characters (RFC 1035). */
const hostname = z.string().max(253).regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, {
  message: "must be a lowercase domain name like api.example.com (no scheme, no wildcard, no trailing dot)",
});

/** Environment variables the stack itself gives the app (task-definition.ts): app.environment and app.secrets may not set them. */
export const STACK_ENVIRONMENT = ["DATABASE_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"] as const;

/** Why `name` cannot be one of the app's own variables (checked in superRefine: zod reports a bad record key only as "Invalid key"). */
function envNameViolation(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(name)) return `${name} must be an environment variable name: letters, digits and _, not starting with a digit`;
  if ((STACK_ENVIRONMENT as readonly string[]).includes(name)) return `${name} is set by spontime-infra itself (${STACK_ENVIRONMENT.join(", ")}): app.debug, app.extraAllowedHosts and https change them`;
  return undefined;
}

/**
 * What ECS's `valueFrom` takes and the execution role is granted, by full ARN: a Secrets Manager secret (with its
 * 6-character suffix, optionally `:json-key:version-stage:version-id`) or an SSM parameter. ECS takes a bare
 * parameter name too, but the role's policy needs the ARN, whose account a plan made offline cannot know.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html
 */
const secretArn = z.string().regex(/^arn:aws(-[a-z]+)*:(ssm:[a-z0-9-]+:\d{12}:parameter\/\S+|secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:\s]+(:[^:\s]*){0,3})$/, {
  message: "must be the ARN of an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, from `aws ssm get-parameter --name NAME --query Parameter.ARN`) or of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, from `aws secretsmanager describe-secret --secret-id NAME --query ARN`)",
});

function subnetsInVpc(network: { vpcCidr: string; publicSubnets: string[]; privateSubnets: string[] }, ctx: z.RefinementCtx): void {
  const vpc = parseCidr(network.vpcCidr);
  if (!vpc) return;
  const subnets = [
    ...network.publicSubnets.map((c, i) => ({ c, path: ["publicSubnets", i] })),
    ...network.privateSubnets.map((c, i) => ({ c, path: ["privateSubnets", i] })),
  ];
  subnets.forEach(({ c, path }, i) => {
    const s = parseCidr(c);
    if (!s) return;
    if (!contains(vpc, s)) ctx.addIssue({ code: "custom", path, message: `${c} is not inside the VPC ${network.vpcCidr}` });
    for (const other of subnets.slice(i + 1)) {
      const o = parseCidr(other.c);
      if (o && overlaps(s, o)) ctx.addIssue({ code: "custom", path: other.path, message: `${other.c} overlaps ${c}` });
    }
  });
}

const nearest = (value: number, options: number[]) => options.reduce((a, b) => (Math.abs(b - value) < Math.abs(a - value) ? b : a));

function fargateTask(app: { cpu: number; memory: number; capacity: string; architecture: string }, ctx: z.RefinementCtx): void {
  const mem = fargateMemoryOptions(app.cpu);
  if (mem.length === 0) {
    const cpus = [256, 512, 1024, 2048, 4096, 8192, 16384];
    ctx.addIssue({ code: "custom", path: ["cpu"], message: `Fargate cpu must be one of ${cpus.join(", ")}, not ${app.cpu}: did you mean ${nearest(app.cpu, cpus)}?` });
  } else if (!mem.includes(app.memory)) {
    const options = mem.length > 4 ? `${mem[0]}-${mem.at(-1)} in steps of ${mem[1]! - mem[0]!}` : mem.join(", ");
    ctx.addIssue({ code: "custom", path: ["memory"], message: `Fargate cpu ${app.cpu} takes memory ${options}, not ${app.memory}: did you mean ${nearest(app.memory, mem)}?` });
  }
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
  if (app.capacity === "FARGATE_SPOT" && app.architecture !== "X86_64") {
    ctx.addIssue({ code: "custom", path: ["capacity"], message: "Fargate Spot runs only X86_64 tasks: set app.architecture to X86_64, or app.capacity to FARGATE" });
  }
}

/** The app's own variables: names a container takes and the stack does not set itself, each given in one place. */
function appEnvironment(app: { environment: Record<string, string>; secrets: Record<string, string> }, ctx: z.RefinementCtx): void {
  for (const field of ["environment", "secrets"] as const) {
    for (const name of Object.keys(app[field])) {
      const message = envNameViolation(name);
      if (message) ctx.addIssue({ code: "custom", path: [field, name], message });
    }
  }
  for (const name of Object.keys(app.secrets).filter((n) => n in app.environment)) {
    ctx.addIssue({ code: "custom", path: ["secrets", name], message: `${name} is in app.environment too: give it in one place` });
  }
}

export const SpecSchema = z
  .object({
    $schema: z.string().optional(),
    appName: appNameSchema.default("spontime-poc"),
    region: region.default("us-east-1"),
    profile: z.string().min(1).optional(),
    availabilityZones: z.tuple([z.string(), z.string()])
      .superRefine(([a, b], ctx) => report(ctx, a === b ? ["the ALB and the DB subnet group need two different AZs"] : [])).optional()
      .describe("Two AZs (the first is where the task and the DB run). Default: the region's first two."),
    network: z.object({
      vpcCidr: cidr.default("10.0.0.0/16"),
      publicSubnets: subnetPair.default(["10.0.1.0/24", "10.0.2.0/24"]),
      privateSubnets: subnetPair.default(["10.0.10.0/24", "10.0.11.0/24"]),
    }).strict().superRefine(subnetsInVpc).prefault({}),
    app: z.object({
      containerPort: z.number().int().min(1).max(65535).default(8000),
      healthPath: z.string().regex(/^\/\S*$/, { message: "must start with /" }).default("/health"),
      cpu: z.number().int().default(256),
      memory: z.number().int().default(512),
      architecture: z.enum(["X86_64", "ARM64"]).default("X86_64"),
      capacity: z.enum(["FARGATE", "FARGATE_SPOT"]).default("FARGATE")
        .describe("FARGATE_SPOT: spare capacity at a discount (up to 70%), a task can be interrupted with a 2-minute warning; X86_64 only"),
      desiredCount: z.number().int().min(0).max(10).default(1),
      debug: z.boolean().default(true),
      extraAllowedHosts: z.array(z.string().min(1)).default([]),
      environment: z.record(z.string(), z.string().max(32768)).default({})
        .describe("The app's own plain environment variables (shown in plans and state): not for secrets, see app.secrets"),
      secrets: z.record(z.string(), secretArn).default({})
        .describe("Environment variables read by ECS from SSM Parameter Store or Secrets Manager when a task starts, by ARN: the values never reach the state file, a plan or any output"),
      // Long enough for the app to boot and answer its first checks, no longer: a grace period ECS spends
      // ignoring failed checks only delays replacing a task that will never be healthy.
      healthCheckGracePeriodSeconds: z.number().int().min(0).max(2147483647).default(60),
      // The target group's health check. AWS's defaults (5 healthy checks, 300 s deregistration) make a
      // one-task deploy take 8-9 minutes: 5 × 30 s before the new task gets traffic, 300 s before the old stops.
      healthCheck: z.object({
        intervalSeconds: z.number().int().min(5).max(300).default(30),
        timeoutSeconds: z.number().int().min(2).max(120).default(5),
        healthyThreshold: z.number().int().min(2).max(10).default(2).describe("passes in a row before a task gets traffic (AWS's minimum 2, default 5)"),
        unhealthyThreshold: z.number().int().min(2).max(10).default(2).describe("failures in a row before a task is replaced"),
      }).strict().superRefine((hc, ctx) => {
        if (hc.timeoutSeconds >= hc.intervalSeconds) {
          ctx.addIssue({ code: "custom", path: ["timeoutSeconds"], message: `must be shorter than intervalSeconds (${hc.intervalSeconds}), as ELB requires` });
        }
      }).prefault({}),
      deregistrationDelaySeconds: z.number().int().min(0).max(3600).default(30)
        .describe("how long the old task keeps its connections during a deploy (AWS's default 300)"),
      containerHealthCheck: z.boolean().default(false)
        .describe("Adds a container healthCheck running curl inside the image; off because slim images lack curl."),
    }).strict().superRefine(fargateTask).superRefine(appEnvironment).prefault({}),
    database: z.object({
      engineVersion: z.string().regex(/^15(\.\d+)?$/, { message: "must be 15 or a pinned 15.x minor like 15.8" }).default("15"),
      instanceClass: oneOf("a DB instance class RDS for PostgreSQL runs", DB_INSTANCE_CLASSES).default("db.t4g.micro"),
      storageType: z.enum(["gp2", "gp3"]).default("gp2"),
      allocatedStorage: z.number().int().min(20).max(6144).default(20),
      backupRetentionDays: z.number().int().min(0).max(35).default(1),
      name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/).default("spontime"),
      username: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/).default("spontime"),
    }).strict().prefault({}),
    logs: z.object({
      retentionDays: z.number().int().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(", ")}`,
      }).default(7),
    }).strict().prefault({}),
    ecr: z.object({
      keepImages: z.number().int().min(1).max(1000).default(5),
    }).strict().prefault({}),
    state: z.discriminatedUnion("backend", [
      z.object({ backend: z.literal("local") }).strict(),
      z.object({
        backend: z.literal("s3"),
        bucket: s3BucketName,
        key: z.string().min(1).max(1024).optional().describe("Default: spontime-infra/<appName>.json"),
        region: region.optional().describe("The bucket's region. Default: the stack's region."),
      }).strict(),
    ]).optional().describe("Where the state file lives: local (default, --state-dir) or an S3 bucket shared by a team."),
    schedule: z.object({
      awake: z.union([z.string(), z.array(z.string()).min(1)]).describe('When the stack is awake, e.g. "Mon-Fri 08:00-20:00" or ["Mon-Fri 08:00-20:00", "Sat 09:00-12:00"]'),
      timezone: z.string({ error: (issue) => (issue.input === undefined ? "missing: the IANA time zone the windows are in, e.g. Europe/Paris" : undefined) }).describe("The IANA time zone of the windows, e.g. Europe/Paris (daylight saving time followed)"),
    }).strict().superRefine((schedule, ctx) => report(ctx, scheduleViolations(schedule))).optional().describe("Sleeps and wakes the stack by itself (EventBridge Scheduler): no schedule, no automatic sleep."),
    // "The first domain name you enter cannot exceed 64 octets, including periods" (RequestCertificate's
    // DomainName, https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
    https: z.object({ domain: hostname.max(64, { message: "ACM takes at most 64 characters (periods included) as a certificate's domain name: use a shorter name" }) }).strict().optional()
      .describe("HTTPS at your own domain: an ACM certificate (free), a 443 listener, HTTP redirected. Default: plain HTTP at the ALB's name."),
    tags: z.record(z.string(), z.string()).superRefine((tags, ctx) => report(ctx, userTagViolations(tags))).default({})
      .describe(`Your tags, on every resource (at most ${MAX_USER_TAGS}: AWS allows 50 per resource and the tool uses up to 6)`),
  })
  .strict()
  // What needs two sections (names: app and region; AZs and region; tags and schedule); each section checks itself, so every error shows at once.
  .superRefine((spec, ctx) => {
    // An appName the schema refused is said once, by its own rule, not again by each name made from it. No valid
    // appName in any region makes a name past its limit (test/limits.test.ts: the longest of each), so the issue
    // below is never added today: it stops a future rule or region from sending AWS a name it refuses.
    // Stryker disable next-line ConditionalExpression,ObjectLiteral,StringLiteral,ArrayDeclaration: unreachable with today's rules, as said
    if (appNameSchema.safeParse(spec.appName).success) for (const message of nameViolations(spec)) ctx.addIssue({ code: "custom", path: ["appName"], message });
    // An AZ's name is its region's plus a letter (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html):
    // another region's AZ, or a typo, is caught here; `up` also asks EC2 which ones exist (src/stack/azs.ts).
    for (const [i, zone] of (spec.availabilityZones ?? []).entries()) {
      if (!new RegExp(`^${spec.region}[a-z]$`).test(zone)) ctx.addIssue({ code: "custom", path: ["availabilityZones", i], message: `"${zone}" is not an AZ of region ${spec.region} (AZ names are the region's and a letter, like ${spec.region}a)` });
    }
    // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Tag.html: Value, minimum length 1
    for (const [k, v] of Object.entries(spec.schedule ? spec.tags : {})) {
      if (v === "") ctx.addIssue({ code: "custom", path: ["tags", k], message: "an empty value, which EventBridge Scheduler refuses on the schedule group: give it a value" });
    }
  });

export type Spec = z.output<typeof SpecSchema>;


/** Why AWS would refuse the user's tags on some resource of the stack; empty when every kind takes them. */
function userTagViolations(tags: Record<string, string>): string[] {
  const entries = Object.entries(tags);
  return [
    ...(entries.length > MAX_USER_TAGS ? [`${entries.length} tags: at most ${MAX_USER_TAGS} (AWS allows 50 per resource; the tool sets up to 6 of its own)`] : []),
    ...entries.flatMap(([k, v]) => [
      ...(isUserTagKey(k) ? [] : [`tag key "${k}" is the tool's own (it sets Name, ManagedBy and spontime:* on every resource): pick another key`]),
      limitViolation("tagKey", k) ?? [],
      limitViolation("tagValue", v) ?? [],
    ].flat()),
  ];
}
