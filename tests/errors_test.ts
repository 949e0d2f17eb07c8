import assert from "node:assert/strict";
import { isMeteorError, MeteorError } from "../core/errors.ts";

Deno.test("MeteorError carries a stable code and serialises without a stack", () => {
  const err = new MeteorError("E_MALFORMED", "Cannot parse input: truncated");
  assert.equal(err.code, "E_MALFORMED");
  assert.equal(err.name, "MeteorError");
  assert.deepEqual(JSON.parse(JSON.stringify(err)), {
    code: "E_MALFORMED",
    message: "Cannot parse input: truncated",
  });
  assert.equal(isMeteorError(err, "E_MALFORMED"), true);
  assert.equal(isMeteorError(err, "E_IO"), false);
  assert.equal(isMeteorError(new Error("x")), false);
});
