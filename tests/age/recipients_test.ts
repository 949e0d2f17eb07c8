import assert from "node:assert/strict";
import {
  HybridIdentity,
  HybridRecipient,
  parseIdentity,
  parseIdentityFile,
  parseRecipient,
  ScryptIdentity,
  ScryptRecipient,
  type Stanza,
  X25519Identity,
  X25519Recipient,
} from "../../core/age/mod.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

// The example keys of the age specification (C2SP age.md).
const SPEC_X25519_IDENTITY =
  "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
const SPEC_X25519_RECIPIENT = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
const SPEC_HYBRID_IDENTITY =
  "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR";
const SPEC_HYBRID_RECIPIENT_PREFIX =
  "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87p";
const SPEC_HYBRID_RECIPIENT_SUFFIX = "yzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k";

const code = (c: string) => (e: unknown) => isMeteorError(e, c as never);

Deno.test("X25519Identity.recipient() gives the age spec recipient of the spec identity", async () => {
  const identity = await X25519Identity.parse(SPEC_X25519_IDENTITY);
  assert.equal(identity.recipient().toString(), SPEC_X25519_RECIPIENT);
  assert.equal(identity.toString(), SPEC_X25519_IDENTITY);
});

Deno.test("HybridIdentity.recipient() gives the age spec recipient of the spec identity", async () => {
  const identity = HybridIdentity.parse(SPEC_HYBRID_IDENTITY);
  const recipient = (await identity.recipient()).toString();
  assert.ok(recipient.startsWith(SPEC_HYBRID_RECIPIENT_PREFIX));
  assert.ok(recipient.endsWith(SPEC_HYBRID_RECIPIENT_SUFFIX));
  assert.equal(HybridRecipient.parse(recipient).toString(), recipient);
  assert.equal(identity.toString(), SPEC_HYBRID_IDENTITY);
});

Deno.test("each recipient's stanzas unwrap with its identity and no other", async () => {
  const fileKey = randomBytes(16);
  const x = await X25519Identity.generate();
  const h = HybridIdentity.generate();
  const cases: [
    { wrap(k: Uint8Array): Promise<Stanza[]> },
    { unwrap(s: readonly Stanza[]): Promise<Uint8Array | null> },
    string,
  ][] = [
    [x.recipient(), x, "X25519"],
    [await h.recipient(), h, "mlkem768x25519"],
    [new ScryptRecipient("pw", 2), new ScryptIdentity("pw"), "scrypt"],
  ];
  for (const [recipient, identity, type] of cases) {
    const stanzas = await recipient.wrap(fileKey);
    assert.equal(stanzas.length, 1);
    assert.equal(stanzas[0].args[0], type);
    assert.equal(stanzas[0].body.length, 32);
    assert.deepEqual(await identity.unwrap(stanzas), fileKey, type);
  }
  const stanza = (await x.recipient().wrap(fileKey))[0];
  assert.equal(await (await X25519Identity.generate()).unwrap([stanza]), null);
  assert.equal(
    await HybridIdentity.generate().unwrap(await (await h.recipient()).wrap(fileKey)),
    null,
  );
  assert.equal(
    await new ScryptIdentity("other").unwrap(await new ScryptRecipient("pw", 2).wrap(fileKey)),
    null,
  );
  // Stanzas of other types are ignored.
  assert.equal(
    await h.unwrap([stanza, { args: ["example.com/x"], body: new Uint8Array(3) }]),
    null,
  );
});

