/**
 * Byte stream helpers: a pull reader with exact-size reads, bounded line
 * reads and an end-of-stream probe (never holding more than the caller asked
 * for plus one piece of the underlying stream), and stream constructors.
 *
 * @module
 */

import { concatAll } from "../bytes.ts";

const EMPTY = new Uint8Array(0);
const LF = 0x0a;

/** Reads a `ReadableStream<Uint8Array>` in caller-sized pieces. */
export class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #piece: Uint8Array = EMPTY;
  #ended = false;

  /** Takes the stream's reader; the stream is locked until {@link cancel}. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Makes sure some unread bytes are buffered; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#piece.length === 0) {
      if (this.#ended) return false;
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#ended = true;
        this.#reader.releaseLock();
        return false;
      }
      this.#piece = value;
    }
    return true;
  }

  /**
   * Reads `n` bytes, or fewer only when the stream ends first. The result may
   * be a view of a piece of the stream: read it, never write to it.
   */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return EMPTY;
    if (this.#piece.length >= n) {
      // A view, not a copy: chunks enqueued in a stream belong to its reader,
      // and every caller here only reads them.
      const out = this.#piece.subarray(0, n);
      this.#piece = this.#piece.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let used = 0;
    while (used < n && (await this.#fill())) {
      const take = Math.min(n - used, this.#piece.length);
      out.set(this.#piece.subarray(0, take), used);
      this.#piece = this.#piece.subarray(take);
      used += take;
    }
    return used === n ? out : out.slice(0, used);
  }

  /**
   * Reads one line including its LF, but never more than `max + 1` bytes:
   * a result longer than `max` means the line is too long (the caller rejects
   * it). Returns null at the end of the stream, and the bytes up to the end
   * when the last line has no LF.
   */
  async readLine(max: number): Promise<Uint8Array | null> {
    if (!(await this.#fill())) return null;
    const parts: Uint8Array[] = [];
    let length = 0;
    while (await this.#fill()) {
      const room = max + 1 - length;
      const at = this.#piece.subarray(0, room).indexOf(LF);
      const take = at >= 0 ? at + 1 : Math.min(room, this.#piece.length);
      parts.push(this.#piece.slice(0, take));
      this.#piece = this.#piece.subarray(take);
      length += take;
      if (at >= 0 || length > max) break;
    }
    return parts.length === 1 ? parts[0] : concatAll(parts);
  }

  /** Whether the stream has no more bytes (reads ahead at most one piece). */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }

  /**
   * Hands over the bytes read from the stream and not yet consumed (a view),
   * and releases the stream unread beyond them: a caller that reads the rest
   * of the input by other means continues from there.
   */
  detach(): Uint8Array {
    const rest = this.#piece;
    this.#piece = EMPTY;
    if (!this.#ended) {
      this.#ended = true;
      this.#reader.releaseLock();
    }
    return rest;
  }

  /** Stops reading and cancels the underlying stream. */
  async cancel(reason?: unknown): Promise<void> {
    this.#piece = EMPTY;
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#reader.cancel(reason);
    } catch {
      // The stream already failed; nothing is left to release.
    }
  }
}

/** A one-piece stream over `bytes` (not copied: the reader copies what it hands out). */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Reads a whole stream into one array (for the byte-array API and tests). */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream) {
    parts.push(part);
    length += part.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A stream of `head` followed by everything in `body` (pulled on demand). */
export function prepend(
  head: Uint8Array,
  body: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      reader ??= body.getReader();
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader ? reader.cancel(reason) : body.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
