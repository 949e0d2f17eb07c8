/**
 * One run of consecutive STREAM chunks (age spec, "Payload"), sealed or
 * opened from one input buffer into one output buffer: the unit of work the
 * block pipeline (file.ts) hands to a worker (_stream_worker.ts) or does on
 * the calling thread. Sealed chunk i of a run lies at `i * SEALED_CHUNK_SIZE`
 * of the sealed side, its plaintext at `i * CHUNK_SIZE` of the plain side.
 *
 * @module
 */
import { AEAD_TAG_LENGTH, openInto, sealInto } from "../crypto/aead.ts";
import { CHUNK_SIZE, chunkNonce, SEALED_CHUNK_SIZE } from "./_chunk.ts";

/** What a run is asked to do. */
export interface RunRequest {
  /** Seal plaintext or open sealed chunks. */
  op: "seal" | "open";
  /** The 32-byte payload key. */
  key: Uint8Array;
  /** The STREAM counter of the run's first chunk. */
  counter: number;
  /**
   * Seal: the run's last chunk is the final one. Open: no bytes follow the
   * run, so its last chunk should be the final one.
   */
  atEnd: boolean;
  /** The input bytes: plaintext (whole chunks but the last) or sealed chunks. */
  input: Uint8Array;
  /** Where the results go: at least as long as the run's output. */
  output: Uint8Array;
}

/** What a run did. */
export interface RunResult {
  /** Bytes written at the start of `output` (open: verified plaintext only). */
  written: number;
  /** Open: a chunk did not verify in its place; nothing after `written` counts. */
  failed: boolean;
  /** Open: the final chunk was verified (the payload is complete). */
  ended: boolean;
}

/** Chunks in an input of `length` bytes cut in pieces of `size` (an empty input is one chunk). */
function chunkCount(length: number, size: number): number {
  return Math.max(1, Math.ceil(length / size));
}

/** Seals or opens the run; see {@link RunRequest}. */
export function runChunks(request: RunRequest): RunResult {
  return request.op === "seal" ? sealRun(request) : openRun(request);
}

function sealRun({ key, counter, atEnd, input, output }: RunRequest): RunResult {
  const count = chunkCount(input.length, CHUNK_SIZE);
  let written = 0;
  for (let i = 0; i < count; i++) {
    const plain = input.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
    const sealed = output.subarray(written, written + plain.length + AEAD_TAG_LENGTH);
    sealInto(sealed, key, chunkNonce(counter + i, atEnd && i === count - 1), plain);
    written += sealed.length;
  }
  return { written, failed: false, ended: atEnd };
}

/**
 * Opens chunk by chunk, stopping at the first that does not verify in its
 * place. The chunk at the end is tried as the final one; a full chunk that
 * fails is tried with the other flag, and if it verifies so its plaintext is
 * released before the failure (a full final chunk followed by trailing data,
 * or a payload that stops without a final chunk), as the age testkit expects.
 * An empty final chunk is valid only as the payload's only chunk.
 */
function openRun({ key, counter, atEnd, input, output }: RunRequest): RunResult {
  const count = chunkCount(input.length, SEALED_CHUNK_SIZE);
  let written = 0;
  const failed = { written: 0, failed: true, ended: false };
  for (let i = 0; i < count; i++) {
    const index = counter + i;
    const sealed = input.subarray(i * SEALED_CHUNK_SIZE, (i + 1) * SEALED_CHUNK_SIZE);
    const plain = output.subarray(written, written + Math.max(0, sealed.length - AEAD_TAG_LENGTH));
    const guessedLast = atEnd && i === count - 1;
    if (openInto(plain, key, chunkNonce(index, guessedLast), sealed)) {
      if (guessedLast && plain.length === 0 && index > 0) return { ...failed, written };
      written += plain.length;
      if (guessedLast) return { written, failed: false, ended: true };
      continue;
    }
    const other = chunkNonce(index, !guessedLast);
    if (sealed.length === SEALED_CHUNK_SIZE && openInto(plain, key, other, sealed)) {
      written += plain.length;
    }
    return { ...failed, written };
  }
  return { written, failed: false, ended: false };
}
