import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CHUNK_SIZE,
  decrypt,
  decryptStream,
  decryptString,
  encrypt,
  encryptStream,
  encryptString,
  HybridIdentity,
  type Recipient,
  ScryptIdentity,
  ScryptRecipient,
  X25519Identity,
} from "../../core/age/mod.ts";
import { readAll } from "../../core/age/_io.ts";
import { fromUtf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * 1024 * 1024 + 3];
const me = HybridIdentity.generate();
const myRecipient = await me.recipient();

Deno.test("encrypt() then decrypt() round-trips every size, binary and armored", async () => {
  for (const size of SIZES) {
    const plaintext = randomBytes(size);
    for (const armor of [false, true]) {
      const file = await encrypt(plaintext, [myRecipient], { armor });
      assert.equal(fromUtf8(file.subarray(0, 10)), armor ? "-----BEGIN" : "age-encryp");
      assert.deepEqual(await decrypt(file, [me]), plaintext, `size ${size} armor ${armor}`);
    }
  }
});

Deno.test("encrypt() never writes the same file twice and does not touch its input", async () => {
  const plaintext = randomBytes(100);
  const copy = plaintext.slice();
  const a = await encrypt(plaintext, [myRecipient]);
  const b = await encrypt(plaintext, [myRecipient]);
  assert.notDeepEqual(a, b);
  assert.deepEqual(plaintext, copy);
});

Deno.test("a file for several recipients decrypts with each identity alone", async () => {
  const h = HybridIdentity.generate();
  const x1 = await X25519Identity.generate();
  const x2 = await X25519Identity.generate();
  const plaintext = randomBytes(CHUNK_SIZE + 1);
  for (
    const identities of [[me, h], [x1, x2]] as (HybridIdentity | X25519Identity)[][]
  ) {
    const recipients = await Promise.all(identities.map((i) => i.recipient()));
    const file = await encrypt(plaintext, recipients);
    for (const identity of identities) {
      assert.deepEqual(await decrypt(file, [identity]), plaintext);
    }
    const stranger = HybridIdentity.generate();
    await assert.rejects(
      decrypt(file, [stranger]),
      (e) => isMeteorError(e, "E_NO_MATCHING_IDENTITY"),
    );
    // The first identity that matches is enough; others are not needed.
    assert.deepEqual(await decrypt(file, [stranger, identities[1]]), plaintext);
  }
});

Deno.test("encrypt() refuses to mix post-quantum and classical recipients", async () => {
  const pq = await HybridIdentity.generate().recipient();
  const x = (await X25519Identity.generate()).recipient();
  const x2 = (await X25519Identity.generate()).recipient();
  const cases: [string, Recipient[]][] = [
    ["classical, post-quantum", [x, myRecipient]],
    ["post-quantum, classical", [myRecipient, x]],
    ["two post-quantum, one classical", [myRecipient, pq, x]],
    ["one post-quantum, two classical", [x, myRecipient, x2]],
  ];
  for (const [name, recipients] of cases) {
    await assert.rejects(
      encrypt(randomBytes(10), recipients),
      (e) =>
        isMeteorError(e, "E_BAD_RECIPIENT") &&
        e.message ===
          "Cannot encrypt: post-quantum and classical recipients cannot be mixed " +
            "(the file would only be classically secure)",
      name,
    );
  }
});

Deno.test("encryptString() writes armor that decryptString() reads back", async () => {
  for (const text of ["", "hello", "😀 ünïcödé", "x".repeat(100_000)]) {
    const armored = await encryptString(text, [myRecipient]);
    assert.ok(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert.equal(await decryptString(armored, [me]), text);
  }
});

Deno.test("a passphrase file round-trips and cannot be mixed with other recipients", async () => {
  const plaintext = randomBytes(10);
  const file = await encrypt(plaintext, [new ScryptRecipient("secret", 4)]);
  assert.deepEqual(await decrypt(file, [new ScryptIdentity("secret")]), plaintext);
  await assert.rejects(
    decrypt(file, [new ScryptIdentity("wrong")]),
    (e) => isMeteorError(e, "E_NO_MATCHING_IDENTITY"),
  );
  await assert.rejects(
    encrypt(plaintext, [new ScryptRecipient("secret", 4), myRecipient]),
    (e) => isMeteorError(e, "E_BAD_RECIPIENT"),
  );
});

Deno.test("encrypt() and decrypt() refuse empty recipient and identity lists", async () => {
  await assert.rejects(encrypt(new Uint8Array(1), []), TypeError);
  await assert.rejects(decrypt(new Uint8Array(1), []), TypeError);
});

/** A stream of `total` pseudo-random bytes in `piece`-sized parts, never all in memory. */
function generated(total: number, piece: number, seed: number) {
  let sent = 0;
  let x = seed;
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(piece, total - sent);
      const part = new Uint8Array(n);
      for (let i = 0; i < n; i++) part[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      sent += n;
      state.pulled++;
      controller.enqueue(part);
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

Deno.test("encryptStream() and decryptStream() stream 12 MiB through in odd pieces", async () => {
  const total = 12 * 1024 * 1024 + 7;
  for (const armor of [false, true]) {
    const source = generated(total, 100_003, 7);
    const file = await encryptStream(source.stream, [myRecipient], { armor });
    const plaintext = await decryptStream(file, [me]);
    const got = createHash("sha256");
    let seen = 0;
    for await (const part of plaintext) {
      got.update(part);
      seen += part.length;
    }
    const want = createHash("sha256");
    for await (const part of generated(total, 1 << 20, 7).stream) want.update(part);
    assert.equal(got.digest("hex"), want.digest("hex"));
    assert.equal(seen, total);
  }
});

Deno.test("encryptStream() pulls its input only as its output is read", async () => {
  const source = generated(100 * CHUNK_SIZE, CHUNK_SIZE, 1);
  const file = (await encryptStream(source.stream, [myRecipient])).getReader();
  await file.read(); // The header and nonce.
  await file.read(); // The first sealed chunk.
  // Two windows of 16 (one sealing, the next read meanwhile) and one chunk of look-ahead.
  assert.ok(source.state.pulled <= 34, `pulled ${source.state.pulled} of 100 chunks`);
  await file.cancel();
});

Deno.test("decrypt() reads armored input with and without auto-detection", async () => {
  const plaintext = randomBytes(500);
  const armored = await encrypt(plaintext, [myRecipient], { armor: true });
  assert.deepEqual(await decrypt(armored, [me], { armor: true }), plaintext);
  assert.deepEqual(await decrypt(armored, [me]), plaintext);
  const padded = new Uint8Array([0x20, 0x0a, ...armored]);
  assert.deepEqual(await decrypt(padded, [me]), plaintext);
  await assert.rejects(
    decrypt(armored, [me], { armor: false }),
    (e) => isMeteorError(e, "E_HEADER_INVALID"),
  );
  const binary = await encrypt(plaintext, [myRecipient]);
  await assert.rejects(
    decrypt(binary, [me], { armor: true }),
    (e) => isMeteorError(e, "E_ARMOR_INVALID"),
  );
});

Deno.test("cancelling the output of encryptStream() cancels its input", async () => {
  let cancelled = false;
  const input = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(CHUNK_SIZE));
    },
    cancel() {
      cancelled = true;
    },
  });
  const out = await encryptStream(input, [myRecipient]);
  const reader = out.getReader();
  await reader.read();
  await reader.cancel();
  assert.ok(cancelled);
  assert.ok(
    (await readAll(await encryptStream(ReadableStream.from([]), [myRecipient]))).length > 0,
  );
});
