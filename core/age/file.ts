/**
 * Encrypting and decrypting whole files fast (age spec, "Payload"): the
 * payload goes through in blocks of {@link RUN_CHUNKS} STREAM chunks read
 * into, and written from, a few buffers that are reused, so memory stays
 * bounded whatever the size and no buffer is allocated per block. STREAM
 * chunks are independent, so blocks are sealed or opened side by side by
 * the workers of a {@link StreamPool} while the calling thread reads the
 * next and writes the previous ones, in order.
 *
 * The bytes are those of encryptStream/decryptStream (same format, same
 * checks, same errors). Decryption writes only verified plaintext: a block
 * is written up to its first chunk that does not verify, and nothing after
 * it, even when later blocks verified, is ever written.
 *
 * @module
 */
import { wipe } from "../bytes.ts";
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from "./_chunk.ts";
import { ByteReader, prepend } from "./_io.ts";
import { decryptStream, looksArmored, readFileStart } from "./decrypt.ts";
import { startFile } from "./encrypt.ts";
import { MAX_HEADER_SIZE } from "./header.ts";
import type { Identity, Recipient } from "./stanza.ts";
import { payloadFailed } from "./stream.ts";
import { runChunks, type RunRequest, type RunResult } from "./_stream_run.ts";
import { StreamPool } from "./stream_pool.ts";

/** STREAM chunks per block: 512 KiB of plaintext (1 MiB blocks measured 3-4 MiB more peak memory, no faster). */
export const RUN_CHUNKS = 8;
/** Bytes of the input read at a time while the header is parsed. */
const HEAD_PIECE_BYTES = 64 * 1024;

/** Where a file's bytes come from (Deno.FsFile fits): fills `into`, null at the end. */
export interface FileSource {
  /** Reads up to `into.length` bytes into `into`; resolves to the count, or null at the end. */
  read(into: Uint8Array): Promise<number | null>;
}

/**
 * Where the output goes. The sink is done with `bytes` once the promise
 * resolves: the buffer is then reused for later output (copy what is kept).
 */
export interface FileSink {
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
}

/** Options of {@link encryptFile} and {@link decryptFile}. */
export interface FileOptions {
  /**
   * The workers that seal or open blocks (default: none, every block on the
   * calling thread). The caller closes it.
   */
  pool?: StreamPool;
  /** The largest header accepted when decrypting (default {@link MAX_HEADER_SIZE}). */
  maxHeaderSize?: number;
}

/**
 * Encrypts all of `source` to `recipients` into `sink` (binary age, no
 * armor); resolves to the bytes written. Rejects as encryptStream does.
 *
 * @example
 * ```ts
 * import { encryptFile, X25519Identity } from "./mod.ts";
 * const me = await X25519Identity.generate();
 * let done = false;
 * const source = { read: (into: Uint8Array) => Promise.resolve(done ? null : (done = true, into.fill(7, 0, 3), 3)) };
 * const parts: Uint8Array[] = [];
 * const sink = { write: (bytes: Uint8Array) => Promise.resolve(void parts.push(bytes.slice())) };
 * await encryptFile(source, sink, [me.recipient()]);
 * ```
 */
export async function encryptFile(
  source: FileSource,
  sink: FileSink,
  recipients: readonly Recipient[],
  options: FileOptions = {},
): Promise<number> {
  const { head, key } = await startFile(recipients);
  try {
    await sink.write(head);
    const pool = options.pool ?? new StreamPool({ workers: 0 });
    return head.length + await runBlocks("seal", key, new Uint8Array(0), source, sink, pool);
  } finally {
    wipe(key);
  }
}

/**
 * Decrypts the age file read from `source` (binary or armored) with
 * `identities` into `sink`; resolves to the plaintext bytes written. Rejects
 * as decryptStream does (E_HEADER_INVALID, E_NO_MATCHING_IDENTITY,
 * E_HEADER_MAC before anything is written; E_DECRYPT_FAILED, after writing
 * the verified plaintext before the damage). An armored file takes the
 * stream path (decryptStream).
 */
export async function decryptFile(
  source: FileSource,
  sink: FileSink,
  identities: readonly Identity[],
  options: FileOptions = {},
): Promise<number> {
  if (identities.length === 0) throw new TypeError("Cannot decrypt: no identities");
  const first = new Uint8Array(HEAD_PIECE_BYTES);
  const head = first.subarray(0, await readFull(source, first));
  const input = prepend(head, pieces(source));
  const maxHeaderSize = options.maxHeaderSize ?? MAX_HEADER_SIZE;
  if (looksArmored(head)) {
    const plaintext = await decryptStream(input, identities, { armor: true, maxHeaderSize });
    let written = 0;
    for await (const part of plaintext) {
      await sink.write(part);
      written += part.length;
    }
    return written;
  }
  const reader = new ByteReader(input);
  let key: Uint8Array | undefined;
  try {
    key = await readFileStart(reader, identities, maxHeaderSize);
  } catch (err) {
    await reader.cancel(err);
    throw err;
  }
  try {
    const pool = options.pool ?? new StreamPool({ workers: 0 });
    return await runBlocks("open", key, reader.detach(), source, sink, pool);
  } finally {
    wipe(key);
  }
}

