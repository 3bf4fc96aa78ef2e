import {
  DeleteCertificateCommand, DescribeCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, RequestCertificateCommand,
  type CertificateDetail, type CertificateSummary,
} from "@aws-sdk/client-acm";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, tagList, tagMap, type Tags } from "../aws/tags.js";
import { TAG_RESOURCE, TAG_STACK } from "../config/names.js";
import { sharedRead } from "../shared/reads.js";
import type { Live, Stored } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { tagged } from "./tagging.js";

const KEY = "certificate";

// Without `https` (a stack going back to plain HTTP, or `down`) the domain is unknown: only the plan's graph
// calls `desired` then, and the certificate is found by its tags.
const desired = (spec: DesiredStack) => ({ domain: spec.https?.domain ?? "", validation: "DNS" });
type Attrs = { domain?: string; validation?: string; tags: Tags; status: string };
type Out = { certificateArn: string; domain: string; status: string; validationName: string; validationValue: string };

const tagsOf = async (ctx: Ctx, arn: string) => tagMap((await ctx.aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags);

/**
 * The certificate the stack keeps (described, with its tags), the extra ones tagged for it, and certificates of
 * the same domain that are not this stack's (they share its validation CNAME: see dns-record.ts).
 */
export interface FoundCertificates { cert: CertificateDetail; tags: Tags; duplicates: CertificateSummary[]; othersForDomain: string[] }

/**
 * Which of the stack's certificates to keep: the one in use (the HTTPS listener serves it), else an issued one,
 * else the one the state file names, else the oldest. ListCertificates' summary carries `InUse`, `Status` and
 * `CreatedAt` (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateSummary.html).
 */
const keepFirst = (priorId: string | undefined) => (a: CertificateSummary, b: CertificateSummary): number =>
  Number(!!b.InUse) - Number(!!a.InUse) || Number(b.Status === "ISSUED") - Number(a.Status === "ISSUED") ||
  Number(b.CertificateArn === priorId) - Number(a.CertificateArn === priorId) || (a.CreatedAt?.getTime() ?? 0) - (b.CreatedAt?.getTime() ?? 0);

/**
 * The stack's certificates: every certificate tagged for this stack's certificate. ACM has no tag filter: the
 * account's certificates are listed, and those for the domain (every one, without `https` in the spec: the
 * domain is then unknown) are asked for their tags. Our requests take ACM's default key, RSA_2048, which
 * ListCertificates' default filter lists (https://docs.aws.amazon.com/acm/latest/APIReference/API_Filters.html).
 * More than one is a duplicate: RequestCertificate's idempotency token dedupes retries for one hour only
 * (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html), so a request whose answer
 * was lost and that is sent again later makes a second certificate. One is kept (`keepFirst`); the extra ones
 * that nothing uses are handed to the engine to delete (one in use stays: deleting it would fail,
 * ResourceInUseException). A certificate the state file names that is not tagged for this stack is refused.
 * Shared while observing: the validation wait and the DNS records read the same certificate.
 */
export function findCertificates(ctx: Ctx, prior: Stored | undefined): Promise<FoundCertificates | undefined> {
  return sharedRead(ctx, `acm:certificates:${prior?.id ?? ""}`, async () => {
    const domain = ctx.spec.https?.domain;
    const ours: { summary: CertificateSummary; tags: Tags }[] = [];
    const others: CertificateSummary[] = [];
    for (let NextToken: string | undefined, first = true; first || NextToken; first = false) {
      const page = await ctx.aws.acm.send(new ListCertificatesCommand({ ...(NextToken ? { NextToken } : {}) }));
      for (const summary of page.CertificateSummaryList ?? []) {
        const arn = summary.CertificateArn!;
        if (domain && summary.DomainName !== domain && arn !== prior?.id) continue;
        // Deleting is eventually consistent: a deleted certificate may still be listed for a short while
        // (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html): it is skipped.
        const tags = await absentIfNotFound(() => tagsOf(ctx, arn));
        if (!tags) continue;
        if (arn === prior?.id) assertOurs("certificate", arn, tags, ctx.spec.appName);
        if (tags[TAG_STACK] === ctx.spec.appName && tags[TAG_RESOURCE] === KEY) ours.push({ summary, tags });
        else others.push(summary);
      }
      NextToken = page.NextToken;
    }
    ours.sort((a, b) => keepFirst(prior?.id)(a.summary, b.summary));
    for (const [i, kept] of ours.entries()) {
      const cert = (await absentIfNotFound(() => ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: kept.summary.CertificateArn! }))))?.Certificate;
      if (!cert) continue; // gone since it was listed
      const othersForDomain = others.filter((o) => o.DomainName === cert.DomainName).map((o) => o.CertificateArn!);
      return { cert, tags: kept.tags, duplicates: ours.slice(i + 1).map((e) => e.summary).filter((x) => !x.InUse), othersForDomain };
    }
    return undefined;
  });
}

