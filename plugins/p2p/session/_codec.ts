/**
 * Byte layout helpers for the session protocol: big-endian integers and the
 * `field(x) = u16(len(x)) || x` encoding of docs/protocol.md §3.
 *
 * @module
 */

/** `u16(len(x)) || x`; throws RangeError past 65,535 bytes. */
export function field(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0xffff) throw new RangeError("field must be at most 65535 bytes");
  const out = new Uint8Array(2 + bytes.length);
  new DataView(out.buffer).setUint16(0, bytes.length);
  out.set(bytes, 2);
  return out;
}

/** A cursor over bytes that reads fields; `null` from any read means malformed. */
export class Reader {
  #bytes: Uint8Array;
  #offset = 0;

  /** Reads from `bytes` (not copied; do not change it while reading). */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The next `length` bytes, or null when fewer remain. */
  take(length: number): Uint8Array | null {
    if (this.#offset + length > this.#bytes.length) return null;
    const out = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** The next `field(x)`, or null when it does not fit or is longer than `max`. */
  field(max: number): Uint8Array | null {
    const head = this.take(2);
    if (head === null) return null;
    const length = (head[0] << 8) | head[1];
    return length > max ? null : this.take(length);
  }

  /** Whether every byte was read. */
  get done(): boolean {
    return this.#offset === this.#bytes.length;
  }
}

/** `u32(epoch) || u64(seq)`, the 12 bytes shared by frame headers and nonces (§5). */
export function epochSeq(epoch: number, seq: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, epoch);
  view.setBigUint64(4, BigInt(seq));
  return out;
}
