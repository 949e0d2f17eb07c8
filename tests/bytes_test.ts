import assert from "node:assert/strict";
import { checkBytes, checkLength, concat, concatAll } from "../core/bytes.ts";

Deno.test("concatAll() joins 0, 1, 2 and 200,000 parts in order", () => {
  const many = Array.from({ length: 200_000 }, (_, i) => new Uint8Array([i & 0xff]));
  const cases: [Uint8Array[], Uint8Array][] = [
    [[], new Uint8Array(0)],
    [[new Uint8Array([1, 2])], new Uint8Array([1, 2])],
    [[new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])], new Uint8Array([1, 2, 3])],
    [many, Uint8Array.from(many, (p) => p[0])],
  ];
  for (const [parts, expected] of cases) {
    assert.deepEqual(concatAll(parts), expected);
    if (parts.length < 10) assert.deepEqual(concat(...parts), expected);
  }
});

Deno.test("concatAll() returns a new array, never a caller's buffer", () => {
  const part = new Uint8Array([7, 8]);
  const out = concatAll([part]);
  out[0] = 0;
  assert.deepEqual(part, new Uint8Array([7, 8]));
});

Deno.test("checkBytes() and checkLength() accept Uint8Arrays and throw TypeError/RangeError by name", () => {
  checkBytes("data", new Uint8Array(0));
  checkLength("key", new Uint8Array(32), 32);
  const notBytes = [1, 2] as unknown as Uint8Array;
  assert.throws(() => checkBytes("data", notBytes), new TypeError("data must be a Uint8Array"));
  assert.throws(() => checkLength("key", notBytes, 2), new TypeError("key must be a Uint8Array"));
  for (const length of [31, 33]) {
    assert.throws(
      () => checkLength("key", new Uint8Array(length), 32),
      new RangeError(`key must be 32 bytes, got ${length}`),
    );
  }
});
