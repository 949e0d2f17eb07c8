import assert from "node:assert/strict";
import { base58 } from "@scure/base";
import { base58Encode } from "../../core/identity/_base58.ts";

Deno.test("base58Encode() agrees with @scure/base, leading zeros and empty input included", () => {
  const inputs: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array([0]),
    new Uint8Array([0, 0, 1]),
    new Uint8Array([57]),
    new Uint8Array([58]),
    new Uint8Array(38).fill(0xff),
    new Uint8Array(38),
  ];
  for (let length = 1; length <= 40; length++) {
    inputs.push(crypto.getRandomValues(new Uint8Array(length)));
    const withZeros = crypto.getRandomValues(new Uint8Array(length));
    withZeros.fill(0, 0, Math.min(3, length));
    inputs.push(withZeros);
  }
  for (const bytes of inputs) assert.equal(base58Encode(bytes), base58.encode(bytes), `${bytes}`);
  // draft-msporny-base58 §5 test vector.
  assert.equal(base58Encode(new TextEncoder().encode("Hello World!")), "2NEpo7TZRRrLZSi2U");
});
