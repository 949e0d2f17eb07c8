import assert from "node:assert/strict";
import * as typage from "age-encryption";
import {
  decrypt,
  encrypt,
  HybridIdentity,
  type Identity,
  parseIdentity,
  parseRecipient,
  type Recipient,
  ScryptIdentity,
  ScryptRecipient,
  X25519Identity,
} from "../../core/age/mod.ts";
import { fromUtf8, utf8 } from "../../core/bytes.ts";
import { randomBytes } from "../crypto/_random.ts";

// typage (npm age-encryption) is an independent implementation of the same
// specification: each side must read what the other writes.

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 17];

interface Pair {
  kind: string;
  identity: string;
  recipient: string;
}

const pairs: Pair[] = await Promise.all([
  (async () => {
    const identity = await typage.generateX25519Identity();
    return { kind: "X25519", identity, recipient: await typage.identityToRecipient(identity) };
  })(),
  (async () => {
    const identity = await typage.generateHybridIdentity();
    return { kind: "hybrid", identity, recipient: await typage.identityToRecipient(identity) };
  })(),
]);

async function typageDecrypt(file: Uint8Array, identity: string, armored: boolean) {
  const d = new typage.Decrypter();
  d.addIdentity(identity);
  return await d.decrypt(armored ? typage.armor.decode(fromUtf8(file)) : file);
}

async function typageEncrypt(plaintext: Uint8Array, recipients: string[], armored: boolean) {
  const e = new typage.Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const file = await e.encrypt(plaintext);
  return armored ? utf8(typage.armor.encode(file)) : file;
}

for (const pair of pairs) {
  for (const armored of [false, true]) {
    const how = `${pair.kind}${armored ? ", armored" : ""}`;

    Deno.test(`typage decrypts what encrypt() writes (${how}, sizes 0 to 3 MiB)`, async () => {
      const recipient = parseRecipient(pair.recipient);
      for (const size of SIZES) {
        const plaintext = randomBytes(size);
        const file = await encrypt(plaintext, [recipient], { armor: armored });
        assert.deepEqual(
          await typageDecrypt(file, pair.identity, armored),
          plaintext,
          `size ${size}`,
        );
      }
    });

    Deno.test(`decrypt() reads what typage writes (${how}, sizes 0 to 3 MiB)`, async () => {
      const identity = await parseIdentity(pair.identity);
      for (const size of SIZES) {
        const plaintext = randomBytes(size);
        const file = await typageEncrypt(plaintext, [pair.recipient], armored);
        assert.deepEqual(await decrypt(file, [identity]), plaintext, `size ${size}`);
      }
    });
  }
}

Deno.test("typage decrypts a multi-recipient file with each of its identities", async () => {
  // One file per kind: age never mixes post-quantum and classical recipients.
  for (const pair of pairs) {
    const ours = pair.kind === "hybrid"
      ? HybridIdentity.generate()
      : await X25519Identity.generate();
    const recipients: Recipient[] = [parseRecipient(pair.recipient), await ours.recipient()];
    const plaintext = randomBytes(70000);
    const file = await encrypt(plaintext, recipients);
    assert.deepEqual(await typageDecrypt(file, pair.identity, false), plaintext, pair.kind);
    assert.deepEqual(await typageDecrypt(file, ours.toString(), false), plaintext, pair.kind);
  }
});

// typage writes a file mixing post-quantum and classical recipients (which
// encrypt() refuses to write, as age does); decrypt() still reads one.
Deno.test("decrypt() reads a typage multi-recipient file with each identity", async () => {
  const plaintext = randomBytes(1000);
  const file = await typageEncrypt(plaintext, pairs.map((p) => p.recipient), true);
  for (const pair of pairs) {
    const identities: Identity[] = [
      await X25519Identity.generate(),
      await parseIdentity(pair.identity),
    ];
    assert.deepEqual(await decrypt(file, identities), plaintext);
  }
});

Deno.test("identities and recipients round-trip between Meteor and typage encodings", async () => {
  const hybrid = HybridIdentity.generate();
  assert.equal(
    await typage.identityToRecipient(hybrid.toString()),
    (await hybrid.recipient()).toString(),
  );
  const x25519 = await X25519Identity.generate();
  assert.equal(await typage.identityToRecipient(x25519.toString()), x25519.recipient().toString());
  for (const pair of pairs) {
    assert.equal((await parseIdentity(pair.identity)).toString(), pair.identity);
    assert.equal(parseRecipient(pair.recipient).toString(), pair.recipient);
  }
});

Deno.test("scrypt files round-trip between Meteor and typage", async () => {
  const plaintext = utf8("passphrase protected");
  const ours = await encrypt(plaintext, [new ScryptRecipient("correct horse", 10)]);
  const d = new typage.Decrypter();
  d.addPassphrase("correct horse");
  assert.deepEqual(await d.decrypt(ours), plaintext);
  const e = new typage.Encrypter();
  e.setPassphrase("battery staple");
  e.setScryptWorkFactor(10);
  const theirs = await e.encrypt(plaintext);
  assert.deepEqual(await decrypt(theirs, [new ScryptIdentity("battery staple")]), plaintext);
});
