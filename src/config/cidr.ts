// Minimal IPv4 CIDR arithmetic: enough to check that subnets sit inside the VPC and do not overlap,
// which EC2 would otherwise reject minutes into an `up`.
export interface Cidr { base: number; prefix: number; size: number }

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined; // host bits set: EC2 rejects "10.0.1.5/24"
  return { base, prefix, size };
}

export const contains = (outer: Cidr, inner: Cidr): boolean =>
  inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;

export const overlaps = (a: Cidr, b: Cidr): boolean =>
  a.base < b.base + b.size && b.base < a.base + a.size;
