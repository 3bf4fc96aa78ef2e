import type { RefFn } from "../engine/types.js";
import { certificate, DEAD_STATUSES, findCertificate } from "./certificate.js";
import type { DesiredStack, StackResource } from "./context.js";

const KEY = "certificate-validation";

const desired = (_spec: DesiredStack, ref: RefFn) => ({ certificateArn: ref(certificate).certificateArn });
type Attrs = { certificateArn?: string; status: string };

/**
 * The wait for ACM to issue the certificate (Terraform's aws_acm_certificate_validation): no AWS object of its
 * own, it is the certificate seen as "issued or not". While ACM waits for the CNAME it is `pending`, and the
 * progress row says which record to add (or that Route 53 has it). A run that times out or is interrupted
 * leaves it pending: the next `up` finds it so and resumes the wait. Nothing that needs an issued certificate
 * (the HTTPS listener) starts before it is ready.
 */
export const certificateValidation: StackResource<ReturnType<typeof desired>, Attrs, { certificateArn: string }> = {
  key: KEY,
  kind: "acm:certificate-validation",
  client: "acm",
  tagging: "none",
  actions: { observe: ["acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate"] },
  ignored: { "(no setting of its own)": "it waits for ACM to issue the certificate; the certificate row compares what there is" },
  replaceOn: ["certificateArn"],
  // ACM gives up after 72 hours; DNS at another provider can take a while to be added and to propagate.
  readyTimeoutMs: 2 * 60 * 60_000,
  title: (spec) => `certificate issued for ${spec.https?.domain ?? "the domain"} (DNS validation)`,
  desired,
  async observe(ctx, prior) {
    const cert = await findCertificate(ctx, prior ?? ctx.records.get(certificate.key));
    if (!cert?.CertificateArn) return undefined;
    const arn = cert.CertificateArn;
    const status = cert.Status ?? "UNKNOWN";
    const live = { id: arn, attrs: { certificateArn: arn, status }, outputs: { certificateArn: arn } };
    if (status === "ISSUED") return { ...live, state: "ready" };
    if (DEAD_STATUSES.includes(status)) return { ...live, state: "failed", why: `the certificate is ${status}${cert.FailureReason ? ` (${cert.FailureReason})` : ""}: remove https from the spec and run up, then add it back for a new certificate` };
    const record = cert.DomainValidationOptions?.[0]?.ResourceRecord;
    const why = ctx.spec.hostedZone
      ? `ACM is checking the validation record written in Route 53 zone ${ctx.spec.hostedZone.name} (usually a few minutes)`
      : `add this DNS record at your DNS provider: CNAME ${record?.Name ?? "?"} -> ${record?.Value ?? "?"} (ACM checks it every few minutes; a re-run of up resumes this wait)`;
    return { ...live, state: "pending", why };
  },
  // Nothing to make: the certificate exists; the engine's wait until ready is the point.
  async create(_ctx, want) {
    return { id: want.certificateArn, outputs: { certificateArn: want.certificateArn } };
  },
  // The certificate is deleted as itself (certificate.ts).
  async delete() {},
};
