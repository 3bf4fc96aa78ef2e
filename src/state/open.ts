import { names } from "../config/names.js";
import { s3BucketName, type Spec } from "../config/schema.js";
import { UserError } from "../errors.js";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Location } from "./s3.js";
import { StateStore } from "./store.js";

/** Where a command finds the state: flags and environment first, then the spec's `state`, then `--state-dir`. */
export interface StateFlags { stateDir: string; stateBucket?: string }

export type StateLocation =
  | { backend: "local"; dir: string }
  | ({ backend: "s3" } & S3Location);

export function stateLocation(spec: Spec, flags: StateFlags, env: NodeJS.ProcessEnv): StateLocation {
  const fromSpec = spec.state?.backend === "s3" ? spec.state : undefined;
  const bucket = flags.stateBucket ?? env.SPONTIME_STATE_BUCKET ?? fromSpec?.bucket;
  if (bucket === undefined) return { backend: "local", dir: flags.stateDir };
  const valid = s3BucketName.safeParse(bucket);
  if (!valid.success) throw new UserError(`state bucket ${JSON.stringify(bucket)}: ${valid.error.issues[0]!.message}`);
  return {
    backend: "s3", bucket, key: fromSpec?.key ?? names(spec).stateKey, region: fromSpec?.region ?? spec.region, regionGiven: !!fromSpec?.region,
    ...(spec.profile ? { profile: spec.profile } : {}),
  };
}

/**
 * An S3 client for the state bucket, once it is clear that credentials exist at all, in the bucket's own region:
 * a bucket elsewhere than the stack answers object requests with a redirect. `location.region` becomes the bucket's.
 */
export async function stateS3Client(location: S3Location, env: NodeJS.ProcessEnv): Promise<S3Client> {
  const { s3Client, bucketRegion } = await import("./s3.js");
  const { credentialSourceConfigured } = await import("../aws/clients.js");
  const { credentialError } = await import("../aws/errors.js");
  // Without any credential source the SDK would probe the EC2 metadata endpoint for seconds first.
  if (!credentialSourceConfigured(env, location.profile)) {
    const cause = credentialError(new Error("Could not load credentials from any providers"), location.profile, env)!;
    // `plan` works without credentials from a local state file, not from this one: said, with what would work.
    throw new UserError(`${cause.message}: this stack's state is in S3 (s3://${location.bucket}/${location.key}), and reading it needs them, for \`plan\` too`,
      `${cause.hint}; without credentials, \`plan\` and \`validate\` work only for a stack whose state is local (no "state" in the spec, no --state-bucket)`);
  }
  const client = s3Client(location);
  if (location.regionGiven) return client;
  const actual = await bucketRegion(client, location.bucket);
  if (!actual || actual === location.region) return client;
  location.region = actual;
  return s3Client(location);
}

/**
 * Opens the state at a location (read, not locked); `replacing` (state push) opens a corrupt one too. A corrupt
 * state object in S3 is answered with the versions the bucket kept, and how to bring one back.
 */
export async function openStore(location: StateLocation, spec: Spec, env: NodeJS.ProcessEnv, replacing = false): Promise<StateStore> {
  if (location.backend === "local") return new StateStore(location.dir, spec.appName, spec.region, undefined, replacing);
  const { S3StateBackend } = await import("./s3.js");
  const backend = new S3StateBackend(await stateS3Client(location, env), location);
  const snapshot = await backend.read();
  try {
    return new StateStore(backend, spec.appName, spec.region, snapshot, replacing);
  } catch (e) {
    if (!(e instanceof UserError) || !/ is corrupt /.test(e.message)) throw e;
    const versions = (await backend.versions()).slice(1, 6);
    if (!versions.length) throw new UserError(e.message, "the bucket kept no earlier version (is versioning on?): move the object aside and run `up`, which finds the resources again by their tags");
    const list = versions.map((v) => `${v.versionId}${v.lastModified ? ` (${v.lastModified.toISOString()})` : ""}`).join(", ");
    throw new UserError(e.message, `earlier versions, newest first: ${list}; bring one back with \`spontime-infra state pull --version-id <id> -o state.json\`, check it, then \`spontime-infra state push state.json\``);
  }
}

/** Opens the command's state (read, not locked): local file or S3 object. */
export const openState = (spec: Spec, flags: StateFlags, env: NodeJS.ProcessEnv, replacing = false) => openStore(stateLocation(spec, flags, env), spec, env, replacing);
