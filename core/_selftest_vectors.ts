/**
 * Known-answer vectors for `meteor selftest`, embedded because a compiled
 * binary has no access to the repository's vector files. Each block cites
 * where its values come from.
 *
 * @module
 */
import { fromBase64, fromHex, utf8 } from "./bytes.ts";

/** FIPS 180-4 / FIPS 202 examples, RFC 4231 §4.3 and RFC 5869 §A.1. */
export const HASH_VECTORS = {
  sha256Abc: fromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
  sha3_256Abc: fromHex("3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
  shake256Empty32: fromHex("46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f"),
  hmacKey: utf8("Jefe"),
  hmacData: utf8("what do ya want for nothing?"),
  hmac: fromHex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
  hkdfIkm: new Uint8Array(22).fill(0x0b),
  hkdfSalt: fromHex("000102030405060708090a0b0c"),
  hkdfInfo: fromHex("f0f1f2f3f4f5f6f7f8f9"),
  hkdfOkm: fromHex(
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  ),
};

/** One ChaCha20-Poly1305 known answer: `sealed` is ciphertext || tag. */
export interface AeadVector {
  /** Where the vector is published. */
  name: string;
  /** 32-byte key. */
  key: Uint8Array;
  /** 12-byte nonce. */
  nonce: Uint8Array;
  /** Associated data. */
  aad: Uint8Array;
  /** Plaintext. */
  plaintext: Uint8Array;
  /** Ciphertext || tag. */
  sealed: Uint8Array;
}

/** RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 example. */
export const AEAD_VECTOR: AeadVector = {
  name: "RFC 8439 §2.8.2",
  key: fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
  nonce: fromHex("070000004041424344454647"),
  aad: fromHex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      "future, sunscreen would be it.",
  ),
  sealed: fromHex(
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca96712" +
      "82fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab3" +
      "24e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" +
      "1ae10b594f09e26a7e902ecbd0600691",
  ),
};

/** RFC 8439 §2.8.2 and Appendix A.5: the ChaCha20-Poly1305 AEAD examples. */
export const RFC8439_AEAD_VECTORS: readonly AeadVector[] = [
  AEAD_VECTOR,
  {
    name: "RFC 8439 Appendix A.5",
    key: fromHex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"),
    nonce: fromHex("000000000102030405060708"),
    aad: fromHex("f33388860000000000004e91"),
    plaintext: utf8(
      "Internet-Drafts are draft documents valid for a maximum of six months and may be " +
        "updated, replaced, or obsoleted by other documents at any time. It is inappropriate " +
        "to use Internet-Drafts as reference material or to cite them other than as " +
        "/\u201cwork in progress./\u201d",
    ),
    sealed: fromHex(
      "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43ee" +
        "a09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad" +
        "176e008d33bd60f982b1ff37c8559797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b" +
        "53c867e4b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523eaf4534d7f83f" +
        "a1155b0047718cbc546a0d072b04b3564eea1b422273f548271a0bb2316053fa76991955ebd63159434e" +
        "cebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130305beaba2eda04df997b" +
        "714d6c6f2c29a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38",
    ),
  },
];

/** RFC 7748 §6.1: the X25519 Diffie-Hellman example. */
export const X25519_VECTOR = {
  alicePrivate: fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  alicePublic: fromHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
  bobPrivate: fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
  bobPublic: fromHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
  shared: fromHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
};

/** RFC 8032 §7.1: Ed25519 TEST 1 (empty message) and TEST 2 (one byte). */
export const ED25519_VECTORS = [
  {
    seed: fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    publicKey: fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    message: new Uint8Array(0),
    signature: fromHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970" +
        "1cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
  },
  {
    seed: fromHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
    publicKey: fromHex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    message: fromHex("72"),
    signature: fromHex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613" +
        "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
  },
];

/**
 * draft-connolly-cfrg-xwing-kem test vector 1 (spec/test-vectors.json); the
 * 1216-byte public key and 1120-byte ciphertext are kept as SHA3-256 digests.
 */
export const XWING_VECTOR = {
  seed: fromHex("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26"),
  eseed: fromHex(
    "3cb1eea988004b93103cfb0aeefd2a686e01fa4a58e8a3639ca8a1e3f9ae57e2" +
      "35b8cc873c23dc62b8d260169afa2f75ab916a58d974918835d25e6a435085b2",
  ),
  publicKeySha3: fromHex("5121745904643ad9dfacca7869292c19a8a69533b53e60666b7db910b4ad6367"),
  ciphertextSha3: fromHex("c0abd149f83f45324ac3a7ddc7606c71f257e5ea86113522834a0ee1bcb34e3e"),
  sharedSecret: fromHex("d2df0522128f09dd8e2c92b1e905c793d8f57a54c3da25861f10bf4ca613e384"),
};

