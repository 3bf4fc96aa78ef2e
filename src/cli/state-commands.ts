import { chmodSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stackTags } from "../config/names.js";
import { ToolError, UserError } from "../errors.js";
import { openState, openStore, stateLocation, stateS3Client, type StateLocation } from "../state/open.js";
import { parseState, type StateStore } from "../state/store.js";
import { confirm, type CommandContext } from "./context.js";

type StateOptions = { bucket?: string; to?: "s3" | "local"; output?: string; versionId?: string; args: string[] };

const SECRETS_ADVICE = "The state holds the database password and SECRET_KEY: give access to this bucket only to the people and the CI role that run `up`.";

/** `spontime-infra state <action>`: bootstrap | pull | push | migrate. */
export async function state(c: CommandContext<StateOptions>): Promise<number> {
  const [action, file] = c.opts.args;
  if (action === "bootstrap") return bootstrap(c);
  if (action === "pull") return pull(c);
  if (action === "push") return push(c, file);
  return migrate(c);
}

/** Locks as `up` does, and says what the lock's housekeeping says (a lock broken, one not released, a bucket without versions). */
function lockOf(c: CommandContext<StateOptions>, store: StateStore): Promise<void> {
  store.notice = (line) => c.out.err(c.out.paint("yellow", line));
  return store.lock(`state ${c.opts.args[0]}`, c.opts.forceUnlock, (question) => confirm(c, question, "refusing to break another machine's lock"));
}

function s3Location(c: CommandContext<StateOptions>, bucket: string | undefined): Extract<StateLocation, { backend: "s3" }> {
  const location = stateLocation(c.spec(), { stateDir: c.opts.stateDir, ...(bucket ? { stateBucket: bucket } : {}) }, c.out.io.env);
  if (location.backend !== "s3") throw new UserError(`state ${c.opts.args[0]} needs a bucket`, "pass --bucket (bootstrap) or --state-bucket, or set \"state\": {\"backend\": \"s3\", \"bucket\": ...} in the spec");
  return location;
}

async function bootstrap(c: CommandContext<StateOptions>): Promise<number> {
  const location = s3Location(c, c.opts.bucket ?? c.opts.stateBucket);
  const { bootstrapBucket } = await import("../state/bootstrap.js");
  const s3 = await stateS3Client(location, c.out.io.env);
  const result = await bootstrapBucket(s3, location.bucket, location.region, stackTags(c.spec(), "state-bucket"));
  if (c.opts.json) {
    c.out.json({ outcome: "ok", ...result, versioning: "Enabled", encryption: "AES256", publicAccessBlocked: true, tlsOnly: true });
    return 0;
  }
  c.out.out(`${result.created ? "Created" : "Checked"} s3://${result.bucket} in ${result.region}: versioning on, default encryption (SSE-S3), all public access blocked, TLS-only policy.`);
  c.out.out(`Use it: "state": {"backend": "s3", "bucket": "${result.bucket}"} in the spec (or --state-bucket ${result.bucket}); \`spontime-infra state migrate --to s3\` moves an existing local state there.`);
  c.out.err(c.out.paint("yellow", SECRETS_ADVICE));
  return 0;
}

/** Prints or saves the current state (or, `--version-id`, an earlier version of the S3 object), as stored (no lock: a read). */
async function pull(c: CommandContext<StateOptions>): Promise<number> {
  const { path, text, serial } = c.opts.versionId ? await pullVersion(c, c.opts.versionId) : await pullCurrent(c);
  if (c.opts.output) {
    writeFileSync(c.opts.output, text, { mode: 0o600 });
    chmodSync(c.opts.output, 0o600);
    if (c.opts.json) c.out.json({ outcome: "ok", from: path, output: c.opts.output, serial: serial ?? null });
    else c.out.err(`Wrote ${c.opts.output}${serial === undefined ? "" : ` (serial ${serial})`} from ${path}. It holds secrets: keep it out of git.`);
    return 0;
  }
  if (c.out.io.stdout.isTTY) throw new UserError("state pull would print the database password and SECRET_KEY on the terminal", "write it to a file with --output <file>, or pipe it");
  c.out.io.stdout.write(text);
  return 0;
}

async function pullCurrent(c: CommandContext<StateOptions>): Promise<{ path: string; text: string; serial?: number }> {
  const store = await openState(c.spec(), c.opts, c.out.io.env);
  if (store.text === undefined) throw new UserError(`no state at ${store.path}`, "check --state-dir / --state-bucket, or run `spontime-infra up` first");
  return { path: store.path, text: store.text, serial: store.data.serial };
}

/** An earlier version as stored, unparsed: the way back from a corrupt state. */
async function pullVersion(c: CommandContext<StateOptions>, versionId: string): Promise<{ path: string; text: string; serial?: number }> {
  const location = s3Location(c, c.opts.stateBucket);
  const { S3StateBackend } = await import("../state/s3.js");
  const backend = new S3StateBackend(await stateS3Client(location, c.out.io.env), location);
  const text = await backend.readVersion(versionId);
  const serial = (() => { try { return (JSON.parse(text) as { serial?: number }).serial; } catch { return undefined; } })();
  return { path: `${backend.where} version ${versionId}`, text, ...(serial === undefined ? {} : { serial }) };
}

