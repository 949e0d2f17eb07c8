/**
 * Length-prefixed frames on a libp2p stream (docs/protocol.md §2):
 * `u32(length) || bytes`, 1 <= length <= MAX_FRAME_LENGTH. A bad length or a
 * stream that ends inside a frame is E_MALFORMED; a reader that waits past
 * its signal is E_TIMEOUT.
 *
 * @module
 */
import type { Stream } from "@libp2p/interface";
import { MeteorError } from "../../core/errors.ts";
import { MAX_FRAME_LENGTH } from "./session/mod.ts";

type Chunk = Uint8Array | { subarray(): Uint8Array };

/** Encodes one frame: `u32(length) || bytes`. */
export function encodeFrame(bytes: Uint8Array): Uint8Array {
  return encodeFrames([bytes]);
}

/** Encodes frames one after the other, in one array: `u32(length) || bytes` each. */
export function encodeFrames(frames: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const bytes of frames) {
    if (bytes.length < 1 || bytes.length > MAX_FRAME_LENGTH) {
      throw new RangeError(`frame must be 1 to ${MAX_FRAME_LENGTH} bytes`);
    }
    total += 4 + bytes.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const bytes of frames) {
    view.setUint32(offset, bytes.length);
    out.set(bytes, offset + 4);
    offset += 4 + bytes.length;
  }
  return out;
}

/** Reads and writes frames on one libp2p stream. */
export class FramedStream {
  /** The underlying stream. */
  readonly stream: Stream;
  readonly #source: AsyncIterator<Chunk>;
  #buffer: Uint8Array = new Uint8Array(0);
  #bytesIn = 0;

  /** Wraps `stream`; nothing else may read from it afterwards. */
  constructor(stream: Stream) {
    this.stream = stream;
    this.#source = (stream as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
  }

  /** Bytes read from the stream so far. */
  get bytesIn(): number {
    return this.#bytesIn;
  }

  /** Writes one frame (queued by the stream when its buffer is full). */
  write(bytes: Uint8Array): void {
    this.stream.send(encodeFrame(bytes));
  }

  /** Writes frames in order as one write on the stream (one muxer frame, one socket write). */
  writeMany(frames: readonly Uint8Array[]): void {
    if (frames.length > 0) this.stream.send(encodeFrames(frames));
  }

  /** Resolves when the stream can take more data without growing its buffer. */
  async drained(): Promise<void> {
    if (this.stream.writableNeedsDrain) await this.stream.onDrain();
  }

  /**
   * Reads the next frame; null when the stream ended cleanly between frames.
   *
   * @throws {MeteorError} E_MALFORMED (bad length, truncated), E_TIMEOUT (signal)
   */
  async read(signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!(await this.#fill(4, signal))) return null;
    const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(0);
    if (length < 1 || length > MAX_FRAME_LENGTH) {
      throw new MeteorError("E_MALFORMED", `Cannot read frame: bad length ${length}`);
    }
    await this.#fill(4 + length, signal);
    const frame = this.#buffer.slice(4, 4 + length);
    this.#buffer = this.#buffer.subarray(4 + length);
    return frame;
  }

  /** Buffers at least `length` bytes; false when the stream ends first. */
  async #fill(length: number, signal?: AbortSignal): Promise<boolean> {
    while (this.#buffer.length < length) {
      const next = await this.#next(signal);
      if (next.done) {
        if (this.#buffer.length === 0) return false;
        throw new MeteorError("E_MALFORMED", "Cannot read frame: the stream ended inside it");
      }
      const chunk = next.value instanceof Uint8Array ? next.value : next.value.subarray();
      this.#bytesIn += chunk.length;
      if (this.#buffer.length === 0) {
        // A plain copy: chunks may be Node Buffers, whose slice() is a view
        // into memory the transport reuses.
        this.#buffer = new Uint8Array(chunk);
      } else {
        const merged = new Uint8Array(this.#buffer.length + chunk.length);
        merged.set(this.#buffer);
        merged.set(chunk, this.#buffer.length);
        this.#buffer = merged;
      }
    }
    return true;
  }

  #next(signal?: AbortSignal): Promise<IteratorResult<Chunk>> {
    if (signal === undefined) return this.#source.next();
    if (signal.aborted) {
      return Promise.reject(new MeteorError("E_TIMEOUT", "Cannot read frame: timed out"));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(new MeteorError("E_TIMEOUT", "Cannot read frame: timed out"));
        this.stream.abort(new Error("timed out"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#source.next().then(resolve, reject).finally(() =>
        signal.removeEventListener("abort", onAbort)
      );
    });
  }
}
