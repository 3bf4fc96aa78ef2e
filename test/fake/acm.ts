/**
 * ACM: public certificates validated by DNS. A request answers at once with an ARN; the validation CNAME
 * appears a few seconds later; the certificate is ISSUED once that CNAME can be resolved (a Route 53 zone of the
 * account, or DNS elsewhere that a test sets with `fake.publicDns`), after ACM's own check interval. A
 * certificate that a listener uses cannot be deleted.
 */
import { createHash } from "node:crypto";
import * as ACM from "@aws-sdk/client-acm";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, page, TAG_RULES, toUpper, type Service, type Tags } from "./common.js";

export interface Certificate {
  /**
   * A test sets the states no wait changes (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateDetail.html:
   * FAILED with a FailureReason such as CAA_ERROR; VALIDATION_TIMED_OUT, 72 hours after the request, with none).
   */
  arn: string; domain: string; status: "PENDING_VALIDATION" | "ISSUED" | "FAILED" | "VALIDATION_TIMED_OUT"; failureReason?: string; tags: Tags; token?: string;
  /** ListCertificates' spelling (`RSA_2048`); RequestCertificate's KeyAlgorithm defaults to it. */
  keyType: string;
  requestedAt: number; recordName: string; recordValue: string; issueAt?: number;
}
/** `deleted`: certificates deleted a moment ago, which ListCertificates still lists for `listedAfterDelete`. */
export interface AcmState { certs: Map<string, Certificate>; deleted: Map<string, Certificate & { deletedAt: number }> }

export const emptyAcm = (): AcmState => ({ certs: new Map(), deleted: new Map() });

export const ACM_TIMING = {
  /**
   * DescribeCertificate right after RequestCertificate may lack DomainValidationOptions[].ResourceRecord
   * (https://github.com/aws/aws-sdk-js/issues/2133, https://github.com/aws/aws-cdk/issues/8282).
   */
  recordAfter: 5_000,
  /** After the CNAME resolves, ACM's next check issues the certificate: minutes, not seconds (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html). */
  issueAfter: 60_000,
  /** "Idempotency tokens time out after one hour" (https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html). */
  tokenLifetime: 3_600_000,
  /**
   * "Deleting a certificate is eventually consistent. There may be a short delay before the certificate no longer
   * appears in the list" (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html); the
   * page gives no figure: 10 s here. Every other call answers ResourceNotFoundException at once.
   */
  listedAfterDelete: 10_000,
};

/** Listeners that name the certificate: what DescribeCertificate's InUseBy lists. */
const inUseBy = (fake: FakeAws, arn: string) => [...fake.elb.listeners.values()].filter((l) => l.certificates.includes(arn)).map((l) => l.lbArn);

/** PENDING_VALIDATION → ISSUED once the validation CNAME resolves, `issueAfter` later. */
export function tickAcm(fake: FakeAws, now: number): void {
  for (const c of fake.acm.certs.values()) {
    if (c.status !== "PENDING_VALIDATION") continue;
    if (c.issueAt === undefined && fake.resolveCname(c.recordName) === c.recordValue) c.issueAt = now + ACM_TIMING.issueAfter;
    if (c.issueAt !== undefined && now >= c.issueAt) c.status = "ISSUED";
  }
}

