import { daylightSavingWarning } from "./schedule.js";
import type { Spec } from "./schema.js";

/**
 * A choice the spec makes that is valid but risky or that AWS will not honour in full: said by `validate`,
 * `plan`, `up` and `doctor` (a warning finding), never an error. `now`: where the schedule's next runs start.
 */
export interface SpecWarning { check: string; message: string; hint?: string }

export function specWarnings(spec: Spec, now: number): SpecWarning[] {
  const warnings: SpecWarning[] = [];
  // The seed asks for DEBUG=True during the POC, and the stack's ALB is always internet-facing: Django's debug
  // pages then show settings and source to anyone who reaches it (docs.djangoproject.com, settings DEBUG:
  // "Never deploy a site into production with DEBUG turned on").
  if (spec.app.debug) {
    warnings.push({
      check: "debug",
      message: "DEBUG=True on a public load balancer: Django's error pages show settings and code to anyone who reaches it",
      hint: 'set "app": { "debug": false } in the spec once the app works',
    });
  }
  const skipped = spec.schedule && daylightSavingWarning(spec.schedule, now);
  if (skipped) warnings.push({ check: "schedule", message: skipped });
  return warnings;
}

/** One line per warning, as the commands print them. */
export const warningLines = (spec: Spec, now: number): string[] =>
  specWarnings(spec, now).map((w) => `warning: ${w.message}${w.hint ? ` (${w.hint})` : ""}`);
