import assert from "node:assert/strict";
import {
  API_TOKEN_PREFIX,
  apiTokenMatches,
  ensureApiToken,
  generateApiToken,
  parseApiToken,
  readApiToken,
} from "../../core/api_token.ts";
import { isMeteorError } from "../../core/errors.ts";
import { redact } from "../../core/logger.ts";

Deno.test("generateApiToken() makes distinct prefixed base64url tokens that the logger redacts", () => {
  const a = generateApiToken();
  const b = generateApiToken();
  assert.notEqual(a, b);
  assert.match(a, /^mtk_[A-Za-z0-9_-]{43}$/);
  assert.ok(a.startsWith(API_TOKEN_PREFIX));
  assert.equal(parseApiToken(` ${a}\n`), a);
  assert.equal(redact(`token was ${a}`), "token was [redacted]");
});

Deno.test("parseApiToken() refuses text that is not token-shaped", () => {
  for (
    const text of [
      "",
      "short",
      "a".repeat(15),
      "a".repeat(257),
      "has space inside xx",
      "ümlautümlautümlaut",
    ]
  ) {
    assert.throws(() => parseApiToken(text), (err) => isMeteorError(err, "E_MALFORMED"), text);
  }
  for (const text of ["a".repeat(16), "a".repeat(256)]) assert.equal(parseApiToken(text), text);
});

Deno.test("apiTokenMatches() accepts only the exact token", () => {
  const token = generateApiToken();
  const cases: [string, boolean][] = [
    [token, true],
    [token + "x", false],
    [token.slice(0, -1), false],
    ["", false],
    [token.toUpperCase(), false],
  ];
  for (const [presented, expected] of cases) {
    assert.equal(apiTokenMatches(token, presented), expected);
  }
});

Deno.test("ensureApiToken() creates a 0600 token once and then keeps it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/api-token`;
  try {
    await assert.rejects(readApiToken(path), (err) => isMeteorError(err, "E_NOT_FOUND"));
    const first = await ensureApiToken(path);
    assert.equal(first.created, true);
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const second = await ensureApiToken(path);
    assert.deepEqual(second, { token: first.token, created: false });
    assert.equal(await readApiToken(path), first.token);
    await Deno.writeTextFile(path, "not a token at all!");
    await assert.rejects(ensureApiToken(path), (err) => isMeteorError(err, "E_MALFORMED"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
