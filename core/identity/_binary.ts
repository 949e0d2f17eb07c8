/**
 * Big-endian byte writer and bounds-checked reader for the identity document
 * encoding. The reader throws E_MALFORMED on any read past the end.
 *
 * @module
 */
import { concatAll } from "../bytes.ts";
import { MeteorError } from "../errors.ts";

/** Appends fixed-width big-endian integers and byte strings. */
export class ByteWriter {
  #parts: Uint8Array[] = [];

  /** Appends bytes as they are. */
  bytes(data: Uint8Array): this {
    this.#parts.push(data.slice());
    return this;
  }

  /** Appends one byte. */
  u8(value: number): this {
    return this.bytes(new Uint8Array([value]));
  }

  /** Appends a 16-bit big-endian integer. */
  u16(value: number): this {
    return this.bytes(new Uint8Array([value >>> 8, value & 0xff]));
  }

  /** Appends a 64-bit big-endian integer (a safe integer, at most 2^53 - 1). */
  u64(value: number): this {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return this.bytes(out);
  }

  /** The concatenation of everything appended. */
  finish(): Uint8Array {
    return concatAll(this.#parts);
  }
}

/** Reads from a byte array front to back; every read is bounds-checked. */
export class ByteReader {
  #data: Uint8Array;
  #offset = 0;
  #what: string;

  /** Reads `data`; errors name `what` ("identity document"). */
  constructor(data: Uint8Array, what: string) {
    this.#data = data;
    this.#what = what;
  }

  /** The current offset. */
  get offset(): number {
    return this.#offset;
  }

  /** A MeteorError E_MALFORMED about the input. */
  malformed(why: string): MeteorError {
    return new MeteorError("E_MALFORMED", `Cannot parse ${this.#what}: ${why}`);
  }

  /** The next `length` bytes, copied into a plain Uint8Array (a Node Buffer's slice() is a view). */
  bytes(length: number): Uint8Array {
    if (this.#offset + length > this.#data.length) throw this.malformed("truncated");
    const out = new Uint8Array(this.#data.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return out;
  }

  /** The next byte. */
  u8(): number {
    return this.bytes(1)[0];
  }

  /** The next 16-bit big-endian integer. */
  u16(): number {
    const b = this.bytes(2);
    return (b[0] << 8) | b[1];
  }

  /** The next 64-bit big-endian integer; E_MALFORMED above 2^53 - 1. */
  u64(): number {
    const b = this.bytes(8);
    const value = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.malformed("integer out of range");
    return Number(value);
  }

  /** Throws E_MALFORMED unless every byte was read. */
  end(): void {
    if (this.#offset !== this.#data.length) throw this.malformed("trailing bytes");
  }
}