/** Uploads a state file in place of the stored one, under the lock and the version check. */
async function push(c: CommandContext<StateOptions>, file: string | undefined): Promise<number> {
  if (!file) throw new UserError("state push needs the file to upload", "spontime-infra state push backup.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  const spec = c.spec();
  const incoming = parseState(text, file, spec.appName, spec.region);
  const store = await openState(spec, c.opts, c.out.io.env, true);
  await lockOf(c, store);
  try {
    if (store.exists && incoming.serial < store.data.serial) {
      throw new UserError(`${file} is serial ${incoming.serial}, older than the stored state (serial ${store.data.serial})`, "`state pull` the current state and change that copy");
    }
    await store.replace(text);
    await verify(store, text);
  } finally {
    await store.unlock();
  }
  if (c.opts.json) c.out.json({ outcome: "ok", to: store.path, serial: incoming.serial });
  else c.out.out(`Pushed ${file} (serial ${incoming.serial}) to ${store.path}.`);
  return 0;
}

async function verify(store: StateStore, text: string): Promise<void> {
  if ((await store.backend.read())?.text !== text) throw new ToolError(`reading ${store.path} back did not give the bytes written: nothing else was changed`);
}

/**
 * Moves the state between the local directory and S3: both locked, verified by reading back. The spec then
 * names where it is (written into the spec file, so the next run cannot read the old place again), and the old
 * copy goes last: the S3 object is deleted (its versions stay in the bucket's history), the local file becomes
 * a marker that refuses to be used and says where the state went.
 */
async function migrate(c: CommandContext<StateOptions>): Promise<number> {
  if (!c.opts.to) throw new UserError("state migrate needs --to s3 or --to local");
  const spec = c.spec();
  const s3 = s3Location(c, c.opts.stateBucket);
  const config = specFileFor(c, s3.bucket);
  const local: StateLocation = { backend: "local", dir: c.opts.stateDir };
  if (c.opts.to === "local") removeMarker(c.opts.stateDir, spec.appName, `s3://${s3.bucket}/${s3.key}`);
  const [from, to] = await Promise.all((c.opts.to === "s3" ? [local, s3] : [s3, local]).map((l) => openStore(l, spec, c.out.io.env))) as [StateStore, StateStore];
  if (from.text === undefined) throw new UserError(`nothing to migrate: no state at ${from.path}`, c.opts.to === "s3" ? "check --state-dir" : "check --state-bucket and the spec's state");
  await lockOf(c, from);
  try {
    await lockOf(c, to);
    try {
      const text = from.text!;
      if (to.text !== undefined && to.text !== text) {
        throw new UserError(`${to.path} already holds a state (serial ${to.data.serial}): refusing to overwrite it`, "`state pull` both and compare; move one aside first");
      }
      if (to.text === undefined) await to.replace(text);
      await verify(to, text);
      writeStateToSpec(config, s3.bucket, c.opts.to);
      if (c.opts.to === "s3") await from.markMoved(`s3://${s3.bucket}/${s3.key}`);
      else await from.remove();
    } finally {
      await to.unlock();
    }
  } finally {
    await from.unlock();
  }
  if (c.opts.json) {
    c.out.json({ outcome: "ok", from: from.path, to: to.path, serial: from.data.serial, spec: config });
    return 0;
  }
  c.out.out(`Moved the state (serial ${from.data.serial}) from ${from.path} to ${to.path}, checked by reading it back.`);
  if (c.opts.to === "s3") {
    c.out.out(`${config} now names the bucket ("state": {"backend": "s3", "bucket": "${s3.bucket}"}): every run with it reads the state there. ${from.path} is left as a marker that says where the state went; commands refuse it.`);
    c.out.err(c.out.paint("yellow", SECRETS_ADVICE));
  } else {
    c.out.out(`${config ? `${config} no longer names the bucket` : "Drop --state-bucket / SPONTIME_STATE_BUCKET"}: commands read ${to.path} again. The S3 object is removed; earlier versions stay in the bucket's version history.`);
  }
  return 0;
}

/**
 * The spec file that will say where the state lives once migrated: the one given or found. Without one there is
 * nowhere to say it, and the next run would read the old place again: refused before anything moves.
 */
function specFileFor(c: CommandContext<StateOptions>, bucket: string): string | undefined {
  const named = c.spec().state;
  if (c.opts.to === "local") return c.opts.config;
  if (named?.backend === "s3" && named.bucket !== bucket) {
    throw new UserError(`the spec names the state bucket ${named.bucket}, not ${bucket}`, `migrate to the spec's bucket (drop --state-bucket / SPONTIME_STATE_BUCKET), or change "state" in the spec first`);
  }
  if (!c.opts.config) {
    throw new UserError("state migrate writes where the state went into the spec file, and there is none (no spontime.config.json here or above, up to the repository root)",
      "run `spontime-infra init` (or pass --config <file>), then migrate again");
  }
  return c.opts.config;
}

/** Makes the spec file name the bucket (`to` s3) or name it no more (`to` local), leaving the rest of the file as written. */
function writeStateToSpec(file: string | undefined, bucket: string, to: "s3" | "local"): void {
  if (!file) return;
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const named = (raw.state as { bucket?: string } | undefined)?.bucket === bucket;
  if (to === "s3" && !named) raw.state = { backend: "s3", bucket };
  else if (to === "local" && named) delete raw.state;
  else return;
  writeFileSync(file, JSON.stringify(raw, null, 2) + "\n");
}

/** `migrate --to local` of a state moved to S3 before: the marker left behind goes, if it points at that very object. */
function removeMarker(dir: string, app: string, from: string): void {
  const path = join(dir, `${app}.json`);
  let marker: { movedTo?: unknown };
  try {
    marker = JSON.parse(readFileSync(path, "utf8")) as { movedTo?: unknown };
  } catch {
    return;
  }
  if (marker?.movedTo === from) unlinkSync(path);
}
