/**
 * Golden files (test/golden/<name>.json): what whole runs on the fake send to AWS and tell the user, pinned.
 * They see a changed parameter, an extra or a missing call, a changed notice anywhere in src/resources in a few
 * seconds, which is what makes a mutation run of that folder affordable (stryker/resources.mjs runs them first).
 *
 * After a deliberate change: `UPDATE_GOLDEN=1 node --test dist/test/<file>.test.js` (the whole file: it writes
 * every entry), then read the diff of the golden file before committing it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after } from "node:test";
import type { Harness } from "./helpers.js";

const UPDATE = Boolean(process.env.UPDATE_GOLDEN);
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Out of a request or a line, what differs from run to run: the run's id, what is made at random (a password,
 * Django's key) and the virtual time in a snapshot's name (the SDK's backoff is random).
 */
export function normalize(value: unknown, key = ""): unknown {
  if (/password/i.test(key)) return "<secret>";
  if (typeof value === "string") {
    return value.replace(UUID, "<uuid>").replace(/-(final|before-replace)-\d{14}\b/g, "-$1-<time>").replace(/(postgis:\/\/[^:]+:)[^@]+@/, "$1<secret>@");
  }
  // A name-value pair (an environment variable, a tag) whose value is made at random.
  const [first, second] = value && typeof value === "object" ? Object.entries(value) : [];
  if (second && /^(SECRET_KEY|spontime:password-hash)$/.test(String(first![1]))) return { ...value as object, [second[0]]: "<secret>" };
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  return value;
}

/** A call as one line of a golden file: service, operation and normalized input. */
export const callLine = (c: { service: string; op: string; input: unknown }): string => JSON.stringify([c.service, c.op, normalize(c.input)]);

/**
 * A run's calls, each as one line, sorted, each once: how often a call is retried depends on the SDK's random
 * backoff (an IAM role's first minutes). The state's claim calls are left out: they carry this process's id.
 * Sorted, as their order across resources is the walk's to decide; the orders that matter are tested elsewhere.
 */
function requests(h: Harness): string[] {
  const claim = new Set(h.fake.claimCalls());
  return [...new Set(h.fake.calls.filter((c) => !claim.has(c)).map(callLine))].sort();
}

/** The golden file test/golden/<name>.json: `matches` checks a value against it, `pin` a run's requests. */
export function golden(name: string) {
  const file = join(import.meta.dirname, "..", "..", "test", "golden", `${name}.json`);
  const pinned: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const seen: Record<string, unknown> = {};
  after(() => { if (UPDATE) writeFileSync(file, `${JSON.stringify(seen, null, 1)}\n`); });
  /** Records `value` under `key`, and (unless rewriting the file) checks it is the one pinned there. */
  function matches(key: string, value: unknown): void {
    seen[key] = value;
    if (!UPDATE) assert.deepEqual(value, pinned[key], `"${key}" changed`);
  }
  return {
    matches,
    /** Runs `run` and pins the requests it sent. */
    async pin(key: string, h: Harness, run: () => Promise<unknown>): Promise<void> {
      h.resetCalls();
      await run();
      matches(key, requests(h));
    },
  };
}

/** A CLI run that must succeed. */
export const succeeds = (h: Harness, ...argv: string[]) => async () => assert.equal((await h.cli(argv)).code, 0);

/**
 * What a run leaves in the state file: each record's id, outputs and memo, with the generated secrets as their
 * length and the times as <time> (when a wait ends depends on the SDK's random backoff).
 */
export function records(h: Harness): unknown {
  const { resources } = h.state() as { resources: Record<string, { outputs: Record<string, string> }> };
  const secretLengths = (outputs: Record<string, string>) => Object.entries(outputs).map(([k, v]) => `${k}: ${v.length} characters`);
  const kept = Object.fromEntries(Object.entries(resources).map(([key, r]) => [key, key === "secrets" ? { ...r, outputs: secretLengths(r.outputs) } : r]));
  return normalize(JSON.parse(JSON.stringify(kept).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "<time>")));
}