export function acmService(fake: FakeAws): Service<typeof ACM> {
  const certs = () => fake.acm.certs;
  // https://docs.aws.amazon.com/acm/latest/APIReference/API_DescribeCertificate.html: ResourceNotFoundException.
  const get = (arn: string | undefined) => {
    const c = certs().get(arn ?? "");
    if (!c) throw awsError("ResourceNotFoundException", `Could not find certificate ${arn}.`);
    return c;
  };
  const detail = (c: Certificate) => ({
    CertificateArn: c.arn, DomainName: c.domain, SubjectAlternativeNames: [c.domain], Status: c.status, Type: "AMAZON_ISSUED", KeyAlgorithm: c.keyType.replace("_", "-"),
    InUseBy: inUseBy(fake, c.arn), ...(c.failureReason ? { FailureReason: c.failureReason as ACM.FailureReason } : {}),
    DomainValidationOptions: [{
      DomainName: c.domain, ValidationDomain: c.domain, ValidationMethod: "DNS", ValidationStatus: ({ ISSUED: "SUCCESS", PENDING_VALIDATION: "PENDING_VALIDATION" } as const)[c.status as string] ?? "FAILED",
      ...(fake.clock.now() >= c.requestedAt + ACM_TIMING.recordAfter ? { ResourceRecord: { Name: c.recordName, Type: "CNAME", Value: c.recordValue } } : {}),
    }],
  });
  return {
    client: ACM.ACMClient,
    sdk: ACM,
    reads: {
      DescribeCertificate: (i) => ({ Certificate: detail(get(i.CertificateArn)) }),
      // Every status unless `CertificateStatuses` narrows it; keys RSA_1024 and RSA_2048 only unless
      // `Includes.keyTypes` names others (https://docs.aws.amazon.com/acm/latest/APIReference/API_ListCertificates.html,
      // https://docs.aws.amazon.com/acm/latest/APIReference/API_Filters.html). The summary carries InUse, Status
      // and CreatedAt (https://docs.aws.amazon.com/acm/latest/APIReference/API_CertificateSummary.html).
      // Paged by NextToken (https://docs.aws.amazon.com/acm/latest/APIReference/API_ListCertificates.html; no default page size documented).
      ListCertificates: (i) => {
        const { items, next } = page([...certs().values(), ...[...fake.acm.deleted.values()].filter((c) => fake.clock.now() < c.deletedAt + ACM_TIMING.listedAfterDelete)]
          .filter((c) => (!i.CertificateStatuses || i.CertificateStatuses.includes(c.status)) && (i.Includes?.keyTypes ?? ["RSA_1024", "RSA_2048"]).includes(c.keyType as ACM.KeyAlgorithm)), i.NextToken, i.MaxItems ?? fake.pageSize ?? 1000);
        return {
          CertificateSummaryList: items.map((c) => ({ CertificateArn: c.arn, DomainName: c.domain, Status: c.status, KeyAlgorithm: c.keyType.replace("_", "-"), InUse: inUseBy(fake, c.arn).length > 0, CreatedAt: new Date(c.requestedAt) })),
          ...(next ? { NextToken: next } : {}),
        };
      },
      ListTagsForCertificate: (i) => ({ Tags: toUpper(get(i.CertificateArn).tags) }),
    },
    writes: {
      RequestCertificate: (i) => {
        const now = fake.clock.now();
        // Within the token's hour the same token means the same request, whatever became of its certificate: one
        // deleted since is answered again, and that ARN then answers ResourceNotFoundException.
        const again = [...certs().values(), ...fake.acm.deleted.values()].find((c) => i.IdempotencyToken && c.token === i.IdempotencyToken && now - c.requestedAt < ACM_TIMING.tokenLifetime);
        if (again) return { CertificateArn: again.arn };
        if (i.ValidationMethod !== "DNS") throw awsError("ValidationException", "the fake models DNS validation only");
        // "The first domain name you enter cannot exceed 64 octets, including periods" (API_RequestCertificate).
        if ((i.DomainName ?? "").length > 64) throw awsError("ValidationException", "1 validation error detected: Value at 'domainName' failed to satisfy constraint: Member must have length less than or equal to 64");
        const arn = fake.arn("acm", `certificate/${fake.id("cert")}`);
        // The CNAME (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html) is the same for every
        // certificate of a domain in one account: a second certificate for it is validated by the record the first
        // one uses (https://github.com/dflook/cloudformation-dns-certificate/issues/7).
        const hash = (what: string) => createHash("md5").update(`${fake.account}:${i.DomainName}:${what}`).digest("hex");
        certs().set(arn, {
          arn, domain: i.DomainName!, status: "PENDING_VALIDATION", tags: checkTags(TAG_RULES.acm, {}, fromUpper(i.Tags)), ...(i.IdempotencyToken ? { token: i.IdempotencyToken } : {}),
          keyType: i.KeyAlgorithm?.replace("-", "_") ?? "RSA_2048",
          requestedAt: now, recordName: `_${hash("name")}.${i.DomainName}.`, recordValue: `_${hash("value")}.abcdefgh.acm-validations.aws.`,
        });
        return { CertificateArn: arn };
      },
      AddTagsToCertificate: (i) => { const c = get(i.CertificateArn); Object.assign(c.tags, checkTags(TAG_RULES.acm, c.tags, fromUpper(i.Tags))); },
      RemoveTagsFromCertificate: (i) => { const c = get(i.CertificateArn); for (const t of i.Tags ?? []) delete c.tags[t.Key!]; },
      // "You cannot delete an ACM certificate that is being used by another AWS service": ResourceInUseException
      // (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html).
      DeleteCertificate: (i) => {
        const c = get(i.CertificateArn);
        if (inUseBy(fake, c.arn).length) throw awsError("ResourceInUseException", `Certificate ${c.arn} in account ${fake.account} is in use.`);
        certs().delete(c.arn);
        fake.acm.deleted.set(c.arn, { ...c, deletedAt: fake.clock.now() });
      },
    },
  };
}
