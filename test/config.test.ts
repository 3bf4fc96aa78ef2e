/**
 * The spec and everything derived from it (src/config), called directly: what a user's spec is refused for and
 * what the error says, the defaults, the names and tags the tool derives. Fast: no harness, no fake AWS.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { specJsonSchema } from "../src/cli/local-commands.js";
import { DB_INSTANCE_CLASSES, didYouMean, REGIONS } from "../src/config/catalog.js";
import { contains, overlaps, parseCidr } from "../src/config/cidr.js";
import { parseDuration, WAIT_DEFAULTS } from "../src/config/defaults.js";
import { DEFAULT_CONFIG, findConfig } from "../src/config/find.js";
import { limitViolation } from "../src/config/limits.js";
import { loadSpec, stackRegion } from "../src/config/load.js";
import {
  appUrl, awaitingFirstDeploy, generatedNames, isUserTagKey, MAX_USER_TAGS, nameViolations, names, partitionOf, recordedUserKey,
  MANAGED_BY, stackTags, TAG_ASLEEP, TAG_CREATED_BY, TAG_MANAGED_BY, TAG_PASSWORD_HASH, TAG_REGION, TAG_RESOURCE, TAG_STACK, TAG_USER_KEYS,
  withUserKeys,
} from "../src/config/names.js";
import { fargateMemoryOptions, SpecSchema } from "../src/config/schema.js";
import { specWarnings, warningLines } from "../src/config/warnings.js";
import { UserError } from "../src/errors.js";

/** Each problem the schema finds in `value`, as "path: message"; empty when the spec is valid. */
const issues = (value: unknown): string[] => {
  const r = SpecSchema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

const dir = mkdtempSync(join(tmpdir(), "spontime-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A spec file with this text (JSON when not a string). */
const specFile = (content: unknown): string => {
  const file = join(dir, `spec-${++files}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
};

/** The UserError `fn` throws, as "message | hint". */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return `${e.message} | ${e.hint}`;
  }
  assert.fail("accepted");
}

describe("an empty spec is the seed design's stack", () => {
  it("every default, as `init` writes them", () => {
    assert.deepEqual(SpecSchema.parse({}), {
      appName: "spontime-poc", region: "us-east-1",
      network: { vpcCidr: "10.0.0.0/16", publicSubnets: ["10.0.1.0/24", "10.0.2.0/24"], privateSubnets: ["10.0.10.0/24", "10.0.11.0/24"] },
      app: {
        containerPort: 8000, healthPath: "/health", cpu: 256, memory: 512, architecture: "X86_64", capacity: "FARGATE", desiredCount: 1,
        debug: true, extraAllowedHosts: [], environment: {}, secrets: {}, healthCheckGracePeriodSeconds: 60,
        healthCheck: { intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 2 },
        deregistrationDelaySeconds: 30, containerHealthCheck: false,
      },
      database: { engineVersion: "15", instanceClass: "db.t4g.micro", storageType: "gp2", allocatedStorage: 20, backupRetentionDays: 1, name: "spontime", username: "spontime" },
      logs: { retentionDays: 7 }, ecr: { keepImages: 5 }, tags: {},
    });
  });

  it("the committed spontime.schema.json is the schema the code validates with", () => {
    const committed = new URL("../../spontime.schema.json", import.meta.url);
    assert.ok(existsSync(committed));
    assert.deepEqual(JSON.parse(readFileSync(committed, "utf8")), specJsonSchema(), "run `spontime-infra schema > spontime.schema.json`");
  });
});

describe("the spec's fields, refused with the reason", () => {
  it("appName: 2-24 lowercase letters, digits and single hyphens, a letter first", () => {
    for (const ok of ["ab", "shop-2", "a".repeat(24)]) assert.deepEqual(issues({ appName: ok }), [], ok);
    for (const bad of ["a".repeat(25), "Shop", "2shop", "a--b", "shop-", "-shop", "sh_op", "", "a"]) {
      assert.match(issues({ appName: bad }).join(), /^appName: must be 2-24 characters: lowercase letters, digits and single hyphens, starting with a letter/, bad);
    }
  });

  it("region: a region AWS has, with the nearest one for a typo", () => {
    assert.deepEqual(issues({ region: "eu-west-3" }), []);
    assert.deepEqual(issues({ region: "us-est-1" }), ['region: "us-est-1" is not an AWS region: did you mean "us-east-1"?']);
    assert.deepEqual(issues({ region: "mars" }), ['region: "mars" is not an AWS region']);
  });

  it("every region and DB instance class in the catalogue is well formed, once", () => {
    for (const r of REGIONS) assert.match(r, /^[a-z]{2}(-gov)?-[a-z]+-\d$/);
    assert.equal(new Set(REGIONS).size, REGIONS.length);
    for (const c of DB_INSTANCE_CLASSES) assert.match(c, /^db\.[a-z0-9]+\.(micro|small|medium|large|\d*xlarge)$/);
    assert.equal(new Set(DB_INSTANCE_CLASSES).size, DB_INSTANCE_CLASSES.length);
  });

  it("database.instanceClass: each generation's sizes as RDS lists them, the nearest one for a typo", () => {
    for (const ok of ["db.t3.micro", "db.t4g.2xlarge", "db.m6g.16xlarge", "db.m5.24xlarge", "db.m6i.32xlarge", "db.m7i.48xlarge", "db.r8g.48xlarge", "db.x2g.large"]) {
      assert.deepEqual(issues({ database: { instanceClass: ok } }), [], ok);
    }
    for (const bad of ["db.t3.large2", "db.m6g.24xlarge", "db.m5.32xlarge", "db.t4g.4xlarge", "db.m7i.32xlarge", "db.r6g.micro"]) {
      assert.match(issues({ database: { instanceClass: bad } }).join(), /^database\.instanceClass: ".*" is not a DB instance class RDS for PostgreSQL runs/, bad);
    }
    assert.deepEqual(issues({ database: { instanceClass: "db.t4g.mirco" } }), ['database.instanceClass: "db.t4g.mirco" is not a DB instance class RDS for PostgreSQL runs: did you mean "db.t4g.micro"?']);
  });

  it("database: engine 15 (or a 15.x minor), names and usernames PostgreSQL takes", () => {
    for (const ok of ["15", "15.8", "15.12"]) assert.deepEqual(issues({ database: { engineVersion: ok } }), [], ok);
    for (const bad of ["16", "15.", "15.x", "115", "15.8.1"]) assert.match(issues({ database: { engineVersion: bad } }).join(), /must be 15 or a pinned 15\.x minor like 15\.8/, bad);
    assert.deepEqual(issues({ database: { name: "a".repeat(63), username: "u".repeat(16) } }), []);
    for (const database of [{ name: "a".repeat(64) }, { name: "1db" }, { name: "Db" }, { username: "u".repeat(17) }, { username: "_u" }]) {
      assert.equal(issues({ database }).length, 1, JSON.stringify(database));
    }
  });

  it("network: CIDRs with no host bits set, subnets inside the VPC and apart from each other", () => {
    const network = (n: object) => issues({ network: n });
    assert.deepEqual(network({ vpcCidr: "10.0.0.0/22", publicSubnets: ["10.0.0.0/24", "10.0.1.0/24"], privateSubnets: ["10.0.2.0/24", "10.0.3.0/24"] }), []);
    assert.deepEqual(network({ vpcCidr: "10.0.1.5/16" }), ["network.vpcCidr: must be an IPv4 CIDR with no host bits set, like 10.0.1.0/24"]);
    assert.deepEqual(network({ publicSubnets: ["10.0.1.0/24", "10.1.2.0/24"] }), ["network.publicSubnets.1: 10.1.2.0/24 is not inside the VPC 10.0.0.0/16"]);
    assert.deepEqual(network({ privateSubnets: ["10.0.10.0/24", "10.0.10.128/25"] }), ["network.privateSubnets.1: 10.0.10.128/25 overlaps 10.0.10.0/24"]);
    // A private subnet over a public one: the later in the list is named, once.
    assert.deepEqual(network({ privateSubnets: ["10.0.0.0/23", "10.0.11.0/24"] }), ["network.privateSubnets.0: 10.0.0.0/23 overlaps 10.0.1.0/24"]);
    assert.deepEqual(network({ privateSubnets: ["10.0.0.0/23", "10.0.2.0/24"] }), [
      "network.privateSubnets.0: 10.0.0.0/23 overlaps 10.0.1.0/24", "network.privateSubnets.1: 10.0.2.0/24 overlaps 10.0.2.0/24",
    ]);
    // A CIDR that does not parse is reported as such, and not compared.
    assert.deepEqual(network({ vpcCidr: "10.0.0.0/33" }), ["network.vpcCidr: must be an IPv4 CIDR with no host bits set, like 10.0.1.0/24"]);
    assert.deepEqual(network({ publicSubnets: ["10.0.1.0/24", "10.0.2.1/24"] }), ["network.publicSubnets.1: must be an IPv4 CIDR with no host bits set, like 10.0.1.0/24"]);
    assert.deepEqual(network({ publicSubnets: ["10.0.1.0/24"] }).length, 1, "two subnets of each kind");
    assert.match(network({ extra: 1 }).join(), /extra/);
  });

  it("app: a port, a health path, Fargate's cpu and memory pairs with the nearest valid value", () => {
    const app = (a: object) => issues({ app: a });
    for (const port of [0, 65536, 80.5]) assert.equal(app({ containerPort: port }).length, 1, String(port));
    assert.deepEqual(app({ containerPort: 65535, healthPath: "/" }), []);
    for (const path of ["health", "/a b", ""]) assert.deepEqual(app({ healthPath: path }), ["app.healthPath: must start with /"], path);
    assert.deepEqual(app({ cpu: 300 }), ["app.cpu: Fargate cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, not 300: did you mean 256?"]);
    assert.deepEqual(app({ cpu: 3000, memory: 8192 }), ["app.cpu: Fargate cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, not 3000: did you mean 2048?"]);
    assert.deepEqual(app({ cpu: 100000, memory: 8192 }), ["app.cpu: Fargate cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, not 100000: did you mean 16384?"]);
    assert.deepEqual(app({ memory: 4096 }), ["app.memory: Fargate cpu 256 takes memory 512, 1024, 2048, not 4096: did you mean 2048?"]);
    assert.deepEqual(app({ cpu: 512, memory: 512 }), ["app.memory: Fargate cpu 512 takes memory 1024, 2048, 3072, 4096, not 512: did you mean 1024?"]);
    assert.deepEqual(app({ cpu: 1024, memory: 3000 }), ["app.memory: Fargate cpu 1024 takes memory 2048-8192 in steps of 1024, not 3000: did you mean 3072?"]);
    assert.deepEqual(app({ cpu: 8192, memory: 8192 }), ["app.memory: Fargate cpu 8192 takes memory 16384-61440 in steps of 4096, not 8192: did you mean 16384?"]);
    assert.deepEqual(app({ cpu: 4096, memory: 30720, architecture: "ARM64" }), []);
    // Halfway between two values, the smaller is named.
    assert.match(app({ cpu: 384 }).join(), /not 384: did you mean 256\?/);
    assert.match(app({ memory: 768 }).join(), /not 768: did you mean 512\?/);
  });

  it("Fargate's memory for each cpu, as the task-size table lists it", () => {
    const table = (cpu: number) => { const m = fargateMemoryOptions(cpu); return [m[0], m.at(-1), m.length]; };
    assert.deepEqual(fargateMemoryOptions(256), [512, 1024, 2048]);
    assert.deepEqual(fargateMemoryOptions(512), [1024, 2048, 3072, 4096]);
    assert.deepEqual(table(1024), [2048, 8192, 7]);
    assert.deepEqual(table(2048), [4096, 16384, 13]);
    assert.deepEqual(table(4096), [8192, 30720, 23]);
    assert.deepEqual(table(8192), [16384, 61440, 12]);
    assert.deepEqual(table(16384), [32768, 122880, 12]);
    assert.deepEqual(fargateMemoryOptions(128), []);
  });

  it("Fargate Spot only for X86_64 tasks", () => {
    const msg = "app.capacity: Fargate Spot runs only X86_64 tasks: set app.architecture to X86_64, or app.capacity to FARGATE";
    assert.deepEqual(issues({ app: { capacity: "FARGATE_SPOT", architecture: "ARM64" } }), [msg]);
    assert.deepEqual(issues({ app: { capacity: "FARGATE_SPOT" } }), []);
    assert.deepEqual(issues({ app: { architecture: "ARM64" } }), []);
  });

  it("app.environment and app.secrets: variable names, none the stack sets, each in one place, secrets by ARN", () => {
    const arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key";
    assert.deepEqual(issues({ app: { environment: { _MODE: "x", Q: "", ["A".repeat(255)]: "" }, secrets: { API_KEY: arn } } }), []);
    const notAName = (name: string) => `app.environment.${name}: ${name} must be an environment variable name: letters, digits and _, not starting with a digit`;
    assert.deepEqual(issues({ app: { environment: { "1X": "a", ["A".repeat(256)]: "", "MY-VAR": "" } } }), ["1X", "A".repeat(256), "MY-VAR"].map(notAName));
    assert.deepEqual(issues({ app: { secrets: { SECRET_KEY: arn } } }), [
      "app.secrets.SECRET_KEY: SECRET_KEY is set by spontime-infra itself (DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS): app.debug, app.extraAllowedHosts and https change them",
    ]);
    for (const name of ["DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"]) assert.match(issues({ app: { environment: { [name]: "x" } } }).join(), /is set by spontime-infra itself/);
    assert.deepEqual(issues({ app: { environment: { API_KEY: "plain" }, secrets: { API_KEY: arn } } }), ["app.secrets.API_KEY: API_KEY is in app.environment too: give it in one place"]);
    assert.equal(issues({ app: { environment: { BIG: "x".repeat(32769) } } }).length, 1);
  });

  it("a secret is the ARN of an SSM parameter or a Secrets Manager secret, in any partition", () => {
    const secret = (arn: string) => issues({ app: { secrets: { S: arn } } });
    for (const ok of [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key",
      "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/key",
      "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbC123",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123:password::",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123:password:AWSCURRENT:id",
    ]) assert.deepEqual(secret(ok), [], ok);
    for (const bad of [
      "shop/key", "arn:aws:ssm:eu-west-1:1234:parameter/key", "arn:aws:ssm:eu-west-1:123456789012:parameter/", "arn:aws:ssm:eu-west-1:123456789012:parameter/a b",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db:a:b:c:d", "arn:aws:s3:::bucket", "xarn:aws:ssm:eu-west-1:123456789012:parameter/k",
      "arn:aws:ssm:eu-west-1:123456789012:parameter/k\n",
    ]) assert.match(secret(bad).join(), /^app\.secrets\.S: must be the ARN of an SSM parameter \(arn:aws:ssm:REGION:ACCOUNT:parameter\/NAME, from `aws ssm get-parameter/, bad);
  });

  it("app.healthCheck: a timeout shorter than the interval, as ELB requires", () => {
    assert.deepEqual(issues({ app: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 9 } } }), []);
    assert.deepEqual(issues({ app: { healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } } }), ["app.healthCheck.timeoutSeconds: must be shorter than intervalSeconds (10), as ELB requires"]);
  });

  it("logs.retentionDays: one of CloudWatch's values", () => {
    assert.deepEqual(issues({ logs: { retentionDays: 3653 } }), []);
    assert.match(issues({ logs: { retentionDays: 10 } }).join(), /^logs\.retentionDays: must be one of CloudWatch's values: 1, 3, 5, 7, 14, 30, .*, 3653$/);
  });

  it("availabilityZones: two different AZs of the spec's region", () => {
    assert.deepEqual(issues({ region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1c"] }), []);
    assert.deepEqual(issues({ availabilityZones: ["us-east-1a", "us-east-1a"] }), ["availabilityZones: the ALB and the DB subnet group need two different AZs"]);
    assert.deepEqual(issues({ region: "eu-west-1", availabilityZones: ["eu-west-1a", "us-east-1b"] }), [
      'availabilityZones.1: "us-east-1b" is not an AZ of region eu-west-1 (AZ names are the region\'s and a letter, like eu-west-1a)',
    ]);
    for (const zone of ["us-east-1", "us-east-1ab", "xus-east-1a", "us-east-1A"]) {
      assert.match(issues({ availabilityZones: [zone, "us-east-1b"] }).join(), /availabilityZones\.0: .* is not an AZ of region us-east-1/, zone);
    }
  });

  it("state: local, or an S3 bucket by its naming rules", () => {
    assert.deepEqual(issues({ state: { backend: "local" } }), []);
    assert.deepEqual(issues({ state: { backend: "s3", bucket: "abc", key: "k", region: "eu-west-1" } }), []);
    assert.deepEqual(issues({ state: { backend: "s3", bucket: "a".repeat(63) } }), []);
    for (const bucket of ["ab", "a".repeat(64), "-abc", "abc-", "Abc", "a_bc"]) {
      assert.deepEqual(issues({ state: { backend: "s3", bucket } }), ["state.bucket: must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"], bucket);
    }
    assert.match(issues({ state: { backend: "s3", bucket: "abc", region: "eu-wst-1" } }).join(), /state\.region: "eu-wst-1" is not an AWS region: did you mean "eu-west-1"\?/);
  });

  it("https.domain: a lowercase name ACM certifies, at most 64 characters", () => {
    for (const ok of ["api.example.com", "a.io", "x-1.example.co.uk", `${"a".repeat(61)}.io`]) assert.deepEqual(issues({ https: { domain: ok } }), [], ok);
    for (const bad of ["example", "Api.example.com", "*.example.com", "example.com.", "https://example.com", "-a.example.com", "a-.example.com", "api.example.1com"]) {
      assert.deepEqual(issues({ https: { domain: bad } }), ["https.domain: must be a lowercase domain name like api.example.com (no scheme, no wildcard, no trailing dot)"], bad);
    }
    assert.deepEqual(issues({ https: { domain: `${"a".repeat(30)}.${"b".repeat(30)}.com` } }), ["https.domain: ACM takes at most 64 characters (periods included) as a certificate's domain name: use a shorter name"]);
  });

  it("tags: at most 44 of the user's, none of the tool's keys, each within every kind's limits", () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    assert.equal(MAX_USER_TAGS, 44);
    assert.deepEqual(issues({ tags: many(44) }), []);
    assert.deepEqual(issues({ tags: many(45) }), ["tags: 45 tags: at most 44 (AWS allows 50 per resource; the tool sets up to 6 of its own)"]);
    assert.deepEqual(issues({ tags: { Name: "x" } }), ['tags: tag key "Name" is the tool\'s own (it sets Name, ManagedBy and spontime:* on every resource): pick another key']);
    assert.match(issues({ tags: { "spontime:team": "x" } }).join(), /tag key "spontime:team" is the tool's own/);
    assert.deepEqual(issues({ tags: { team: "a;b" } }), ['tags: tag value "a;b" (3 characters) breaks AWS\'s rule: 0-255 Unicode letters, digits, spaces and _.:/=+-@; no space first or last; not starting with aws: or rds:']);
    assert.match(issues({ tags: { "aws:x": "v" } }).join(), /^tags: tag key "aws:x" \(5 characters\) breaks AWS's rule/);
  });

  it("an empty tag value only without a schedule: EventBridge Scheduler refuses one on the schedule group", () => {
    const schedule = { awake: "Mon-Fri 08:00-20:00", timezone: "UTC" };
    assert.deepEqual(issues({ tags: { team: "" } }), []);
    assert.deepEqual(issues({ tags: { team: "", env: "dev" }, schedule }), ["tags.team: an empty value, which EventBridge Scheduler refuses on the schedule group: give it a value"]);
  });

  it("schedule: a timezone is required and named as such", () => {
    assert.deepEqual(issues({ schedule: { awake: "Mon 08:00-20:00" } }), ["schedule.timezone: missing: the IANA time zone the windows are in, e.g. Europe/Paris"]);
    assert.match(issues({ schedule: { awake: "Mon 08:00-20:00", timezone: 3 } }).join(), /^schedule\.timezone: (?!missing)/);
    assert.deepEqual(issues({ schedule: { awake: [], timezone: "UTC" } }), ["schedule.awake: Too small: expected array to have >=1 items"], "at least one window, and no word of a week without sleep");
  });

  it("names that would break an AWS limit are refused with the rule", () => {
    assert.deepEqual(nameViolations({ appName: "shop", region: "ap-southeast-1" }), []);
    const long = nameViolations({ appName: "a".repeat(40), region: "ap-southeast-1" });
    assert.match(long.join("\n"), /load balancer \/ target group name "a{40}-alb" \(44 characters\) breaks AWS's rule: at most 32/);
    assert.match(long.join("\n"), /IAM role name "a{40}-ap-southeast-1-ecs-execution"/);
  });
});

describe("loading the spec file", () => {
  const env = {};

  it("no file: the defaults, in the region --region or the environment gives", () => {
    assert.deepEqual(loadSpec(undefined, {}, env), SpecSchema.parse({}));
    assert.equal(loadSpec(undefined, { region: "eu-west-1" }, env).region, "eu-west-1");
    assert.equal(loadSpec(undefined, {}, { AWS_REGION: "eu-west-2" }).region, "eu-west-2");
    assert.equal(loadSpec(specFile({ appName: "shop" }), {}, { AWS_REGION: "eu-west-2" }).region, "eu-west-2", "a file naming no region is the same");
    assert.equal(loadSpec(specFile({ region: "eu-west-1" }), {}, {}).region, "eu-west-1");
  });

  it("a file: its values; a profile from --profile, else AWS_PROFILE, else the spec's", () => {
    const file = specFile({ appName: "shop", profile: "mine" });
    assert.equal(loadSpec(file, {}, env).appName, "shop");
    assert.equal(loadSpec(file, {}, env).profile, "mine");
    assert.equal(loadSpec(file, {}, { AWS_PROFILE: "envs" }).profile, "envs");
    assert.equal(loadSpec(file, { profile: "flag" }, { AWS_PROFILE: "envs" }).profile, "flag");
    assert.equal(loadSpec(file, {}, { AWS_PROFILE: "" }).profile, "mine");
    assert.equal(loadSpec(specFile({}), {}, env).profile, undefined);
  });

  it("a missing file, a directory, bad JSON: one line saying which and what to do", () => {
    const missing = join(dir, "none.json");
    assert.equal(refusal(() => loadSpec(missing, {}, env)), `${missing}: no such file | run \`spontime-infra init\` to write one, or drop --config to use the defaults`);
    assert.equal(refusal(() => loadSpec(dir, {}, env)), `${dir} is a directory, not a spec file | pass the spec's JSON file with --config (spontime.config.json)`);
    const bad = specFile("{ appName: 1 ");
    assert.match(refusal(() => loadSpec(bad, {}, env)), new RegExp(`^${bad}: not valid JSON \\(.+\\) \\| fix the syntax, or run \`spontime-infra init\` for a fresh file$`));
  });

  it("a file this user may not read, and one the system cannot read: said as such", { skip: process.platform !== "linux" }, () => {
    // procfs answers EACCES to a read of a write-only setting (root included), EIO to a read of a process's memory.
    const writeOnly = "/proc/sys/vm/compact_memory";
    assert.equal(refusal(() => loadSpec(writeOnly, {}, env)), `${writeOnly}: permission denied | make it readable for this user (chmod u+r ${writeOnly})`);
    assert.throws(() => loadSpec("/proc/self/mem", {}, env), (e: NodeJS.ErrnoException) => !(e instanceof UserError) && e.code === "EIO");
  });

  it("schema problems: one on its line; several listed one per line; unknown and missing fields named", () => {
    assert.equal(refusal(() => loadSpec(specFile({ appName: "Shop" }), {}, env)).split(" | ")[1], "see spontime.schema.json for every field");
    const one = specFile({ appName: "Shop" });
    assert.match(refusal(() => loadSpec(one, {}, env)), new RegExp(`^${one}: appName: must be 2-24 characters`));
    const two = specFile({ app: { cpu: 300, colour: "red", size: 1 }, ecr: { keepImages: 0 } });
    const [message] = refusal(() => loadSpec(two, {}, env)).split(" | ");
    assert.equal(message!.split("\n")[0], `${two}: 3 problems:`);
    assert.match(message!, /\n {2}- unknown field app\.colour, app\.size\n/);
    assert.match(message!, /\n {2}- app\.cpu: Fargate cpu must be one of/);
    assert.match(message!, /\n {2}- ecr\.keepImages: /);
    assert.match(refusal(() => loadSpec(specFile({ state: { backend: "s3" } }), {}, env)), /: state\.bucket: missing \(string required\) \|/);
    assert.match(refusal(() => loadSpec(specFile([]), {}, env)), /: \(top level\): .*expected object/);
    assert.match(refusal(() => loadSpec(specFile({ appName: 5 }), {}, env)), /: appName: Invalid input: expected string, received number \|/);
  });
});

describe("the stack's region: the spec's, or the one given elsewhere when it names none, never a guess", () => {
  const CHOOSE = "a stack's region is its spec's \"region\": put the one you mean there, and unset (or align) AWS_REGION / AWS_DEFAULT_REGION and --region";

  it("a spec naming its region keeps it; --region or the environment agreeing is fine, differing is refused", () => {
    const file = specFile({ region: "eu-west-1" });
    assert.equal(loadSpec(file, { region: "eu-west-1" }, { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-1" }).region, "eu-west-1");
    assert.equal(refusal(() => loadSpec(file, { region: "us-east-1" }, {})), `--region says us-east-1 but ${file} says region eu-west-1: refusing to guess which stack you mean | ${CHOOSE}`);
    assert.match(refusal(() => loadSpec(file, {}, { AWS_DEFAULT_REGION: "us-east-1" })), /^AWS_DEFAULT_REGION says us-east-1 but .* says region eu-west-1/);
    // A spec naming us-east-1 (the default) is as firm as any other.
    assert.match(refusal(() => loadSpec(specFile({ region: "us-east-1" }), {}, { AWS_REGION: "eu-west-1" })), /^AWS_REGION says eu-west-1 but .* says region us-east-1/);
  });

  it("a spec naming none: --region first, then AWS_REGION, then AWS_DEFAULT_REGION, which must agree", () => {
    const spec = { region: "us-east-1" };
    assert.equal(stackRegion(spec, "eu-west-1", { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "eu-west-3" }), "eu-west-1");
    assert.equal(stackRegion(spec, undefined, { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "eu-west-2" }), "eu-west-2");
    assert.equal(stackRegion(spec, undefined, { AWS_DEFAULT_REGION: "eu-west-3" }), "eu-west-3");
    assert.equal(stackRegion(spec, "", { AWS_REGION: "" }), "us-east-1");
    assert.equal(refusal(() => stackRegion(spec, undefined, { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "eu-west-3" })),
      `AWS_REGION says eu-west-2 but AWS_DEFAULT_REGION says eu-west-3, and the spec names no region | ${CHOOSE}`);
  });

  it("a region that does not exist is refused wherever it is given, with the nearest one", () => {
    assert.equal(refusal(() => stackRegion({ region: "us-east-1" }, "eu-wst-1", {})), '--region: "eu-wst-1" is not an AWS region: did you mean "eu-west-1"? | undefined');
    assert.match(refusal(() => stackRegion({ region: "us-east-1", named: "f" }, undefined, { AWS_REGION: "mars" })), /^AWS_REGION: "mars" is not an AWS region/);
    assert.match(refusal(() => stackRegion({ region: "us-east-1" }, "us-east-1", { AWS_DEFAULT_REGION: "x" })), /^AWS_DEFAULT_REGION: "x" is not an AWS region/);
  });
});

describe("finding the spec without --config", () => {
  it("in the directory or the nearest above it, never above the repository root", () => {
    const root = join(dir, "find");
    const deep = join(root, "repo", "a", "b");
    mkdirSync(deep, { recursive: true });
    assert.equal(DEFAULT_CONFIG, "spontime.config.json");
    writeFileSync(join(root, DEFAULT_CONFIG), "{}");
    assert.equal(findConfig(deep), join(root, DEFAULT_CONFIG), "no repository: the nearest above");
    mkdirSync(join(root, "repo", ".git"));
    assert.equal(findConfig(deep), undefined, "the spec above the repository is another project's");
    writeFileSync(join(root, "repo", "a", DEFAULT_CONFIG), "{}");
    assert.equal(findConfig(deep), join(root, "repo", "a", DEFAULT_CONFIG));
    writeFileSync(join(deep, DEFAULT_CONFIG), "{}");
    assert.equal(findConfig(deep), join(deep, DEFAULT_CONFIG));
    assert.equal(findConfig("/"), existsSync(`/${DEFAULT_CONFIG}`) ? `/${DEFAULT_CONFIG}` : undefined, "the filesystem's root ends the search");
  });
});

describe("warnings about a valid spec", () => {
  it("DEBUG on a public load balancer, with how to turn it off", () => {
    const spec = SpecSchema.parse({});
    assert.deepEqual(specWarnings(spec, 0), [{
      check: "debug", message: "DEBUG=True on a public load balancer: Django's error pages show settings and code to anyone who reaches it",
      hint: 'set "app": { "debug": false } in the spec once the app works',
    }]);
    assert.deepEqual(warningLines(spec, 0), ['warning: DEBUG=True on a public load balancer: Django\'s error pages show settings and code to anyone who reaches it (set "app": { "debug": false } in the spec once the app works)']);
    assert.deepEqual(specWarnings(SpecSchema.parse({ app: { debug: false } }), 0), []);
  });

  it("a scheduled run in a daylight-saving gap, without a hint", () => {
    const spec = SpecSchema.parse({ app: { debug: false }, schedule: { awake: "Mon-Sun 00:30-20:00", timezone: "America/Havana" } });
    const [w, ...rest] = specWarnings(spec, Date.UTC(2026, 0, 15));
    assert.deepEqual(rest, []);
    assert.equal(w!.check, "schedule");
    assert.equal(w!.hint, undefined);
    assert.match(w!.message, /^schedule: the database's start at Sun 00:15 on 2026-03-08/);
    assert.deepEqual(warningLines(spec, Date.UTC(2026, 0, 15)), [`warning: ${w!.message}`]);
    assert.deepEqual(specWarnings(SpecSchema.parse({ app: { debug: false }, schedule: { awake: "Mon-Fri 08:00-20:00", timezone: "Europe/Paris" } }), Date.UTC(2026, 0, 15)), []);
  });
});

describe("durations of the app commands' flags", () => {
  it("seconds, minutes, hours and days; anything else is none", () => {
    assert.deepEqual(["30s", "10m", "2h", "1d", " 5m "].map(parseDuration), [30_000, 600_000, 7_200_000, 86_400_000, 300_000]);
    for (const bad of ["5", "m", "1.5h", "5 m", "5M", "x5m", "5mm", ""]) assert.equal(parseDuration(bad), undefined, bad);
  });

  it("every default duration (waits, the logs window) is one the flags take", () => {
    assert.deepEqual(Object.values(WAIT_DEFAULTS).map(parseDuration), [20 * 60_000, 2 * 60_000, 5 * 60_000, 30 * 60_000, 10 * 60_000]);
  });
});

describe("did you mean", () => {
  it("the nearest option within a few edits, in any case; nothing when none is near", () => {
    assert.equal(didYouMean("eu-wset-1", REGIONS), ': did you mean "eu-west-1"?');
    assert.equal(didYouMean("EU-WEST-1", REGIONS), ': did you mean "eu-west-1"?');
    assert.equal(didYouMean("abc", ["xyz", "abd"]), ': did you mean "abd"?', "the nearest, not the first");
    assert.equal(didYouMean("abcdef", ["abcxyz"]), ': did you mean "abcxyz"?', "3 edits for a short value");
    assert.equal(didYouMean("abcdef", ["axyzwf"]), "", "4 edits is too far for 6 characters");
    assert.equal(didYouMean("abcdefghijklmno", ["abcdefghijvwxyz"]), ': did you mean "abcdefghijvwxyz"?', "15 characters take up to 5 edits");
    assert.equal(didYouMean("abcdefghijklmno", ["abcdefghiuvwxyz"]), "", "6 edits is too far for 15 characters");
    assert.equal(didYouMean("abcdefghijklmnopqr", ["abcdefghijklmvwxyz"]), ': did you mean "abcdefghijklmvwxyz"?', "18 characters take up to 6 edits");
    assert.equal(didYouMean("ab", ["abcde"]), ': did you mean "abcde"?', "insertions count one each");
    assert.equal(didYouMean("abcde", ["ab"]), ': did you mean "ab"?', "deletions count one each");
    assert.equal(didYouMean("same", ["same", "some"]), ': did you mean "same"?');
    assert.equal(didYouMean("x", []), "");
  });
});

describe("IPv4 CIDR arithmetic", () => {
  it("parses a CIDR with no host bits set; anything else is none", () => {
    assert.deepEqual(parseCidr("10.0.1.0/24"), { base: (10 << 24) + 256, prefix: 24, size: 256 });
    assert.deepEqual(parseCidr("0.0.0.0/0"), { base: 0, prefix: 0, size: 2 ** 32 });
    assert.deepEqual(parseCidr("255.255.255.255/32"), { base: 2 ** 32 - 1, prefix: 32, size: 1 });
    for (const bad of ["10.0.1.5/24", "256.0.0.0/8", "10.0.0.0/33", "10.0.0/24", "10.0.0.0", " 10.0.0.0/8", "10.0.0.0/8 ", "1000.0.0.0/8", "10.0.0.0/123", "a.b.c.d/8"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("contains and overlaps, at the edges", () => {
    const c = (s: string) => parseCidr(s)!;
    assert.ok(contains(c("10.0.0.0/16"), c("10.0.0.0/16")));
    assert.ok(contains(c("10.0.0.0/16"), c("10.0.255.0/24")));
    assert.ok(!contains(c("10.0.0.0/16"), c("10.1.0.0/24")));
    assert.ok(!contains(c("10.0.0.0/16"), c("9.255.255.0/24")));
    assert.ok(!contains(c("10.0.0.0/16"), c("10.0.0.0/15")));
    assert.ok(overlaps(c("10.0.0.0/24"), c("10.0.0.128/25")));
    assert.ok(overlaps(c("10.0.0.128/25"), c("10.0.0.0/24")));
    assert.ok(!overlaps(c("10.0.0.0/24"), c("10.0.1.0/24")));
    assert.ok(!overlaps(c("10.0.1.0/24"), c("10.0.0.0/24")));
  });
});

describe("the names and tags the tool derives", () => {
  const n = names({ appName: "shop", region: "eu-west-1" });

  it("every AWS name of the stack, from the appName (and the region for account-wide roles)", () => {
    const { schedule, finalSnapshot, replaceSnapshot, resourceName, serviceClientToken, routeTableClientToken, runClientToken, certificateToken, ...plain } = n;
    assert.deepEqual(plain, {
      app: "shop", cluster: "shop", service: "shop", taskFamily: "shop", container: "web", ecrRepository: "shop", logGroup: "/ecs/shop",
      executionRole: "shop-eu-west-1-ecs-execution", scheduleGroup: "shop-sleep", schedulerRole: "shop-eu-west-1-scheduler",
      legacyExecutionRole: "shop-ecs-execution", legacySchedulerRole: "shop-scheduler", dbInstance: "shop-db", dbSubnetGroup: "shop-db-subnets",
      alb: "shop-alb", targetGroup: "shop-tg", startedBy: "spontime-infra/run", stateKey: "spontime-infra/shop.json",
    });
    assert.equal(schedule("service-wake", 0), "shop-service-wake-1");
    const at = new Date(Date.UTC(2026, 11, 3, 9, 5, 7, 123));
    assert.equal(finalSnapshot(at), "shop-final-20261203090507");
    assert.equal(replaceSnapshot(at), "shop-before-replace-20261203090507");
    assert.equal(resourceName("vpc"), "shop-vpc");
  });

  it("idempotency tokens: the same request gives the same token, another request another, within each call's limit", () => {
    const tokens = [
      [n.serviceClientToken("td:1"), n.serviceClientToken("td:2"), 32],
      [n.routeTableClientToken("vpc-1"), n.routeTableClientToken("vpc-2"), 64],
      [n.runClientToken("r1"), n.runClientToken("r2"), 64],
      [n.certificateToken("a.io", 1), n.certificateToken("a.io", 2), 32],
    ] as const;
    for (const [one, other, length] of tokens) {
      assert.match(one, new RegExp(`^[0-9a-f]{${length}}$`));
      assert.notEqual(one, other);
    }
    assert.equal(n.serviceClientToken("td:1"), names({ appName: "shop", region: "us-east-1" }).serviceClientToken("td:1"));
    assert.notEqual(n.serviceClientToken("td:1"), names({ appName: "shop2", region: "eu-west-1" }).serviceClientToken("td:1"));
    assert.notEqual(n.runClientToken("r1"), n.routeTableClientToken("r1"), "each call's token is its own");
    assert.notEqual(n.certificateToken("a.io", 1), n.certificateToken("b.io", 1));
  });

  it("the ARN partition of a region", () => {
    assert.deepEqual(["eu-west-1", "cn-north-1", "us-gov-west-1", "us-east-1"].map(partitionOf), ["aws", "aws-cn", "aws-us-gov", "aws"]);
  });

  it("the placeholder image of a stack never deployed to", () => {
    assert.ok(awaitingFirstDeploy("1234.dkr.ecr.eu-west-1.amazonaws.com/shop:awaiting-first-deploy"));
    assert.ok(!awaitingFirstDeploy("1234.dkr.ecr.eu-west-1.amazonaws.com/shop:v1"));
    assert.ok(!awaitingFirstDeploy("shop:awaiting-first-deploy-2"));
  });

  it("the app's URL: its domain once HTTPS serves it, else the load balancer's name, else none", () => {
    assert.equal(appUrl({ domain: "a.io" }, true, "alb.aws"), "https://a.io");
    assert.equal(appUrl({ domain: "a.io" }, false, "alb.aws"), "http://alb.aws");
    assert.equal(appUrl(undefined, true, "alb.aws"), "http://alb.aws");
    assert.equal(appUrl({ domain: "a.io" }, false, undefined), undefined);
  });

  it("the tool's tag keys: the stacks already made carry them, so they never change", () => {
    assert.deepEqual([TAG_STACK, TAG_RESOURCE, TAG_MANAGED_BY, MANAGED_BY, TAG_USER_KEYS, TAG_ASLEEP, TAG_REGION, TAG_PASSWORD_HASH, TAG_CREATED_BY], [
      "spontime:stack", "spontime:resource", "ManagedBy", "spontime-infra", "spontime:user-tags", "spontime:asleep", "spontime:region", "spontime:password-hash", "spontime:created-by",
    ]);
  });

  it("user tag keys: any but the tool's", () => {
    for (const key of ["Name", "spontime:stack", "spontime:anything", "ManagedBy"]) assert.equal(isUserTagKey(key), false, key);
    for (const key of ["team", "name", "Spontime:x", "x-spontime:"]) assert.equal(isUserTagKey(key), true, key);
  });

  it("a resource's tags: the user's first, the tool's over them", () => {
    assert.deepEqual(stackTags({ appName: "shop", tags: { team: "a", Name: "mine" } }, "vpc"), {
      team: "a", Name: "shop-vpc", "spontime:stack": "shop", "spontime:resource": "vpc", ManagedBy: "spontime-infra",
    });
  });

  it("the record of the user's keys: 5 characters a key, sorted, found again only for those keys", () => {
    const own = { Name: "x", "spontime:stack": "shop" };
    assert.equal(withUserKeys(own), own, "no user key, no record");
    const tags = withUserKeys({ ...own, team: "a", cost: "b" });
    const record = tags[TAG_USER_KEYS]!;
    assert.equal(record.length, 10);
    assert.deepEqual(withUserKeys({ ...own, cost: "b", team: "a" })[TAG_USER_KEYS], record, "the order of the keys does not matter");
    assert.deepEqual({ ...tags, [TAG_USER_KEYS]: undefined }, { ...own, team: "a", cost: "b", [TAG_USER_KEYS]: undefined });
    assert.ok(recordedUserKey(record, "team"));
    assert.ok(recordedUserKey(record, "cost"));
    assert.ok(!recordedUserKey(record, "owner"));
    assert.ok(!recordedUserKey(undefined, "team"));
    assert.ok(!recordedUserKey("", "team"));
    assert.ok(recordedUserKey("team", "team"), "a record written by 0.1.0: the key itself");
  });

  it("the generated names and tags checked against AWS's limits, the tool's tags with the most user keys a spec may have", () => {
    const all = generatedNames({ appName: "shop", region: "eu-west-1" });
    assert.deepEqual(all.filter(([k]) => k === "tagKey").map(([, v]) => v), ["Name", "spontime:stack", "spontime:resource", "ManagedBy", TAG_USER_KEYS]);
    assert.equal(all.find(([k, v]) => k === "tagValue" && v.length === 5 * MAX_USER_TAGS)?.[0], "tagValue", "the record of 44 keys");
    assert.deepEqual(all.filter(([k]) => k === "rdsFinalSnapshotId").map(([, v]) => v), ["shop-final-19700101000000"]);
    for (const [kind, value] of all) assert.equal(limitViolation(kind, value), undefined, `${kind} ${value}`);
  });
});

describe("AWS's limits on names", () => {
  it("the least length each takes: an empty tag value, a 2-character repository, 1 character elsewhere", () => {
    assert.equal(limitViolation("tagValue", ""), undefined);
    assert.equal(limitViolation("ecrRepositoryName", "ab"), undefined);
    assert.equal(limitViolation("elbName", "a"), undefined);
    assert.equal(limitViolation("elbName", ""), 'load balancer / target group name "" (0 characters) breaks AWS\'s rule: at most 32 letters, digits and hyphens, not starting or ending with a hyphen');
    assert.match(limitViolation("rdsSubnetGroupName", "") ?? "accepted", /breaks/);
  });

  it("counts Unicode characters as AWS does, not UTF-16 units", () => {
    const letter = "\u{1D49C}"; // MATHEMATICAL SCRIPT CAPITAL A: one letter, two UTF-16 units
    assert.equal(limitViolation("tagKey", letter.repeat(127)), undefined);
    assert.match(limitViolation("tagKey", letter.repeat(128)) ?? "accepted", /\(128 characters\)/);
  });
});
