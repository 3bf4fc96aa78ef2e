import { masked } from "../engine/plan.js";

/** Where the CLI writes and how: the only module that knows about terminals, colours and secrets. */
export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  /** `columns` and the "resize" event are a terminal's (tty.WriteStream); the live area needs both. */
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number; on?(event: "resize", listener: () => void): unknown; off?(event: "resize", listener: () => void): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Color = keyof typeof CODES;

export class Output {
  private readonly sources: (() => Iterable<string | undefined>)[] = [];
  readonly color: boolean;
  /** Plain lines instead of redrawn rows: CI, pipes, or asked for. */
  readonly live: boolean;

  constructor(readonly io: Io, options: { color?: boolean; showSecrets?: boolean } = {}) {
    const env = io.env;
    this.color = options.color !== false && !env.NO_COLOR && !!io.stdout.isTTY && env.TERM !== "dumb";
    this.live = !!io.stderr.isTTY && !env.CI && env.TERM !== "dumb";
    this.showSecrets = options.showSecrets ?? false;
  }
  private readonly showSecrets: boolean;

  /**
   * Where values that must never be printed come from (the outputs resources mark `sensitive`); read at each
   * write, as secrets appear mid-run.
   */
  addSecretsFrom(source: () => Iterable<string | undefined>): void {
    this.sources.push(source);
  }

  redact(text: string): string {
    if (this.showSecrets) return text;
    return masked(text, this.sources.flatMap((source) => [...source()].filter((v): v is string => !!v))) as string;
  }

  paint(color: Color, text: string): string {
    return this.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
  }

  out(line = ""): void { this.above(() => this.io.stdout.write(this.redact(line) + "\n"), !!this.io.stdout.isTTY); }
  err(line = ""): void { this.above(() => this.io.stderr.write(this.redact(line) + "\n"), true); }
  json(value: unknown): void { this.out(JSON.stringify(value, null, 2)); }
  /** `--debug` lines: dimmed, on stderr. */
  readonly debug = (line: string): void => this.err(this.paint("dim", line));

  /**
   * The live area: rows redrawn in place at the bottom of the terminal (only when `live`). Each row is cut to
   * the terminal's width, as a row that wraps takes more lines than the redraw moves up over (a 250-character
   * error would repeat its row on every redraw). Lines printed meanwhile go above the area, so an interrupt
   * notice is never overwritten; once `settled` (nothing in flight) the next line freezes it on screen instead.
   */
  showLive(lines: string[], settled: boolean): void {
    if (!this.area) {
      this.area = { lines: [], drawn: [], settled, onResize: () => this.redrawLive() };
      this.io.stderr.on?.("resize", this.area.onResize);
    }
    this.area.settled = settled;
    this.area.lines = lines.map((l) => this.redact(l));
    this.redrawLive();
  }

  /** Whether rows shown with `showLive` are still redrawn (false once frozen by a line printed after them). */
  get liveShown(): boolean { return !!this.area; }

  /** `lines` as given (redacted), `drawn` as on screen now (cut to the width at the time). */
  private area?: { lines: string[]; drawn: string[]; settled: boolean; onResize: () => void };

  private redrawLive(): void {
    const area = this.area!;
    const width = Math.max(20, (this.io.stderr.columns ?? 80) - 1);
    const cut = area.lines.map((l) => truncate(l, width));
    this.io.stderr.write(this.eraseLive() + cut.map((l) => `${l}\n`).join(""));
    area.drawn = cut;
  }

  /** Moves up over the area and clears to the end of the screen; after a resize, rows may have wrapped. */
  private eraseLive(): string {
    const width = this.io.stderr.columns ?? 80;
    const rows = (this.area?.drawn ?? []).reduce((n, l) => n + Math.max(1, Math.ceil(visibleLength(l) / width)), 0);
    return rows ? `\x1b[${rows}F\x1b[J` : "";
  }

  /** Prints above the live area (on the same terminal), or below it once it has settled. */
  private above(write: () => unknown, sameTerminal: boolean): void {
    const area = this.area;
    if (!area || !sameTerminal) return void write();
    if (area.settled) {
      this.io.stderr.off?.("resize", area.onResize);
      this.area = undefined;
      return void write();
    }
    this.io.stderr.write(this.eraseLive());
    area.drawn = [];
    write();
    this.redrawLive();
  }

}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const visibleLength = (s: string) => s.replace(ANSI, "").length;

/** Cuts a line to `width` visible characters, keeping colour codes whole and resetting them after the cut. */
export function truncate(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = "";
  let seen = 0;
  for (let i = 0; i < line.length && seen < width - 1; ) {
    const code = /^\x1b\[[0-9;]*[A-Za-z]/.exec(line.slice(i));
    if (code) {
      out += code[0];
      i += code[0].length;
    } else {
      out += line[i++];
      seen++;
    }
  }
  return `${out}…${line.includes("\x1b[") ? "\x1b[0m" : ""}`;
}
