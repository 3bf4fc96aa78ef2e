/**
 * Locks this process holds, with a way to release each. Kept free of imports: the CLI's signal handler loads it
 * on every run, and a second Ctrl-C or SIGTERM must release the locks before exiting.
 */
const held = new Map<string, () => Promise<void>>();

export const heldLocks = {
  add: (where: string, release: () => Promise<void>) => { held.set(where, release); },
  delete: (where: string) => { held.delete(where); },
  has: (where: string) => held.has(where),
};

/** Releases every held lock, waiting at most `timeoutMs` (a remote lock may not answer). */
export async function releaseHeldLocks(timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  await Promise.race([Promise.allSettled([...held.values()].map((release) => release())), timeout]);
  clearTimeout(timer);
}
