/**
 * The age side of the plugin (docs/ipfs.md §3): the recipients a file is
 * encrypted to, and an age identity whose unwrap runs through the node's
 * `decryptor` component, so the daemon decrypts with its X-Wing key without
 * ever holding the seed.
 *
 * @module
 */
import {
  HYBRID_STANZA_TYPE,
  HybridRecipient,
  type Identity,
  parseRecipient,
  type Recipient,
  type Stanza,
} from "../../core/age/mod.ts";
import { fromBase64, toBase64, utf8 } from "../../core/bytes.ts";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import type { Decryptor } from "../../core/plugin.ts";

/** age spec, mlkem768x25519 stanza: the HPKE info string. */
const INFO = utf8("age-encryption.org/mlkem768x25519");
/** The X-Wing encapsulation in the stanza argument, in bytes. */
const ENC_LENGTH = 1120;
/** The wrapped file key: 16 bytes and the 16-byte Poly1305 tag. */
const BODY_LENGTH = 32;

/** Canonical unpadded base64 (age spec), or null. */
function base64NoPad(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(text + "=".repeat((4 - (text.length % 4)) % 4));
  } catch {
    return null;
  }
  return toBase64(bytes).replace(/=+$/, "") === text ? bytes : null;
}

function invalid(state: string): never {
  throw new MeteorError("E_HEADER_INVALID", `Cannot unwrap mlkem768x25519 stanza: ${state}`);
}

/**
 * The node's X-Wing key as an age identity: it opens `mlkem768x25519`
 * stanzas with `decryptor.open` (HPKE base mode, RFC 9180 §6.1), checking
 * them as core/age's HybridIdentity does.
 */
export function nodeIdentity(decryptor: Decryptor): Identity {
  return {
    async unwrap(stanzas: readonly Stanza[]) {
      for (const stanza of stanzas) {
        if (stanza.args[0] !== HYBRID_STANZA_TYPE) continue;
        const enc = stanza.args.length === 2 ? base64NoPad(stanza.args[1]) : null;
        if (enc === null || enc.length !== ENC_LENGTH) invalid("bad enc");
        if (stanza.body.length !== BODY_LENGTH) invalid("bad body");
        try {
          return await decryptor.open(enc, INFO, new Uint8Array(0), stanza.body);
        } catch (err) {
          if (isMeteorError(err, "E_DECRYPT_FAILED")) continue;
          if (isMeteorError(err, "E_MALFORMED")) invalid("low-order X25519 share");
          throw err;
        }
      }
      return null;
    },
  };
}

/**
 * The recipients named by `inputs`: `self` is this node's X-Wing key
 * (`selfKey`), anything else an age recipient string (`age1pq1...` or
 * `age1...`). No input means `self`. E_BAD_RECIPIENT for a bad one.
 */
export function recipientsOf(inputs: readonly string[], selfKey: Uint8Array): Recipient[] {
  const list = inputs.length === 0 ? ["self"] : inputs;
  return list.map((input) =>
    input === "self" ? new HybridRecipient(selfKey) : parseRecipient(input)
  );
}
