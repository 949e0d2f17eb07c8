import assert from "node:assert/strict";
import { createDocument, deriveKeys, encodeDocument } from "../../core/identity/mod.ts";
import {
  meteorIdOfKey,
  parseDhtConfig,
  recordKey,
  recordValidator,
  selectRecord,
} from "../../plugins/dht/mod.ts";
import { datastoreKey } from "../../plugins/dht/service.ts";

const keys = await deriveKeys(new Uint8Array(32).fill(7));
const other = await deriveKeys(new Uint8Array(32).fill(8));
const key = recordKey(keys.meteorId);
const doc = async (sequence: number, k = keys) =>
  encodeDocument(await createDocument(k, { sequence, issuedAt: 1_000_000 }));
const NOW = 2_000_000;

Deno.test("recordKey() is /meteor/id/ and the 32 bytes; meteorIdOfKey() inverts it", () => {
  assert.equal(key.length, 43);
  assert.equal(new TextDecoder().decode(key.subarray(0, 11)), "/meteor/id/");
  assert.deepEqual(meteorIdOfKey(key), keys.meteorId);
  for (const bad of [key.subarray(0, 42), new Uint8Array([...key, 0]), new Uint8Array(43)]) {
    assert.throws(() => meteorIdOfKey(bad), { code: "E_MALFORMED" });
  }
  assert.throws(() => recordKey(new Uint8Array(31)), RangeError);
});

Deno.test("datastoreKey() is where kad-dht stores a record: /dht/record/<base32 of the key>", () => {
  assert.equal(datastoreKey(new TextEncoder().encode("/a")).toString(), "/dht/record/f5qq");
});

Deno.test("recordValidator() accepts a valid document and refuses each bad one with its code", async () => {
  const held = await doc(5);
  const rejected: string[] = [];
  const validate = recordValidator({
    stored: () => Promise.resolve(held),
    rejected: (code) => rejected.push(code),
    now: () => NOW,
  });
  await validate(key, await doc(5));
  await validate(key, await doc(6));
  const flipped = await doc(7);
  flipped[flipped.length - 1] ^= 1;
  const cases: [string, Uint8Array, Uint8Array][] = [
    ["E_BAD_SIGNATURE", key, flipped],
    ["E_ID_MISMATCH", key, await doc(9, other)],
    ["E_REPLAY", key, await doc(4)],
    ["E_MALFORMED", key, new Uint8Array(0)],
    ["E_MALFORMED", key, (await doc(8)).subarray(0, 4000)],
    ["E_TOO_LARGE", key, new Uint8Array(16 * 1024 + 1)],
    ["E_MALFORMED", new TextEncoder().encode("/meteor/id/x"), await doc(8)],
  ];
  for (const [code, k, value] of cases) {
    await assert.rejects(validate(k, value), { code }, code);
  }
  assert.deepEqual(rejected, cases.map(([code]) => code));
  const late = recordValidator({
    stored: () => Promise.resolve(null),
    rejected: () => {},
    now: () => 1_000_000 + 31 * 86_400_000,
  });
  await assert.rejects(late(key, await doc(9)), { code: "E_EXPIRED" });
});

Deno.test("recordValidator() ignores a held record that is expired or unreadable", async () => {
  for (const held of [new Uint8Array([1, 2, 3]), await doc(50)]) {
    const validate = recordValidator({
      stored: () => Promise.resolve(held),
      rejected: () => {},
      now: () => (held.length === 3 ? NOW : 1_000_000 + 30 * 86_400_000 + 1),
    });
    const fresh = encodeDocument(
      await createDocument(keys, { sequence: 3, issuedAt: 1_000_000 + 30 * 86_400_000 }),
    );
    await validate(key, held.length === 3 ? await doc(3) : fresh);
  }
});

Deno.test("selectRecord() picks the highest sequence, the first of equals, never garbage", async () => {
  const [a, b, c] = [await doc(3), await doc(9), await doc(9)];
  assert.equal(selectRecord(key, [a, b, c]), 1);
  assert.equal(selectRecord(key, [new Uint8Array(5), a]), 1);
  assert.equal(selectRecord(key, [a]), 0);
});

Deno.test("parseDhtConfig() takes defaults and refuses bad keys by name", () => {
  assert.deepEqual(parseDhtConfig(undefined), parseDhtConfig({}));
  assert.equal(parseDhtConfig({ resolveTimeoutMs: 500 }).resolveTimeoutMs, 500);
  const bad: [unknown, RegExp][] = [
    [[], /pluginConfig\.dht" must be an object/],
    [{ nope: 1 }, /dht\.nope/],
    [{ clientMode: "no" }, /dht\.clientMode/],
    [{ resolveTimeoutMs: 0 }, /dht\.resolveTimeoutMs/],
    [{ republishMs: 3 * 86_400_000 }, /dht\.republishMs/],
    [{ protocol: "kad" }, /dht\.protocol/],
    [{ protocol: "/ipfs/kad/1.0.0" }, /publicDht/],
  ];
  for (const [raw, message] of bad) {
    assert.throws(() => parseDhtConfig(raw), { code: "E_BAD_CONFIG", message });
  }
});
