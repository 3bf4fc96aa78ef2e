import type { Finding } from "../stack/doctor.js";
import type { CommandContext } from "./context.js";
import type { Output } from "./output.js";
import { EXIT, openStack } from "./stack-commands.js";

const MARK = { ok: ["green", "ok"], warning: ["yellow", "warning"], error: ["red", "error"] } as const;

/** One line per finding, its hint below it: on stdout for `doctor`, on stderr (problems only) before `up`'s changes. */
export function renderFindings(out: Output, findings: Finding[], print: (line: string) => void = (line) => out.out(line)): void {
  for (const f of findings) {
    const [color, word] = MARK[f.status];
    print(`${out.paint(color, word.padEnd(7))} ${f.check}: ${f.message}`);
    if (f.hint) print(`        → ${f.hint}`);
  }
}

export const hasErrors = (findings: Finding[]) => findings.some((f) => f.status === "error");

/** `doctor`: every preflight check, exit 1 when any is an error (what `up` would stop on, or fail at). */
export async function doctor(c: CommandContext): Promise<number> {
  const stack = await openStack(c);
  const findings = await (await import("../stack/doctor.js")).doctor(stack, c.out.io.env);
  const failed = hasErrors(findings);
  if (c.opts.json) c.out.json({ outcome: failed ? "failed" : "ok", findings });
  else {
    renderFindings(c.out, findings);
    const count = (s: Finding["status"]) => findings.filter((f) => f.status === s).length;
    c.out.err(failed
      ? c.out.paint("red", `${count("error")} error(s), ${count("warning")} warning(s): \`up\` would stop before changing anything.`)
      : c.out.paint("green", `No errors${count("warning") ? ` (${count("warning")} warning(s))` : ""}: nothing found that would stop \`up\`.`));
  }
  return failed ? EXIT.failed : EXIT.ok;
}