/**
 * C2SP CCTV age/testdata `hybrid`: the mlkem768x25519 stanza (HPKE enc and
 * body) made by age's reference implementation, the X-Wing seed of its
 * identity, and the file key it wraps.
 */
export const HPKE_AGE_VECTOR = {
  info: utf8("age-encryption.org/mlkem768x25519"),
  fileKey: fromHex("59454c4c4f57205355424d4152494e45"),
  seed: fromHex("b8be81702bae561b372c3de084b70415734529cfef83c57eeb3e6e57689f9e23"),
  enc: fromBase64(
    "NfLcgAbzvNgf0aRb4PANBvyDtIDDQKf84JhhFlnvT1NUAcbGNrArRZ/T+bc9l4xmK1DSl+PXk6nqqGBhaM1dUiT7" +
      "X17TU1/b9haZZPzEalvZHFDMSevfiZshlnSgcpWh0qnpgTyboWTU+zbrH6YD2uhshbJoiuqh+PpXtDMstXx4CgxA" +
      "SrNVlfSl/caRTi24QjIXpCNwEE4FwHrmAwUqSHLUzGOHfiW/chOCTtDX591x41o6eZ4/Dt92VhoYKFcpiaWbRhbe" +
      "nZXUJxPS1C1sK84CVwkDH7LJjbYCnkxt3meul8kKWihZsStZYd/6bozqczOX7zN5PbaYD1XpYwMwedzWmPmQzxBy" +
      "bD8ZodcR7hF7WUxSmFVH7ExiYH3ZNbDAVcgGwlkTFmUmaTCbjGZTv8M+ejmvStQHgCtPi4GGRdJFr3HzvRzm6bvr" +
      "dF/rdSPRFtRVM7D9o7ZAAquD1PByE0Y5YCR4/vmTlIlRwFXk4be+TsAI+Gotujou6nrigwnfqoGiNSvi/ZVvSKnD" +
      "oZPIE5qwONCeeJB8CeRhqXEjvgtwc2zcWUBtjSJgNL+j887k2h0xlXpQqlmDDHsBOCP3/VoM+NZURqI+RoTudcwT" +
      "l8TgmhGrQytnovuWFDvE9HgPAs67dPRC64/3RES3hF2C6/R1pQAnC7S2iSijJnyFlaDJWfcZvvNoamphDv63kUNb" +
      "7b9V8E+xwqF8GkuXJnBFDo0PuJz8qWH7sDMEOhIInmanDiu6K/9jOCubYNdNcXrjQknlvk1kFdjZ2xYnC6QuqA5+" +
      "qHMBpgrg301PX154X4KUcxA3PoFyYNexaBK3njks7PNxl7HyZIWjjDlz50WrQnEqBjl8RVVuneL3vgVyU45GSVWQ" +
      "VOH4K6aepWP0+p7WUD52rhdVH5HPZWQL3v8TjEz80Aeb87+1s1wgM+5skNX4LpOyuhRxQ/ChXsVZrVJ8SRsBlO4K" +
      "+CJ271rHj8l8NEhRE2O/ZKHst8Be/6j5c9SUmRRqvI+6bcg0Bcq7Wi7d08vDQqjC2cOi112CGra5mazd/NCICC81" +
      "oYkMmTxtM9ficfIhvt9nHaZSQh27tzJ3xRWOegwzDOaNjrtJ7yvCXbV9iQ6boiCl6wdmIn7k9sI30wIuHcVU1Cr+" +
      "ENWhqVyRiAKktgvxegDnqvRB2n1aHKovp60Fs7YIDrclscRFikV45x0RNBdVtUkWD430vZgekkZdnwpeHxGV9TIe" +
      "2FCNooQzUzx6v4ft0sZ5SYI490F2sYZu/sig4IB/KOzVfPXBX9dkftLgZTWtfP7GI9NjEitLn/lYTh2jfSKTYZSM" +
      "+BQt16m2yg/4X7xftA2P3fSyU1zWineocz4DKyilWmVhPRjy9LrTPtQWVVNGrVfUsNYwWHJX6FwkF7JNbCqLEQue" +
      "MjPhc9cnr66uF+Wt1IsuTj278MgyZqYlr7mkW91zyWJMSIXTKmqv5um9ypc3IJUmkvs67A91XA8vspARsUM4Jw==",
  ),
  body: fromHex("8d83df8a5340323174cc645831826a47f7134f36e21b140c846fbccd96a2b627"),
};
