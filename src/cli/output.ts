/** Where the CLI writes and how: the only module that knows about terminals, colours and secrets. */
export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
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
  private showSecrets: boolean;

  /** Where values that must never be printed come from; read at each write, as secrets appear mid-run. */
  addSecretsFrom(source: () => Iterable<string | undefined>): void {
    this.sources.push(source);
  }

  redact(text: string): string {
    if (this.showSecrets) return text;
    let out = text;
    for (const source of this.sources) {
      for (const v of source()) {
        if (!v || v.length < 6) continue;
        out = out.split(v).join("(sensitive)").split(encodeURIComponent(v)).join("(sensitive)");
      }
    }
    return out;
  }

  paint(color: Color, text: string): string {
    return this.color ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
  }

  out(line = ""): void { this.io.stdout.write(this.redact(line) + "\n"); }
  err(line = ""): void { this.io.stderr.write(this.redact(line) + "\n"); }
  json(value: unknown): void { this.out(JSON.stringify(value, null, 2)); }
  /** `--debug` lines: dimmed, on stderr. */
  readonly debug = (line: string): void => this.err(this.paint("dim", line));

  /** Redraws in place on a terminal; a no-op elsewhere (callers print plain lines instead). */
  rewrite(lines: string[], previous: number): void {
    const up = previous > 0 ? `\x1b[${previous}F` : "";
    this.io.stderr.write(up + lines.map((l) => `\x1b[2K${this.redact(l)}`).join("\n") + "\n");
  }
}
