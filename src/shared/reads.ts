/**
 * Shares identical reads between resources while the engine observes the whole stack (one DescribeSubnets
 * for four subnets, one DescribeServices for the task definition and the service). Outside that phase every
 * read goes to AWS, so waits never see a stale answer.
 */
export class ReadCache {
  private entries?: Map<string, Promise<unknown>>;

  /** Runs `fn` with sharing on; the cache is dropped when it ends. */
  async during<T>(fn: () => Promise<T>): Promise<T> {
    this.entries = new Map();
    try {
      return await fn();
    } finally {
      this.entries = undefined;
    }
  }

  /** Whether reads are shared now (the stack is being observed): a read may then gather for several resources. */
  get sharing(): boolean {
    return !!this.entries;
  }

  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.entries) return read();
    let hit = this.entries.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = read();
      this.entries.set(key, hit);
      hit.catch(() => this.entries?.delete(key)); // a failed read is not shared: the next caller tries again
    }
    return hit;
  }
}

/** Contexts that may carry a ReadCache: the engine's does, deploy's (which only reads once) does not. */
export type ReadsCtx = { reads?: ReadCache };

/** `read` shared through the context's cache when it has one, else made directly. */
export const sharedRead = <T>(ctx: ReadsCtx, key: string, read: () => Promise<T>): Promise<T> => (ctx.reads ? ctx.reads.get(key, read) : read());
