/**
 * What AWS offers, known offline: a typo in the spec is refused when it loads (exit 2) with the nearest valid
 * value, instead of minutes into an `up`. `doctor` still asks the account what the chosen region offers.
 */

/** AWS Regions (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html, read 2026-12). */
export const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
  "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
  "af-south-1", "me-south-1", "me-central-1", "il-central-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
  "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
];

// Sizes by generation, as the instance-class tables list them for each family.
const BURSTABLE = ["micro", "small", "medium", "large", "xlarge", "2xlarge"];
const GRAVITON2 = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"];
const INTEL5 = [...GRAVITON2, "24xlarge"];
const INTEL6 = [...INTEL5, "32xlarge"];
const LARGEST48 = [...INTEL5, "48xlarge"];

/**
 * DB instance classes RDS for PostgreSQL runs
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html, read 2026-12):
 * which of them a region offers for the engine version is `doctor`'s online check.
 */
export const DB_INSTANCE_CLASSES = Object.entries({
  t3: BURSTABLE, t4g: BURSTABLE,
  m5: INTEL5, m5d: INTEL5, m6g: GRAVITON2, m6gd: GRAVITON2, m6i: INTEL6, m6id: INTEL6, m6idn: INTEL6, m6in: INTEL6,
  m7g: GRAVITON2, m7i: LARGEST48, m8g: LARGEST48,
  r5: INTEL5, r5b: INTEL5, r5d: INTEL5, r6g: GRAVITON2, r6gd: GRAVITON2, r6i: INTEL6, r6id: INTEL6, r6idn: INTEL6, r6in: INTEL6,
  r7g: GRAVITON2, r7i: LARGEST48, r8g: LARGEST48, x2g: GRAVITON2,
}).flatMap(([family, sizes]) => sizes.map((size) => `db.${family}.${size}`));

/** Edit distance (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** `: did you mean "x"?` for the nearest option within a few edits, else nothing. */
export function didYouMean(value: string, options: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(value.length / 3)) + 1;
  for (const option of options) {
    const d = distance(value.toLowerCase(), option.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best === undefined ? "" : `: did you mean "${best}"?`;
}
