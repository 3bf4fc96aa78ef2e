import {
  DeleteCertificateCommand, DescribeCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, RequestCertificateCommand,
  type CertificateDetail,
} from "@aws-sdk/client-acm";
import { absentIfNotFound, hasCode, ignoreNotFound } from "../aws/errors.js";
import { assertOurs, ownedTags, syncTags, tagList, tagMap, type Tags } from "../aws/tags.js";
import { TAG_STACK, stackTags } from "../config/names.js";
import { sharedRead } from "../engine/reads.js";
import type { Stored } from "../engine/types.js";
import type { Ctx, DesiredStack, StackResource } from "./context.js";

const KEY = "certificate";

// Without `https` (a stack going back to plain HTTP, or `down`) the domain is unknown: only the plan's graph
// calls `desired` then, and the certificate is found by its tags.
const desired = (spec: DesiredStack) => ({ domain: spec.https?.domain ?? "", validation: "DNS", tags: stackTags(spec, KEY) });
type Attrs = { domain?: string; validation?: string; tags: Tags; status: string };
type Out = { certificateArn: string; status: string; validationName: string; validationValue: string };

const tagsOf = async (ctx: Ctx, arn: string) => tagMap((await ctx.aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags);

/**
 * The stack's certificate by the ARN in state, else by its tags among the account's certificates (ACM has no tag
 * filter; with a domain, only certificates for it are asked for their tags). Shared while observing: the
 * validation wait reads the same certificate.
 */
export function findCertificate(ctx: Ctx, prior: Stored | undefined): Promise<CertificateDetail | undefined> {
  return sharedRead(ctx, `acm:certificate:${prior?.id ?? ""}`, async () => {
    const describe = async (arn: string) => (await absentIfNotFound(() => ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))))?.Certificate;
    const known = prior?.id ? await describe(prior.id) : undefined;
    if (known) return known;
    const domain = ctx.spec.https?.domain;
    for (let NextToken: string | undefined, first = true; first || NextToken; first = false) {
      const page = await ctx.aws.acm.send(new ListCertificatesCommand({ ...(NextToken ? { NextToken } : {}) }));
      for (const c of page.CertificateSummaryList ?? []) {
        if (domain && c.DomainName !== domain) continue;
        if ((await tagsOf(ctx, c.CertificateArn!))[TAG_STACK] === ctx.spec.appName) return describe(c.CertificateArn!);
      }
      NextToken = page.NextToken;
    }
    return undefined;
  });
}

/** ACM's states that no wait will change: a new certificate is needed (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html). */
export const DEAD_STATUSES = ["VALIDATION_TIMED_OUT", "FAILED", "REVOKED", "EXPIRED", "INACTIVE"];

/**
 * A public ACM certificate for `https.domain`, validated by DNS. It is ready once ACM has published the CNAME
 * that proves control of the domain (a few seconds after the request); waiting for ISSUED is the job of the
 * validation step (certificate-validation.ts), so that the record can be written in between.
 */
export const certificate: StackResource<ReturnType<typeof desired>, Attrs, Out> = {
  key: KEY,
  kind: "acm:certificate",
  replaceOn: ["domain", "validation"],
  // A certificate an HTTPS listener still uses cannot be deleted (ResourceInUseException): retried until the
  // listener's deletion has reached ACM (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html).
  inUse: hasCode("ResourceInUseException"),
  typicalReadyMs: 5_000,
  title: (spec) => `ACM certificate${spec.https ? ` for ${spec.https.domain}` : ""} (DNS validation)`,
  desired,
  async observe(ctx, prior) {
    const cert = await findCertificate(ctx, prior);
    if (!cert?.CertificateArn) return undefined;
    const arn = cert.CertificateArn;
    const tags = await tagsOf(ctx, arn);
    assertOurs("certificate", arn, tags, ctx.spec.appName);
    const option = cert.DomainValidationOptions?.[0];
    const record = option?.ResourceRecord;
    const status = cert.Status ?? "UNKNOWN";
    const live = {
      id: arn,
      attrs: { domain: cert.DomainName, validation: option?.ValidationMethod, tags: ownedTags(tags, ctx.spec), status },
      outputs: { certificateArn: arn, status, validationName: record?.Name ?? "", validationValue: record?.Value ?? "" },
    };
    if (status === "FAILED") return { ...live, state: "failed", why: `ACM could not issue it: ${cert.FailureReason ?? "FAILED"}` };
    // ACM fills in the validation record shortly after the request: DescribeCertificate may not show it yet.
    if (!record && status === "PENDING_VALIDATION") return { ...live, state: "pending", why: "waiting for ACM to publish the validation record" };
    return { ...live, state: "ready" };
  },
  async create(ctx, want) {
    // The token makes a retried request (its answer lost) return the same certificate, within ACM's hour.
    const out = await ctx.aws.acm.send(new RequestCertificateCommand({
      DomainName: want.domain, ValidationMethod: "DNS", IdempotencyToken: ctx.names.certificateToken(want.domain), Tags: tagList(want.tags),
    }));
    const arn = out.CertificateArn!;
    return { id: arn, outputs: { certificateArn: arn, status: "PENDING_VALIDATION", validationName: "", validationValue: "" } };
  },
  async update(ctx, want, live) {
    await syncTags(ctx.aws, "acm", live.id, want.tags, live.attrs.tags);
  },
  async delete(ctx, live) {
    await ignoreNotFound(() => ctx.aws.acm.send(new DeleteCertificateCommand({ CertificateArn: live.id })));
  },
};
