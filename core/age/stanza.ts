/**
 * Recipient stanzas and the two one-method interfaces of age (age spec,
 * "Recipient stanza"): a {@link Recipient} wraps a file key into stanzas, an
 * {@link Identity} unwraps a file key from the stanzas addressed to it.
 *
 * @module
 */

/** One recipient stanza of an age header: its arguments and its binary body. */
export interface Stanza {
  /** The space-separated arguments; the first names the recipient type. */
  readonly args: readonly string[];
  /** The decoded body. */
  readonly body: Uint8Array;
}

/** Wraps a 16-byte file key for one recipient (age's `Recipient.Wrap`). */
export interface Recipient {
  /** Returns the stanzas that carry `fileKey` to this recipient. */
  wrap(fileKey: Uint8Array): Promise<Stanza[]>;
}

/**
 * Unwraps a file key (age's `Identity.Unwrap`). Resolves to null when no
 * stanza is addressed to this identity or none decrypts; throws MeteorError
 * E_HEADER_INVALID when a stanza of its own type is malformed.
 */
export interface Identity {
  /** Returns the 16-byte file key, or null when no stanza is for this identity. */
  unwrap(stanzas: readonly Stanza[]): Promise<Uint8Array | null>;
}

/** The length of an age file key in bytes (age spec, "File key"). */
export const FILE_KEY_LENGTH = 16;

/** Whether `arg` is a valid stanza argument: one or more VCHAR (0x21-0x7E). */
export function isStanzaArgument(arg: string): boolean {
  return /^[\x21-\x7e]+$/.test(arg);
}
