import { ToolError } from "../errors.js";

export interface Node { key: string; dependsOn: readonly string[] }

/** Topological order (Kahn); throws naming the cycle, or the unknown dependency. */
export function topoOrder(nodes: readonly Node[]): string[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  for (const n of nodes) {
    for (const d of n.dependsOn) if (!byKey.has(d)) throw new ToolError(`resource ${n.key} depends on unknown resource ${d}`);
  }
  const indegree = new Map(nodes.map((n) => [n.key, n.dependsOn.length]));
  const dependents = reverseEdges(nodes);
  const ready = nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.key);
  const order: string[] = [];
  for (let next = 0; next < ready.length; next++) {
    const k = ready[next]!;
    order.push(k);
    for (const d of dependents.get(k)!) {
      indegree.set(d, indegree.get(d)! - 1);
      if (indegree.get(d) === 0) ready.push(d);
    }
  }
  if (order.length !== nodes.length) throw new ToolError(`dependency cycle: ${findCycle(nodes, new Set(order)).join(" -> ")}`);
  return order;
}

export function reverseEdges(nodes: readonly Node[]): Map<string, string[]> {
  const out = new Map<string, string[]>(nodes.map((n) => [n.key, []]));
  for (const n of nodes) for (const d of n.dependsOn) out.get(d)!.push(n.key);
  return out;
}

/**
 * A cycle among the nodes the sort could not order: each of them waits on at least one other of them (or it
 * would have been ordered), so following those edges from any one of them comes back round.
 */
function findCycle(nodes: readonly Node[], ordered: Set<string>): string[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  // Stryker disable next-line ArrayDeclaration: a placeholder before the first key is never a key, and the cycle is sliced from its first key on
  const path: string[] = [];
  let k = nodes.find((n) => !ordered.has(n.key))!.key;
  while (!path.includes(k)) {
    path.push(k);
    k = byKey.get(k)!.dependsOn.find((d) => !ordered.has(d))!;
  }
  return [...path.slice(path.indexOf(k)), k];
}

export type WalkResult = Map<string, { status: "done" | "failed" | "skipped"; error?: unknown }>;

/**
 * Runs `run` for every node once all its dependencies are done, at most `concurrency` at a time (a semaphore
 * around node execution, as Terraform's walker). A failure skips only the nodes downstream of it; an aborted
 * signal stops new nodes from starting while those in flight finish.
 */
export async function walk(nodes: readonly Node[], run: (key: string) => Promise<void>, options: { concurrency: number; signal?: AbortSignal }): Promise<WalkResult> {
  topoOrder(nodes); // validates and rejects cycles before anything runs
  const result: WalkResult = new Map();
  const dependents = reverseEdges(nodes);
  const waiting = new Map(nodes.map((n) => [n.key, new Set(n.dependsOn)]));
  const queue: string[] = nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.key);
  let running = 0;
  return new Promise((resolve) => {
    const pump = () => {
      while (running < options.concurrency && queue.length && !options.signal?.aborted) {
        const k = queue.shift()!;
        running++;
        run(k).then(
          () => {
            result.set(k, { status: "done" });
            for (const d of dependents.get(k)!) {
              const w = waiting.get(d)!;
              w.delete(k);
              if (w.size === 0) queue.push(d);
            }
          },
          // Its dependents never start: they wait for it to be done, and end skipped below.
          (error: unknown) => result.set(k, { status: "failed", error }),
        ).finally(() => {
          running--;
          pump();
        });
      }
      // Nothing running: the queue is empty or the signal aborted (the loop above stops only then).
      if (running === 0) {
        for (const n of nodes) if (!result.has(n.key)) result.set(n.key, { status: "skipped" });
        resolve(result);
      }
    };
    pump();
  });
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
