/**
 * The age payload (age spec, "Payload"): a 16-byte nonce, then the plaintext
 * in 64 KiB chunks, each sealed with ChaCha20-Poly1305 under the payload key
 * and the nonce `11-byte big-endian counter || last-chunk flag` (STREAM).
 *
 * Chunks go through a {@link BatchAead} a window at a time (16 chunks by
 * default), so a GPU engine or a worker pool can take whole windows, and the
 * next window is read while one is being processed. Memory stays bounded by
 * two windows whatever the payload size. Decryption releases a chunk's
 * plaintext only after its tag verified, in order, and fails with one
 * undifferentiated E_DECRYPT_FAILED on truncation, reordering, swapped
 * chunks, a missing or empty final chunk, trailing data or any flipped bit.
 *
 * @module
 */
import { checkLength, concatAll, utf8, wipe } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { cpuBatchAead } from "../crypto/batch_cpu.ts";
import type { AeadJob, BatchAead } from "../crypto/batch_types.ts";
import { hkdfSha256 } from "../crypto/hash.ts";
import { CHUNK_SIZE, chunkNonce, SEALED_CHUNK_SIZE } from "./_chunk.ts";
import { ByteReader } from "./_io.ts";
import { FILE_KEY_LENGTH } from "./stanza.ts";

export { CHUNK_SIZE, chunkNonce, SEALED_CHUNK_SIZE } from "./_chunk.ts";

/** The payload nonce that starts the payload, in bytes. */
export const PAYLOAD_NONCE_LENGTH = 16;
/** Chunks per batch call unless the caller chooses. */
export const DEFAULT_WINDOW = 16;
/** Windows handed to the engine and not yet consumed: one being processed, one just read. */
const WINDOWS_IN_FLIGHT = 2;

/** How the payload is processed. */
export interface StreamOptions {
  /**
   * The batch engine (default: `cpuBatchAead`, native on the calling thread; the library never
   * opens a GPU device on its own: pass `batchAead("auto")` for the calibrated choice).
   */
  engine?: BatchAead;
  /** Chunks per batch call, at least 1 (default {@link DEFAULT_WINDOW}). */
  window?: number;
}

/** payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload") (age spec, "Payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  checkLength("fileKey", fileKey, FILE_KEY_LENGTH);
  checkLength("nonce", nonce, PAYLOAD_NONCE_LENGTH);
  return hkdfSha256(fileKey, nonce, utf8("payload"), 32);
}

/**
 * Batches in flight, oldest first. A window goes to the engine as soon as it
 * is read and the next one is read meanwhile, so with an engine off the
 * calling thread (worker pool, GPU) reading, processing and writing overlap.
 * Results still come out in order, one window at a time.
 */
class Pipeline<J, R> {
  #queue: Promise<R>[] = [];
  #start: (jobs: J) => Promise<R>;

  constructor(start: (jobs: J) => Promise<R>) {
    this.#start = start;
  }

  /** Whether another window may be started. */
  room(): boolean {
    return this.#queue.length < WINDOWS_IN_FLIGHT;
  }

  /** Whether nothing is in flight. */
  empty(): boolean {
    return this.#queue.length === 0;
  }

  /** Hands a window to the engine. */
  push(jobs: J): void {
    const pending = this.#start(jobs);
    pending.catch(() => {}); // Awaited by next(); never an unhandled rejection meanwhile.
    this.#queue.push(pending);
  }

  /** The oldest window's results. */
  next(): Promise<R> {
    return this.#queue.shift()!;
  }

  /** Forgets what is in flight (after a failure or a cancel). */
  drop(): void {
    this.#queue = [];
  }
}

/**
 * A window's outputs in few pieces: whoever reads the stream (the CLI writing
 * a file) then handles a piece per window rather than one per chunk. Results
 * that lie back to back in one buffer (as the CPU engine returns a batch, a
 * worker of the pool its slice, the WebGPU engine its dispatch) become one
 * piece per run, with no copy; results that each have their own buffer are
 * copied into one, which costs less than handling them one by one.
 * `wipeParts` wipes the parts so copied (plaintext).
 */
function pieces(parts: Uint8Array[], wipeParts: boolean): Uint8Array[] {
  const runs: Uint8Array[] = [];
  for (const part of parts) {
    const run = runs.at(-1);
    if (run?.buffer === part.buffer && run.byteOffset + run.length === part.byteOffset) {
      runs[runs.length - 1] = new Uint8Array(run.buffer, run.byteOffset, run.length + part.length);
    } else {
      runs.push(part);
    }
  }
  if (runs.length === 1 || runs.length < parts.length) return runs;
  const out = concatAll(parts);
  if (wipeParts) wipe(...parts);
  return [out];
}

function options(opts: StreamOptions): { engine: BatchAead; window: number } {
  const window = opts.window ?? DEFAULT_WINDOW;
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new RangeError(`window must be a positive integer, got ${window}`);
  }
  return { engine: opts.engine ?? cpuBatchAead, window };
}

/**
 * Seals the plaintext read from `source` as STREAM chunks under the 32-byte
 * payload `key` (without the payload nonce, which the caller writes first).
 * The key is copied and wiped when the stream ends.
 */
