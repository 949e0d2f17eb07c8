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
  writeEpochSeq(out, 0, epoch, seq);
  return out;
}

/**
 * Writes `u32(epoch) || u64(seq)` into `out` at `offset`; `seq` is a safe
 * integer (below 2^53), written as two u32 halves without a BigInt.
 */
export function writeEpochSeq(out: Uint8Array, offset: number, epoch: number, seq: number): void {
  const view = new DataView(out.buffer, out.byteOffset + offset, 12);
  view.setUint32(0, epoch);
  view.setUint32(4, Math.floor(seq / 0x1_0000_0000));
  view.setUint32(8, seq >>> 0);
}

/** The u64 `seq` at `offset` of `bytes` as a number (exact below 2^53, as every seq is). */
export function readSeq(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
  return view.getUint32(0) * 0x1_0000_0000 + view.getUint32(4);
}
