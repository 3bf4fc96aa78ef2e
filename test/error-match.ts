import assert from "node:assert/strict";
import type { UserError } from "../src/errors.js";

/** For `assert.rejects`/`assert.throws`: an error of `type` whose message (and hint, when given) match. */
export const matches = (type: new (...a: never[]) => Error, message: RegExp, hint?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof type, `a ${type.name}, not ${String(e)}`);
  assert.match(e.message, message);
  if (hint) assert.match((e as UserError).hint ?? "", hint);
  return true;
};
