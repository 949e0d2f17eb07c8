import assert from "node:assert/strict";
import {
  decrypt,
  encrypt,
  HybridIdentity,
  ScryptIdentity,
  ScryptRecipient,
  X25519Identity,
} from "../../core/age/mod.ts";

/**
 * Runs `work` recording a copy of every Uint8Array that is zero-filled
 * (wipe() does `fill(0)`), with the array itself: what it held, and whether
 * it is all zeros afterwards.
 */
function wipedDuring(work: () => void): { before: Uint8Array; after: Uint8Array }[] {
  const seen: { before: Uint8Array; after: Uint8Array }[] = [];
  const fill = Uint8Array.prototype.fill;
  Uint8Array.prototype.fill = function (this: Uint8Array, ...args: Parameters<typeof fill>) {
    if (args[0] === 0 && args.length === 1) seen.push({ before: this.slice(), after: this });
    return fill.apply(this, args);
  };
  try {
    work();
  } finally {
    Uint8Array.prototype.fill = fill;
  }
  return seen;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

Deno.test("HybridIdentity.dispose() zeroes the seed, and the identity then refuses use", async () => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const identity = new HybridIdentity(seed);
  const file = await encrypt(new Uint8Array(3), [await identity.recipient()]);
  const wiped = wipedDuring(() => identity.dispose());
  const copy = wiped.find((w) => equal(w.before, seed));
  assert.ok(copy !== undefined, "no copy of the seed was wiped");
  assert.ok(copy.after.every((b) => b === 0));
  assert.throws(() => identity.toString(), TypeError);
  await assert.rejects(identity.recipient(), TypeError);
  await assert.rejects(decrypt(file, [identity]), TypeError);
});

Deno.test("X25519Identity [Symbol.dispose] zeroes the secret, and the identity then refuses use", async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const identity = await X25519Identity.fromSecret(secret);
  const file = await encrypt(new Uint8Array(3), [identity.recipient()]);
  const wiped = wipedDuring(() => identity[Symbol.dispose]());
  const copy = wiped.find((w) => equal(w.before, secret));
  assert.ok(copy !== undefined, "no copy of the secret was wiped");
  assert.ok(copy.after.every((b) => b === 0));
  assert.throws(() => identity.toString(), TypeError);
  assert.throws(() => identity.recipient(), TypeError);
  await assert.rejects(decrypt(file, [identity]), TypeError);
});

Deno.test("ScryptRecipient and ScryptIdentity dispose() zero the passphrase bytes", async () => {
  const bytes = new TextEncoder().encode("correct horse");
  const recipient = new ScryptRecipient("correct horse", 2);
  const identity = new ScryptIdentity("correct horse");
  const file = await encrypt(new Uint8Array(3), [recipient]);
  assert.deepEqual(await decrypt(file, [identity]), new Uint8Array(3));
  for (const holder of [recipient, identity]) {
    const wiped = wipedDuring(() => holder.dispose());
    const copy = wiped.find((w) => equal(w.before, bytes));
    assert.ok(copy !== undefined, "no copy of the passphrase was wiped");
    assert.ok(copy.after.every((b) => b === 0));
  }
  await assert.rejects(recipient.wrap(new Uint8Array(16)), TypeError);
  await assert.rejects(decrypt(file, [identity]), TypeError);
});