/** The certificate the stack keeps, as ACM describes it. */
export const findCertificate = async (ctx: Ctx, prior: Stored | undefined): Promise<CertificateDetail | undefined> => (await findCertificates(ctx, prior))?.cert;

/** ACM's states that no wait will change: a new certificate is needed (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html). */
export const DEAD_STATUSES = ["VALIDATION_TIMED_OUT", "FAILED", "REVOKED", "EXPIRED", "INACTIVE"];

/** An extra certificate as the engine deletes it: only its ARN matters. */
const asDuplicate = (s: CertificateSummary): Live<Attrs, Out> => ({
  id: s.CertificateArn!, state: "ready", attrs: { domain: s.DomainName, tags: {}, status: s.Status ?? "UNKNOWN" },
  outputs: { certificateArn: s.CertificateArn!, domain: s.DomainName ?? "", status: s.Status ?? "UNKNOWN", validationName: "", validationValue: "" },
});

/**
 * A public ACM certificate for `https.domain`, validated by DNS. It is ready once ACM has published the CNAME
 * that proves control of the domain (a few seconds after the request); waiting for ISSUED is the job of the
 * validation step (certificate-validation.ts), so that the record can be written in between.
 */
export const certificate = tagged<ReturnType<typeof desired> & { tags: Tags }, Attrs, Out>({
  key: KEY,
  kind: "acm:certificate",
  client: "acm",
  tagging: "acm",
  actions: { observe: ["acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate"], create: ["acm:RequestCertificate"], delete: ["acm:DeleteCertificate"] },
  ignored: { "key algorithm, transparency logging": "fixed at the request; a certificate requested by hand with others is not the stack's" },
  replaceOn: ["domain", "validation"],
  // The HTTPS listener serves the old one until it moves to the new one: deleting first would be refused for as
  // long as it does (ResourceInUseException, below).
  createBeforeDelete: true,
  // A certificate an HTTPS listener still uses cannot be deleted (ResourceInUseException): retried until the
  // listener's deletion has reached ACM (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html).
  inUse: hasCode("ResourceInUseException"),
  typicalReadyMs: 5_000,
  title: (spec) => `ACM certificate${spec.https ? ` for ${spec.https.domain}` : ""} (DNS validation)`,
  desired,
  async observe(ctx, prior) {
    const found = await findCertificates(ctx, prior);
    if (!found?.cert.CertificateArn) return undefined;
    const { cert, tags } = found;
    const arn = cert.CertificateArn!;
    const option = cert.DomainValidationOptions?.[0];
    const record = option?.ResourceRecord;
    const status = cert.Status ?? "UNKNOWN";
    const live = {
      id: arn,
      attrs: { domain: cert.DomainName, validation: option?.ValidationMethod, tags: tags, status },
      outputs: { certificateArn: arn, domain: cert.DomainName ?? "", status, validationName: record?.Name ?? "", validationValue: record?.Value ?? "" },
      ...(found.duplicates.length ? { duplicates: found.duplicates.map(asDuplicate) } : {}),
    };
    if (status === "FAILED") return { ...live, state: "failed", why: `ACM could not issue it: ${cert.FailureReason ?? "FAILED"}` };
    // ACM fills in the validation record shortly after the request: DescribeCertificate may not show it yet.
    if (!record && status === "PENDING_VALIDATION") return { ...live, state: "pending", why: "waiting for ACM to publish the validation record" };
    return { ...live, state: "ready" };
  },
  async create(ctx, want) {
    // The token makes the SDK's retry of this request (its answer lost) return the same certificate, within ACM's hour.
    const out = await ctx.aws.acm.send(new RequestCertificateCommand({
      DomainName: want.domain, ValidationMethod: "DNS", IdempotencyToken: ctx.names.certificateToken(want.domain, ctx.clock.now()), Tags: tagList(want.tags),
    }));
    const arn = out.CertificateArn!;
    return { id: arn, outputs: { certificateArn: arn, domain: want.domain, status: "PENDING_VALIDATION", validationName: "", validationValue: "" } };
  },

  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.acm.send(new DeleteCertificateCommand({ CertificateArn: live.id })));
  },
});
