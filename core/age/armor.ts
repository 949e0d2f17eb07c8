/**
 * The age ASCII armor (age spec, "ASCII armor"): strict PEM (RFC 7468 §3,
 * Figure 3) with the label "AGE ENCRYPTED FILE", padded canonical base64 in
 * 64-column lines. The decoder accepts only what the encoder writes, except
 * LF or CRLF line ends and whitespace before and after the block; it runs as
 * a stream in constant memory and fails with MeteorError E_ARMOR_INVALID.
 *
 * @module
 */
import { concat, concatAll, fromUtf8, toBase64, utf8 } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { decodeBase64Padded } from "./_base64.ts";

/** The first line of an armored age file. */
export const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
/** The last line of an armored age file. */
export const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";
/** Base64 columns per line, i.e. 48 bytes. */
const COLUMNS = 64;
const LINE_BYTES = 48;
/** Whitespace accepted before and after the block, in bytes. */
const MAX_WHITESPACE = 1024;
/** The longest line the decoder buffers: 64 columns, CR. */
const MAX_LINE = COLUMNS + 1;
const LF = 0x0a;
const CR = 0x0d;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === CR || b === LF;
}

function invalid(state: string): never {
  throw new MeteorError("E_ARMOR_INVALID", `Cannot decode ASCII armor: ${state}`);
}

/**
 * A stream that armors an age file: the BEGIN line, 64-column padded base64
 * lines, the END line, each ended by LF.
 *
 * @example
 * ```ts
 * import { armorEncoder } from "./armor.ts";
 * const armored = ReadableStream.from([new Uint8Array(3)]).pipeThrough(armorEncoder());
 * ```
 */
export function armorEncoder(): TransformStream<Uint8Array, Uint8Array> {
  let pending = new Uint8Array(0);
  return new TransformStream({
    start(controller) {
      controller.enqueue(utf8(ARMOR_BEGIN + "\n"));
    },
    transform(chunk, controller) {
      const data = pending.length > 0 ? concat(pending, chunk) : chunk;
      const whole = data.length - (data.length % LINE_BYTES);
      if (whole > 0) controller.enqueue(utf8(lines(data.subarray(0, whole))));
      pending = data.slice(whole);
    },
    flush(controller) {
      controller.enqueue(utf8(lines(pending) + ARMOR_END + "\n"));
    },
  });
}

function lines(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += LINE_BYTES) {
    out += toBase64(data.subarray(i, i + LINE_BYTES)) + "\n";
  }
  return out;
}

/** The armor decoder's state machine, fed bytes as they arrive. */
class Dearmor {
  #state: "leading" | "begin" | "body" | "trailing" = "leading";
  #whitespace = 0;
  #line: Uint8Array = new Uint8Array(0);
  #bodyEnded = false;

  /** Consumes `chunk`; returns the bytes decoded from the complete lines in it. */
  push(chunk: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#state === "leading" || this.#state === "trailing") {
        while (pos < chunk.length && isWhitespace(chunk[pos])) {
          pos++;
          if (++this.#whitespace > MAX_WHITESPACE) invalid("too much whitespace around the block");
        }
        if (pos === chunk.length) break;
        if (this.#state === "trailing") invalid("data after the END line");
        this.#state = "begin";
      }
      const lf = chunk.indexOf(LF, pos);
      const end = lf < 0 ? chunk.length : lf;
      if (this.#line.length + (end - pos) > MAX_LINE) invalid("a line is too long");
      this.#line = concat(this.#line, chunk.subarray(pos, end));
      if (lf < 0) break;
      pos = lf + 1;
      const decoded = this.#endLine();
      if (decoded) out.push(decoded);
    }
    return out.length === 1 ? out[0] : concatAll(out);
  }

  /** Ends the input: only an END line (with or without its line end) may be pending. */
  finish(): void {
    if (this.#line.length > 0 && this.#state !== "trailing") this.#endLine();
    if (this.#state !== "trailing") invalid("missing END line");
  }

  #endLine(): Uint8Array | null {
    let bytes = this.#line;
    this.#line = new Uint8Array(0);
    if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    let text: string;
    try {
      text = fromUtf8(bytes);
    } catch {
      invalid("a line is not text");
    }
    if (this.#state === "begin") {
      if (text !== ARMOR_BEGIN) invalid("missing BEGIN line");
      this.#state = "body";
      return null;
    }
    if (text === ARMOR_END) {
      this.#state = "trailing";
      this.#whitespace = 0;
      return null;
    }
    // RFC 7468 §3 strict: full 64-column lines, then one shorter (or full,
    // padded) last line; no headers, blank lines or stray spaces.
    if (this.#bodyEnded) invalid("a line follows the short last line");
    if (text.length === 0 || text.length > COLUMNS) invalid("a line has the wrong length");
    const decoded = decodeBase64Padded(text);
    if (decoded === null) invalid("a line is not canonical base64");
    if (text.length < COLUMNS || text.endsWith("=")) this.#bodyEnded = true;
    return decoded;
  }
}

/**
 * A stream that removes the armor of an age file, strictly; it errors with
 * MeteorError E_ARMOR_INVALID as soon as the input breaks a rule.
 */
export function armorDecoder(): TransformStream<Uint8Array, Uint8Array> {
  const dearmor = new Dearmor();
  return new TransformStream({
    transform(chunk, controller) {
      const out = dearmor.push(chunk);
      if (out.length > 0) controller.enqueue(out);
    },
    flush() {
      dearmor.finish();
    },
  });
}

/**
 * Armors a binary age file.
 *
 * @example
 * ```ts
 * import { armor } from "./armor.ts";
 * armor(new Uint8Array(0)).startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n"); // true
 * ```
 */
export function armor(file: Uint8Array): string {
  return `${ARMOR_BEGIN}\n${lines(file)}${ARMOR_END}\n`;
}

/** Removes the armor of an age file; throws MeteorError E_ARMOR_INVALID. */
export function dearmor(text: string | Uint8Array): Uint8Array {
  const dec = new Dearmor();
  const out = dec.push(typeof text === "string" ? utf8(text) : text);
  dec.finish();
  return out;
}
