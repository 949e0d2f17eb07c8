import assert from "node:assert/strict";
import {
  ERROR_CODE_PATTERN,
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeSpec,
  isErrorCode,
  isMeteorError,
  MeteorError,
  registeredErrorCode,
  registerErrorCodes,
  unregisterErrorCodes,
} from "../core/errors.ts";

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

declare module "../core/errors.ts" {
  interface ErrorCodeMap {
    /** A code a plugin adds by augmentation. */
    E_TEST_AUGMENTED: true;
  }
}

Deno.test("ErrorCodeMap is extended by interface augmentation; the core's codes stay in it", () => {
  const err = new MeteorError("E_TEST_AUGMENTED", "Cannot test: augmented");
  assert.equal(err.code, "E_TEST_AUGMENTED");
  // @ts-expect-error: a code nobody declared does not compile.
  assert.equal(new MeteorError("E_NOT_DECLARED_ANYWHERE", "x").code, "E_NOT_DECLARED_ANYWHERE");
  const core: ErrorCode[] = Object.values(ERROR_CODES);
  assert.ok(core.includes("E_MALFORMED") && core.every((c) => ERROR_CODE_PATTERN.test(c)));
});

Deno.test("registerErrorCodes() accepts well-formed new codes and refuses malformed, core and taken ones", () => {
  const spec = { status: 403, description: "A credential was revoked" };
  registerErrorCodes("test-owner-a", { E_TEST_TAKEN: spec });
  try {
    const cases: [string, Record<string, ErrorCodeSpec>, RegExp | null][] = [
      ["accepted", { E_TEST_REVOKED: spec, E_TEST_2FA_NEEDED: { ...spec, status: 401 } }, null],
      ["same owner again", { E_TEST_REVOKED: { ...spec, status: 410 } }, null],
      ["lower case", { e_test_lower: spec }, /not of the form/],
      ["no prefix", { TEST_CODE: spec }, /not of the form/],
      ["empty name", { E_: spec }, /not of the form/],
      ["digit first", { E_1TEST: spec }, /not of the form/],
      ["dash", { "E_TEST-DASH": spec }, /not of the form/],
      ["trailing newline", { "E_TEST\n": spec }, /not of the form/],
      ["core code", { E_MALFORMED: spec }, /core code/],
      ["core code E_INTERNAL", { E_INTERNAL: spec }, /core code/],
      ["another owner's", { E_TEST_TAKEN: spec }, /"test-owner-a" registered it/],
      ["status 200", { E_TEST_OK: { ...spec, status: 200 } }, /400 to 599/],
      ["status 600", { E_TEST_OK: { ...spec, status: 600 } }, /400 to 599/],
      ["status 404.5", { E_TEST_OK: { ...spec, status: 404.5 } }, /400 to 599/],
      ["no description", { E_TEST_OK: { ...spec, description: " " } }, /description/],
      // All or none: the good code beside a bad one is not registered either.
      ["one bad of two", { E_TEST_GOOD: spec, E_MALFORMED: spec }, /core code/],
    ];
    for (const [what, codes, refused] of cases) {
      if (refused === null) {
        registerErrorCodes("test-owner-b", codes);
        for (const [code, { status }] of Object.entries(codes)) {
          assert.deepEqual(registeredErrorCode(code), { ...codes[code], owner: "test-owner-b" });
          assert.equal(registeredErrorCode(code)?.status, status, what);
          assert.ok(isErrorCode(code), what);
        }
        continue;
      }
      assert.throws(() => registerErrorCodes("test-owner-b", codes), (err) => {
        assert.ok(isMeteorError(err, "E_PLUGIN"), what);
        assert.match(err.message, /^Cannot register error code .* of "test-owner-b": /, what);
        assert.match(err.message, refused, what);
        return true;
      });
    }
    assert.equal(registeredErrorCode("E_TEST_GOOD"), undefined);
    assert.equal(isErrorCode("E_TEST_GOOD"), false);
    assert.equal(registeredErrorCode("E_MALFORMED"), undefined, "core codes are not registrations");
    assert.equal(isErrorCode("E_MALFORMED"), true);
    unregisterErrorCodes("test-owner-b");
    assert.equal(isErrorCode("E_TEST_REVOKED"), false);
    assert.equal(registeredErrorCode("E_TEST_TAKEN")?.owner, "test-owner-a");
  } finally {
    unregisterErrorCodes("test-owner-a");
    unregisterErrorCodes("test-owner-b");
  }
});
