import { STATUS_EVERY_MS } from "../engine/poll.js";
import type { EngineEvent } from "../engine/types.js";
import type { Output } from "./output.js";

const formatElapsed = (ms = 0) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
};

const STATUS_COLOR = { done: "green", failed: "red", skipped: "dim", retrying: "yellow", waiting: "cyan" } as const;

const SETTLED = new Set(["done", "failed", "skipped"]);

/**
 * Shows engine events as copilot does: one row per resource (description · status · elapsed) redrawn in
 * place on a terminal, with the failure reason under its row (cut to the terminal's width: the full error is
 * printed once, below, by the command); plain lines in CI or when piped.
 */
export class Progress {
  private rows = new Map<string, EngineEvent>();
  private lastPlain = new Map<string, { sig: string; atMs: number }>();

  constructor(private readonly out: Output) {}

  readonly onEvent = (e: EngineEvent): void => {
    if (this.out.live) {
      // Frozen on screen by a line printed after it settled: a later phase starts a table of its own.
      if (this.rows.size && !this.out.liveShown) this.rows = new Map();
      this.rows.set(e.key, e);
      return this.draw();
    }
    // Plain mode: a line per change of status, not per poll, so CI logs stay readable; a wait that stays the
    // same is said again every STATUS_EVERY_MS (what is awaited, for how long), so a CI log is never silent.
    const line = `${e.title}: ${e.status}${e.message ? ` (${e.message})` : ""}`;
    const sig = `${e.status}:${e.message ?? ""}`;
    const last = this.lastPlain.get(e.key);
    if (last?.sig === sig && e.status === "waiting" && (e.elapsedMs ?? 0) - last.atMs < STATUS_EVERY_MS) return;
    this.lastPlain.set(e.key, { sig, atMs: e.elapsedMs ?? 0 });
    this.out.err(`${line}${e.elapsedMs ? ` [${formatElapsed(e.elapsedMs)}]` : ""}`);
  };

  private draw(): void {
    const lines: string[] = [];
    for (const e of this.rows.values()) {
      const color = STATUS_COLOR[e.status as keyof typeof STATUS_COLOR];
      const status = color ? this.out.paint(color, e.status) : e.status;
      lines.push(`  ${e.title.padEnd(60)} ${status}${e.elapsedMs ? ` ${formatElapsed(e.elapsedMs)}` : ""}`);
      if (e.message && (e.status === "failed" || e.status === "waiting" || e.status === "retrying")) lines.push(`      ${e.message.split("\n")[0]}`);
    }
    this.out.showLive(lines, [...this.rows.values()].every((e) => SETTLED.has(e.status)));
  }
}
