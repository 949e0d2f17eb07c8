/**
 * The age v1 header (age spec, "Header"): version line, recipient stanzas,
 * and the HMAC line. Parsing is strict (canonical unpadded base64, 64-column
 * body lines ending with a short line, VCHAR arguments, LF line ends) and
 * bounded in size, so hostile input cannot make it read without limit.
 *
 * @module
 */
import { concat, concatAll, constantTimeEqual, fromUtf8, utf8, wipe } from "../bytes.ts";
import { isMeteorError, MeteorError } from "../errors.ts";
import { hkdfSha256, hmacSha256 } from "../crypto/hash.ts";
import { decodeBase64NoPad, encodeBase64NoPad } from "./_base64.ts";
import type { ByteReader } from "./_io.ts";
import { isStanzaArgument, type Stanza } from "./stanza.ts";

/** The v1 version line without its LF. */
export const VERSION_LINE = "age-encryption.org/v1";
/** The largest header Meteor reads, in bytes (about 650 post-quantum stanzas). */
export const MAX_HEADER_SIZE = 1 << 20;
/** Body lines are wrapped at 64 columns, i.e. 48 decoded bytes. */
const BODY_COLUMNS = 64;
const BODY_LINE_BYTES = 48;
/** The HMAC-SHA-256 tag, 32 bytes, is 43 unpadded base64 characters. */
const MAC_LENGTH = 32;
const EMPTY = new Uint8Array(0);

/** A parsed header: its stanzas, the MAC, and the bytes the MAC covers. */
export interface Header {
  /** The recipient stanzas, in order. */
  stanzas: Stanza[];
  /** The header bytes up to and including `---` (the HMAC input). */
  macInput: Uint8Array;
  /** The 32-byte header MAC. */
  mac: Uint8Array;
}

function invalid(state: string): never {
  throw new MeteorError("E_HEADER_INVALID", `Cannot parse age header: ${state}`);
}

/** HMAC key = HKDF-SHA-256(ikm = file key, salt = empty, info = "header") (age spec, "Header MAC"). */
export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const key = hkdfSha256(fileKey, EMPTY, utf8("header"), 32);
  try {
    return hmacSha256(key, macInput);
  } finally {
    wipe(key);
  }
}

/** Whether `header.mac` is the MAC of the header under `fileKey` (constant time). */
export function verifyHeaderMac(fileKey: Uint8Array, header: Header): boolean {
  return constantTimeEqual(headerMac(fileKey, header.macInput), header.mac);
}

/**
 * Encodes the header up to and including `---` (the MAC input). Throws
 * TypeError for a stanza with no arguments or an argument outside VCHAR.
 */
export function encodeHeaderWithoutMac(stanzas: readonly Stanza[]): Uint8Array {
  if (stanzas.length === 0) throw new TypeError("Cannot encode age header: no stanzas");
  const lines = [VERSION_LINE];
  for (const stanza of stanzas) {
    if (stanza.args.length === 0 || !stanza.args.every(isStanzaArgument)) {
      throw new TypeError("Cannot encode age stanza: arguments must be non-empty VCHAR strings");
    }
    lines.push(`-> ${stanza.args.join(" ")}`);
    const body = encodeBase64NoPad(stanza.body);
    // Wrap at 64 columns; the last line is always shorter, possibly empty.
    for (let i = 0; i <= body.length; i += BODY_COLUMNS) {
      lines.push(body.slice(i, i + BODY_COLUMNS));
    }
  }
  lines.push("---");
  return utf8(lines.join("\n"));
}

/**
 * Encodes a complete header with its MAC under `fileKey`.
 *
 * @example
 * ```ts
 * import { encodeHeader } from "./header.ts";
 * const header = encodeHeader([{ args: ["example"], body: new Uint8Array(0) }], new Uint8Array(16));
 * new TextDecoder().decode(header).startsWith("age-encryption.org/v1\n-> example\n\n---"); // true
 * ```
 */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Uint8Array {
  const macInput = encodeHeaderWithoutMac(stanzas);
  const mac = headerMac(fileKey, macInput);
  return concat(macInput, utf8(` ${encodeBase64NoPad(mac)}\n`));
}

/**
 * Reads and parses a header from `reader`, leaving it at the first payload
 * byte. Throws MeteorError E_HEADER_INVALID for anything but a well-formed v1
 * header of at most `maxSize` bytes; errors of the underlying stream pass through.
 */
export async function readHeader(reader: ByteReader, maxSize = MAX_HEADER_SIZE): Promise<Header> {
  const transcript: Uint8Array[] = [];
  let size = 0;
  const nextLine = async (): Promise<string> => {
    const raw = await reader.readLine(maxSize - size);
    if (raw !== null && raw.length > maxSize - size) invalid("too large");
    if (raw === null || raw[raw.length - 1] !== 0x0a) invalid("unexpected end");
    transcript.push(raw);
    size += raw.length;
    // Every header line is printable ASCII (VCHAR or SP) ended by LF.
    for (let i = 0; i < raw.length - 1; i++) {
      if (raw[i] < 0x20 || raw[i] > 0x7e) invalid("a line has a character outside VCHAR and SP");
    }
    return fromUtf8(raw.subarray(0, raw.length - 1));
  };

  const version = await nextLine().catch((err) => {
    if (isMeteorError(err, "E_HEADER_INVALID")) invalid("not an age file");
    throw err;
  });
  if (version !== VERSION_LINE) invalid("not an age v1 file");
  const stanzas: Stanza[] = [];
  for (;;) {
    const line = await nextLine();
    if (line.startsWith("-> ")) {
      stanzas.push(await readStanzaBody(line.slice(3).split(" "), nextLine));
      continue;
    }
    if (!line.startsWith("---")) invalid("expected a stanza or the MAC line");
    if (stanzas.length === 0) invalid("no recipient stanzas");
    if (!line.startsWith("--- ")) invalid("malformed MAC line");
    const mac = decodeBase64NoPad(line.slice(4));
    if (mac === null || mac.length !== MAC_LENGTH) invalid("malformed MAC");
    const all = concatAll(transcript);
    // The MAC covers the header up to and including "---" (not the space after it).
    const macInput = all.subarray(0, all.length - line.length - 1 + 3);
    return { stanzas, macInput, mac };
  }
}

async function readStanzaBody(args: string[], nextLine: () => Promise<string>): Promise<Stanza> {
  if (!args.every(isStanzaArgument)) invalid("a stanza has an empty or invalid argument");
  const parts: Uint8Array[] = [];
  for (;;) {
    const line = await nextLine();
    const bytes = line.length <= BODY_COLUMNS ? decodeBase64NoPad(line) : null;
    if (bytes === null) invalid("a stanza body line is not canonical base64 of at most 64 columns");
    parts.push(bytes);
    if (bytes.length < BODY_LINE_BYTES) break;
  }
  return { args, body: concatAll(parts) };
}
