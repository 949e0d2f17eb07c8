import assert from "node:assert/strict";
import { Decrypter, Encrypter, identityToRecipient } from "age-encryption";
import { decrypt, encrypt, HybridIdentity, HybridRecipient } from "../../core/age/mod.ts";
import { ageIdentity, ageRecipient, deriveKeys } from "../../core/identity/mod.ts";

const KEYS = await deriveKeys(new Uint8Array(32).fill(0x33));

Deno.test("ageRecipient() and ageIdentity() encode the node's X-Wing keys", async () => {
  const recipient = ageRecipient(KEYS.publicKeys);
  const identity = ageIdentity(KEYS.seeds);
  assert.match(recipient, /^age1pq1[02-9ac-hj-np-z]+$/);
  assert.match(identity, /^AGE-SECRET-KEY-PQ-1[02-9AC-HJ-NP-Z]+$/);
  assert.deepEqual(HybridRecipient.parse(recipient).publicKey, KEYS.publicKeys.xwing);
  assert.equal((await HybridIdentity.parse(identity).recipient()).toString(), recipient);
});

Deno.test("ageRecipient() and ageIdentity() interoperate with typage (age-encryption)", async () => {
  const recipient = ageRecipient(KEYS.publicKeys);
  const identity = ageIdentity(KEYS.seeds);
  assert.equal(await identityToRecipient(identity), recipient);

  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  const fromTypage = await encrypter.encrypt("to the node");
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  assert.equal(await decrypter.decrypt(fromTypage, "text"), "to the node");

  const ours = await encrypt(new TextEncoder().encode("from meteor"), [
    HybridRecipient.parse(recipient),
  ]);
  assert.equal(await decrypter.decrypt(ours, "text"), "from meteor");
  const back = await decrypt(fromTypage, [HybridIdentity.parse(identity)]);
  assert.equal(new TextDecoder().decode(back), "to the node");
});