Deno.test("identities reject malformed stanzas of their own type with E_HEADER_INVALID", async () => {
  const x = await X25519Identity.generate();
  const h = HybridIdentity.generate();
  const fileKey = randomBytes(16);
  const [xs] = await x.recipient().wrap(fileKey);
  const [hs] = await (await h.recipient()).wrap(fileKey);
  const [ss] = await new ScryptRecipient("pw", 2).wrap(fileKey);
  const cases: [{ unwrap(s: readonly Stanza[]): Promise<Uint8Array | null> }, Stanza[], string][] =
    [
      [x, [{ args: ["X25519"], body: xs.body }], "X25519 without share"],
      [x, [{ args: [...xs.args, "extra"], body: xs.body }], "X25519 extra argument"],
      [x, [{ args: ["X25519", xs.args[1] + "A"], body: xs.body }], "X25519 long share"],
      [x, [{ args: xs.args, body: xs.body.subarray(0, 31) }], "X25519 short body"],
      [x, [{ args: ["X25519", "A".repeat(43)], body: xs.body }], "X25519 all-zero share"],
      [h, [{ args: [...hs.args, "extra"], body: hs.body }], "hybrid extra argument"],
      [h, [{ args: ["mlkem768x25519", hs.args[1].slice(4)], body: hs.body }], "hybrid short enc"],
      [h, [{ args: hs.args, body: new Uint8Array(33) }], "hybrid long body"],
      [new ScryptIdentity("pw"), [ss, xs], "scrypt not alone"],
      [
        new ScryptIdentity("pw"),
        [{ args: ["scrypt", ss.args[1], "02"], body: ss.body }],
        "scrypt 02",
      ],
      [
        new ScryptIdentity("pw"),
        [{ args: ["scrypt", ss.args[1], "21"], body: ss.body }],
        "scrypt 21",
      ],
      [new ScryptIdentity("pw", 1), [ss], "scrypt above the chosen limit"],
      [
        new ScryptIdentity("pw"),
        [{ args: ["scrypt", "AAAA", "2"], body: ss.body }],
        "scrypt short salt",
      ],
    ];
  for (const [identity, stanzas, why] of cases) {
    await assert.rejects(identity.unwrap(stanzas), code("E_HEADER_INVALID"), why);
  }
});

Deno.test("parseRecipient() and parseIdentity() accept the native types and reject the rest", async () => {
  assert.ok(parseRecipient(SPEC_X25519_RECIPIENT) instanceof X25519Recipient);
  assert.ok(await parseIdentity(SPEC_HYBRID_IDENTITY) instanceof HybridIdentity);
  assert.ok(await parseIdentity(SPEC_X25519_IDENTITY) instanceof X25519Identity);
  for (
    const bad of [
      "",
      "age1",
      SPEC_X25519_RECIPIENT.toUpperCase(),
      SPEC_X25519_RECIPIENT + "q",
      "age1pq1qqqq",
    ]
  ) {
    assert.throws(() => parseRecipient(bad), code("E_BAD_RECIPIENT"), bad);
  }
  for (
    const bad of [
      "",
      SPEC_X25519_IDENTITY.toLowerCase(),
      SPEC_X25519_IDENTITY.slice(0, -1),
      "AGE-SECRET-KEY-PQ-1Q",
    ]
  ) {
    await assert.rejects(parseIdentity(bad), code("E_MALFORMED"), bad);
  }
});

Deno.test("HybridRecipient rejects a public key failing the FIPS 203 modulus check", () => {
  const key = new Uint8Array(1216).fill(0xff);
  assert.throws(() => new HybridRecipient(key), code("E_BAD_KEY"));
});

Deno.test("X25519Recipient.wrap() refuses a low-order public key with E_BAD_KEY", async () => {
  const recipient = new X25519Recipient(new Uint8Array(32));
  await assert.rejects(recipient.wrap(randomBytes(16)), code("E_BAD_KEY"));
  assert.throws(() => new X25519Recipient(new Uint8Array(31)), RangeError);
});

Deno.test("parseIdentityFile() reads identities, skipping comments and blank lines", async () => {
  const text = `# created: today\n\n${SPEC_X25519_IDENTITY}\r\n  ${SPEC_HYBRID_IDENTITY}  \n`;
  const identities = await parseIdentityFile(text);
  assert.equal(identities.length, 2);
  await assert.rejects(parseIdentityFile("# nothing\n"), code("E_MALFORMED"));
  await assert.rejects(
    parseIdentityFile(`${SPEC_X25519_IDENTITY}\nnot-a-key\n`),
    (e) =>
      isMeteorError(e, "E_MALFORMED") && e.message.includes("line 2") &&
      !e.message.includes("not-a-key"),
  );
  await assert.rejects(parseIdentityFile("#".repeat((1 << 20) + 1)), code("E_TOO_LARGE"));
});

Deno.test("ScryptRecipient checks its passphrase and work factor", () => {
  assert.throws(() => new ScryptRecipient(""), TypeError);
  assert.throws(() => new ScryptRecipient("pw", 0), RangeError);
  assert.throws(() => new ScryptRecipient("pw", 31), RangeError);
});