/** The input as a stream of small new pieces (pulled on demand only), for the header. */
function pieces(source: FileSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = new Uint8Array(HEAD_PIECE_BYTES);
      const n = await source.read(piece);
      if (n === null) controller.close();
      else controller.enqueue(piece.subarray(0, n));
    },
  }, { highWaterMark: 0 });
}

function runHere(request: RunRequest): Promise<RunResult> {
  try {
    return Promise.resolve(runChunks(request));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Fills `into` from `source`; resolves to the bytes read (fewer only at the end). */
async function readFull(source: FileSource, into: Uint8Array): Promise<number> {
  let used = 0;
  while (used < into.length) {
    const n = await source.read(into.subarray(used));
    if (n === null) break;
    used += n;
  }
  return used;
}

interface Slot {
  input: Uint8Array;
  output: Uint8Array;
  /** The most bytes of `input` and `output` ever used: all that needs wiping at the end. */
  usedInput: number;
  usedOutput: number;
}

interface InFlight {
  slot: Slot;
  done: Promise<RunResult>;
}

/**
 * Seals or opens the payload: `leftover` (bytes already read), then the
 * rest of `source`, into `sink`, block by block in order. A block is handed
 * to the pool once the next one is read, which tells whether it is the last.
 */
async function runBlocks(
  op: RunRequest["op"],
  payloadKey: Uint8Array,
  leftover: Uint8Array,
  source: FileSource,
  sink: FileSink,
  pool: StreamPool,
): Promise<number> {
  const [inChunk, outChunk] = op === "seal"
    ? [CHUNK_SIZE, SEALED_CHUNK_SIZE]
    : [SEALED_CHUNK_SIZE, CHUNK_SIZE];
  // Workers see SharedArrayBuffers; the calling thread alone needs none.
  const Memory = pool.size > 0 ? SharedArrayBuffer : ArrayBuffer;
  // Blocks out at once: two per worker; with none, each is done as it is handed over.
  const depth = pool.size > 0 ? 2 * pool.size : 1;
  const slots: Slot[] = [];
  const free: Slot[] = [];
  const take = (): Slot => {
    let slot = free.pop();
    if (slot === undefined) {
      slot = {
        input: new Uint8Array(new Memory(RUN_CHUNKS * inChunk)),
        output: new Uint8Array(new Memory(RUN_CHUNKS * outChunk)),
        usedInput: 0,
        usedOutput: 0,
      };
      slots.push(slot);
    }
    return slot;
  };
  const inFlight: InFlight[] = [];
  let counter = 0;
  let written = 0;
  let ended = false;

  const fill = async (slot: Slot): Promise<number> => {
    const carried = Math.min(leftover.length, slot.input.length);
    slot.input.set(leftover.subarray(0, carried));
    leftover = leftover.subarray(carried);
    const length = carried + await readFull(source, slot.input.subarray(carried));
    slot.usedInput = Math.max(slot.usedInput, length);
    return length;
  };
  const dispatch = (slot: Slot, length: number, atEnd: boolean) => {
    const input = slot.input.subarray(0, length);
    const request = { op, key: payloadKey, counter, atEnd, input, output: slot.output };
    // A payload of one block (a small file) is done here: no worker starts for it.
    const done = atEnd && counter === 0 ? runHere(request) : pool.run(request);
    done.catch(() => {}); // Awaited in order by drain(); never an unhandled rejection meanwhile.
    inFlight.push({ slot, done });
    const chunks = Math.max(1, Math.ceil(length / inChunk));
    // The most the run can write (sealed: 16 bytes more a chunk; opened: fewer than it read).
    const most = Math.min(
      slot.output.length,
      op === "seal" ? length + (SEALED_CHUNK_SIZE - CHUNK_SIZE) * chunks : length,
    );
    slot.usedOutput = Math.max(slot.usedOutput, most);
    counter += chunks;
  };
  // One write at a time, in order; the next block is read while one is written.
  let writing: Promise<void> = Promise.resolve();
  const drain = async () => {
    const { slot, done } = inFlight.shift()!;
    const result = await done;
    await writing;
    writing = sink.write(slot.output.subarray(0, result.written)).then(() => void free.push(slot));
    writing.catch(() => {}); // Awaited by the next drain or at the end.
    written += result.written;
    if (result.failed) throw payloadFailed();
    ended = result.ended;
  };

  try {
    let pending: { slot: Slot; length: number } | null = null;
    while (true) {
      if (inFlight.length >= depth) await drain();
      const slot = take();
      const length = await fill(slot);
      if (pending !== null) dispatch(pending.slot, pending.length, length === 0);
      // An empty payload is one empty final chunk (seal); opening it fails (no final chunk).
      if (length === 0 && pending === null) dispatch(slot, 0, true);
      else if (length === 0) free.push(slot);
      else if (length < slot.input.length) dispatch(slot, length, true);
      else {
        pending = { slot, length };
        continue;
      }
      break;
    }
    while (inFlight.length > 0) await drain();
    await writing;
    if (!ended) throw payloadFailed();
    return written;
  } finally {
    // Runs still out write into the buffers, and the sink may still read one: let them finish.
    await Promise.allSettled([writing, ...inFlight.map((f) => f.done)]);
    // Only what was used: the rest of a buffer was never touched (a small file maps no more).
    for (const s of slots) {
      wipe(s.input.subarray(0, s.usedInput), s.output.subarray(0, s.usedOutput));
    }
  }
}