export function sealChunks(
  key: Uint8Array,
  source: ReadableStream<Uint8Array> | ByteReader,
  opts: StreamOptions = {},
): ReadableStream<Uint8Array> {
  checkLength("key", key, 32);
  const { engine, window } = options(opts);
  const ownKey = key.slice();
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  let counter = 0;
  let last = false;

  const readWindow = async (): Promise<AeadJob[]> => {
    const jobs: AeadJob[] = [];
    while (jobs.length < window && !last) {
      const data = await reader.read(CHUNK_SIZE);
      // The final chunk is short, or full with nothing after it; it is empty
      // only when the whole payload is empty (age spec, "Payload").
      last = data.length < CHUNK_SIZE || await reader.atEnd();
      jobs.push({ key: ownKey, nonce: chunkNonce(counter++, last), data });
    }
    return jobs;
  };
  const pipeline = new Pipeline((jobs: AeadJob[]) => engine.sealBatch(jobs));

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (!last && pipeline.room()) pipeline.push(await readWindow());
        for (const piece of pieces(await pipeline.next(), false)) controller.enqueue(piece);
        if (last && pipeline.empty()) {
          wipe(ownKey);
          controller.close();
        }
      } catch (err) {
        wipe(ownKey);
        pipeline.drop();
        await reader.cancel(err);
        throw err;
      }
    },
    async cancel(reason) {
      wipe(ownKey);
      pipeline.drop();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** The one payload error: it never says which check failed. */
export function payloadFailed(): MeteorError {
  return new MeteorError(
    "E_DECRYPT_FAILED",
    "Cannot decrypt payload: it is corrupted or truncated",
  );
}

/**
 * Opens STREAM chunks read from `source` under the 32-byte payload `key`
 * (the payload nonce already consumed). The returned stream yields verified
 * plaintext in order and errors with MeteorError E_DECRYPT_FAILED at the first
 * chunk that does not verify in its position, when the final chunk is missing
 * or empty (unless it is the only one), or when bytes follow the final chunk.
 * Errors of `source` itself pass through unchanged.
 */
export function openChunks(
  key: Uint8Array,
  source: ReadableStream<Uint8Array> | ByteReader,
  opts: StreamOptions = {},
): ReadableStream<Uint8Array> {
  checkLength("key", key, 32);
  const { engine, window } = options(opts);
  const ownKey = key.slice();
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  let counter = 0; // Index of the first chunk not yet released.
  let readCount = 0; // Chunks read so far.
  let atEnd = false;

  const readWindow = async (): Promise<AeadJob[]> => {
    const jobs: AeadJob[] = [];
    while (jobs.length < window && !atEnd) {
      const data = await reader.read(SEALED_CHUNK_SIZE);
      atEnd = data.length < SEALED_CHUNK_SIZE || await reader.atEnd();
      if (data.length === 0) break; // No final chunk before the end of the payload.
      // First guess: the chunk at the end is the final one.
      jobs.push({ key: ownKey, nonce: chunkNonce(readCount++, atEnd), data });
    }
    return jobs;
  };
  const pipeline = new Pipeline(async (jobs: AeadJob[]) => ({
    jobs,
    opened: await engine.openBatch(jobs),
  }));

  // Opens one chunk with the given flag; null when its tag does not verify.
  const openOne = async (data: Uint8Array, index: number, last: boolean) =>
    (await engine.openBatch([{ key: ownKey, nonce: chunkNonce(index, last), data }]))[0];

  // A failure found after some plaintext of the same window was verified is
  // raised at the next pull, once that plaintext was enqueued and read:
  // erroring a stream drops what is still queued, and verified chunks before
  // the failure count as released (age testkit, "payload failure").
  let failure: unknown = null;

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (failure !== null) throw failure;
      const verified: Uint8Array[] = []; // Plaintext verified in its place, not yet enqueued.
      let released = false;
      const release = () => {
        if (verified.length === 0) return;
        for (const piece of pieces(verified.splice(0), true)) controller.enqueue(piece);
        released = true;
      };
      try {
        while (!atEnd && pipeline.room()) pipeline.push(await readWindow());
        const { jobs, opened } = await pipeline.next();
        for (let i = 0; i < jobs.length; i++) {
          const index = counter + i;
          const data = jobs[i].data;
          const guessedLast = jobs[i].nonce[11] === 1;
          let plaintext = opened[i];
          let last = guessedLast;
          // An empty final chunk is allowed only as the first and only chunk.
          if (plaintext !== null && last && plaintext.length === 0 && index > 0) {
            throw payloadFailed();
          }
          if (plaintext === null && data.length === SEALED_CHUNK_SIZE) {
            // A full chunk may be either kind: a full final chunk followed by
            // trailing data, or a non-final chunk where the payload stops.
            last = !guessedLast;
            plaintext = await openOne(data, index, last);
          }
          if (plaintext === null) throw payloadFailed();
          verified.push(plaintext);
          if (last !== guessedLast) throw payloadFailed(); // Trailing data, or no final chunk.
          if (last) {
            counter = index + 1;
            wipe(ownKey);
            release();
            controller.close();
            return;
          }
        }
        release();
        counter += jobs.length;
        // The payload ended without a final chunk.
        if (atEnd && pipeline.empty()) throw payloadFailed();
      } catch (err) {
        wipe(ownKey);
        pipeline.drop();
        await reader.cancel(err);
        release();
        if (!released) throw err;
        failure = err;
      }
    },
    async cancel(reason) {
      wipe(ownKey);
      pipeline.drop();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
