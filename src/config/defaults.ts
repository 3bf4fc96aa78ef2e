/** The app commands' durations unless a flag says otherwise (how long they wait, how far back `logs` looks); the CLI's help shows the same values. */
export const WAIT_DEFAULTS = {
  /** `deploy --timeout`: the deadline for the whole command (migration, rollout, health check); a deploy not healthy by then is restored. */
  deploy: "20m",
  /** `deploy --health-timeout`: after COMPLETED the app answers at once unless something is wrong. */
  deployHealth: "2m",
  /** `wake --health-timeout`: the tasks start again after the database, with the image pull and health checks. */
  wakeHealth: "5m",
  /** `run --timeout`: a one-off task (a migration, createsuperuser) longer than this is stopped. */
  run: "30m",
  /** `logs --since`: how far back. */
  logsSince: "10m",
} as const;

/** "10m", "2h", "30s", "1d" in ms; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}
