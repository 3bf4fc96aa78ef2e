import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { whyNoAnswer } from "../src/app/health.js";
import { APP, Harness } from "./helpers.js";

/** What Node's own fetch throws for `url` (real sockets on 127.0.0.1, no network). */
async function fetchError(url: string, timeoutMs = 2_000): Promise<unknown> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    return e;
  }
  throw new Error(`${url} answered`);
}

describe("health-check failures name their cause (issue 28 §5)", () => {
  it("connection refused, TLS, timeout and DNS, from the errors Node's fetch really throws", async () => {
    const server = createServer((req, res) => { if (req.url !== "/hang") res.end("ok"); });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    try {
      assert.match(whyNoAnswer(await fetchError(`http://127.0.0.1:${freePort}/health`), `http://127.0.0.1:${freePort}/health`), new RegExp(`^connection refused by 127\\.0\\.0\\.1:${freePort}`));
      assert.match(whyNoAnswer(await fetchError(`https://127.0.0.1:${port}/health`), `https://127.0.0.1:${port}/health`), /^TLS: the handshake with 127\.0\.0\.1:\d+ failed \(ERR_SSL_WRONG_VERSION_NUMBER\)$/);
      assert.match(whyNoAnswer(await fetchError(`http://127.0.0.1:${port}/hang`, 100), `http://127.0.0.1:${port}/hang`), /^timeout: no answer from 127\.0\.0\.1:\d+/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
    // As fetch throws it for a name with no DNS record (seen on Node 20: cause.code ENOTFOUND).
    const dns = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("getaddrinfo ENOTFOUND api.example.com"), { code: "ENOTFOUND" }) });
    assert.match(whyNoAnswer(dns, "https://api.example.com/health"), /^DNS: api\.example\.com does not resolve \(ENOTFOUND\)/);
  });

  it("deploy says which: a load balancer that does not resolve is a DNS failure, not \"fetch failed\"", async () => {
    const h = new Harness();
    try {
      await h.up();
      h.fake.pushImage(APP, "v1");
      // The ALB's name stops resolving once the rollout is done (a DNS outage).
      h.fake.onCall = (op) => { if (op === "DescribeTargetHealth") for (const lb of h.fake.elb.lbs.values()) lb.dns = "gone.invalid"; };
      const r = await h.cli(["deploy", "--tag", "v1", "--health-timeout", "20s"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /did not answer 200 within 20 s \(last: DNS: \S+ does not resolve \(ENOTFOUND\)/);
      assert.doesNotMatch(r.stderr, /fetch failed/);
    } finally {
      h.close();
    }
  });
});
