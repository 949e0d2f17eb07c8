import assert from "node:assert/strict";
import { concat, concatAll } from "../core/bytes.ts";

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
