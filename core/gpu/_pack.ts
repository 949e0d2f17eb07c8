/**
 * Packing a batch of AEAD jobs into the buffers the WGSL kernels read
 * (shaders/chacha20.wgsl, shaders/poly1305.wgsl), and splitting a batch into
 * chunks that fit the device's binding limits.
 *
 * Layout of one chunk:
 * - job records: {@link JOB_WORDS} u32 per job: key (8 words), nonce (3), aad
 *   word offset, aad length, text word offset, text length, first block index,
 *   first segment index;
 * - block table: one u32 per 64-byte ChaCha20 block, the job it belongs to
 *   (each job has a counter-0 block for its Poly1305 key, then its text blocks);
 * - segment table: one u32 per run of {@link SEGMENT_BLOCKS} Poly1305 blocks
 *   (aad, ciphertext and the lengths block), the job it belongs to;
 * - input bytes: per job, aad then text, each zero-padded to 16 bytes
 *   (RFC 8439 §2.8 pad16), so Poly1305 reads whole blocks; when sealing, 16
 *   more bytes after each text, where the kernel writes the tag right after
 *   the ciphertext (so a sealed result is one contiguous range of the output).
 *
 * Words are the host's byte order; every platform with WebGPU is little-endian,
 * which is the order RFC 8439 reads key, nonce and blocks in.
 *
 * @module
 */
import type { AeadJob } from "../crypto/batch_types.ts";

/** u32 words per job record; must match the shaders. */
export const JOB_WORDS = 17;
/** Poly1305 blocks per segment (one shader invocation each); the shader's override constant. */
export const SEGMENT_BLOCKS = 32;
/** Bytes of one segment's partial Poly1305 sum in the device buffer (ten u32 limbs). */
export const PARTIAL_BYTES = 40;
/** Bytes of one job record. */
export const JOB_BYTES = JOB_WORDS * 4;
/** Poly1305 tag length (RFC 8439 §2.5). */
export const TAG_BYTES = 16;
/** Kernel mode: seal (Poly1305 over the ChaCha20 output). Must match poly1305.wgsl. */
export const MODE_SEAL = 0;
/** Kernel mode: open (Poly1305 over the input ciphertext). */
export const MODE_OPEN = 1;

/** Kernel mode. */
export type Mode = typeof MODE_SEAL | typeof MODE_OPEN;

/** Size limits one chunk must respect (bytes of any one binding). */
export interface ChunkLimits {
  /** Largest input (aad + text, padded) of one chunk, in bytes. */
  maxInputBytes: number;
  /** Largest single storage binding, in bytes (job records, block table). */
  maxBindingBytes: number;
  /** Most jobs in one chunk. */
  maxJobs: number;
}

/** Jobs that go to the device together. */
export interface ChunkPlan {
  /** Indices into the batch. */
  indices: number[];
  /** Padded input bytes. */
  inputBytes: number;
  /** ChaCha20 blocks, counter-0 blocks included. */
  blocks: number;
  /** Poly1305 segments. */
  segments: number;
}

/** A chunk packed into typed arrays ready for upload. */
export interface PackedChunk {
  /** Job records, {@link JOB_WORDS} per job. */
  jobWords: Uint32Array<ArrayBuffer>;
  /** The job of each ChaCha20 block. */
  blockJob: Uint32Array<ArrayBuffer>;
  /** aad and text of every job, padded; at least 16 bytes. */
  input: Uint8Array<ArrayBuffer>;
  /** Byte offset of each job's text in `input` (and in the kernel output). */
  textOffsets: Uint32Array;
  /** Text length of each job (plaintext to seal, ciphertext without tag to open). */
  textLengths: Uint32Array;
  /** Total ChaCha20 blocks. */
  blocks: number;
  /** The job of each Poly1305 segment. */
  segmentJob: Uint32Array<ArrayBuffer>;
  /** Total Poly1305 segments. */
  segments: number;
  /** Whether any job has aad (the kernels then leave gaps in the output they do not write). */
  hasAad: boolean;
}

function pad16(n: number): number {
  return (n + 15) & ~15;
}

/** The text the kernels process: all of `data` to seal, `data` minus the tag to open. */
export function textLength(job: AeadJob, mode: Mode): number {
  return mode === MODE_SEAL ? job.data.length : job.data.length - TAG_BYTES;
}

/** Poly1305 segments of a job: padded aad, padded text and the lengths block. */
function segmentsOf(aadLength: number, textLength: number): number {
  return Math.ceil((pad16(aadLength) / 16 + pad16(textLength) / 16 + 1) / SEGMENT_BLOCKS);
}

/**
 * Splits `indices` of `jobs` into chunks within `limits`. A job takes its
 * padded aad, padded text and, when sealing, room for the tag in the input, and
 * one counter-0 block for its Poly1305 key plus one per 64 bytes of text. Jobs
 * too large for any chunk are returned in `oversize` (the caller processes them
 * another way).
 */
export function planChunks(
  jobs: readonly AeadJob[],
  indices: readonly number[],
  mode: Mode,
  limits: ChunkLimits,
): { chunks: ChunkPlan[]; oversize: number[] } {
  const maxJobs = Math.min(limits.maxJobs, Math.floor(limits.maxBindingBytes / JOB_BYTES));
  const maxBlocks = Math.floor(limits.maxBindingBytes / 4);
  const maxSegments = Math.floor(limits.maxBindingBytes / PARTIAL_BYTES);
  const chunks: ChunkPlan[] = [];
  const oversize: number[] = [];
  const empty = (): ChunkPlan => ({ indices: [], inputBytes: 0, blocks: 0, segments: 0 });
  let current = empty();
  const tag = mode === MODE_SEAL ? TAG_BYTES : 0;
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n];
    const job = jobs[i];
    const aadLength = job.aad === undefined ? 0 : job.aad.length;
    const length = textLength(job, mode);
    const bytes = pad16(aadLength) + pad16(length) + tag;
    const blocks = 1 + ((length + 63) >>> 6);
    const segments = segmentsOf(aadLength, length);
    if (bytes > limits.maxInputBytes || blocks > maxBlocks || segments > maxSegments) {
      oversize.push(i);
      continue;
    }
    if (
      current.indices.length === maxJobs ||
      current.inputBytes + bytes > limits.maxInputBytes ||
      current.blocks + blocks > maxBlocks ||
      current.segments + segments > maxSegments
    ) {
      chunks.push(current);
      current = empty();
    }
    current.indices.push(i);
    current.inputBytes += bytes;
    current.blocks += blocks;
    current.segments += segments;
  }
  if (current.indices.length > 0) chunks.push(current);
  return { chunks, oversize };
}

/** Packs the jobs of `plan` (see the module documentation for the layout). */
export function packChunk(jobs: readonly AeadJob[], plan: ChunkPlan, mode: Mode): PackedChunk {
  const count = plan.indices.length;
  const jobWords = new Uint32Array(count * JOB_WORDS);
  const blockJob = new Uint32Array(Math.max(plan.blocks, 1));
  const segmentJob = new Uint32Array(Math.max(plan.segments, 1));
  const input = new Uint8Array(Math.max(plan.inputBytes, 16));
  const textOffsets = new Uint32Array(count);
  const textLengths = new Uint32Array(count);
  const seal = mode === MODE_SEAL;
  const reserve = seal ? TAG_BYTES : 0;
  let offset = 0;
  let block = 0;
  let segment = 0;
  let hasAad = false;
  for (let k = 0; k < count; k++) {
    const { key, nonce, data, aad } = jobs[plan.indices[k]];
    const aadLength = aad === undefined ? 0 : aad.length;
    const length = seal ? data.length : data.length - TAG_BYTES;
    const p = k * JOB_WORDS;
    // Key and nonce as little-endian words (RFC 8439 §2.3): faster than two small
    // set() calls, and independent of the caller arrays' alignment.
    for (let w = 0, b = 0; w < 8; w++, b += 4) {
      jobWords[p + w] = key[b] | key[b + 1] << 8 | key[b + 2] << 16 | key[b + 3] << 24;
    }
    for (let w = 0, b = 0; w < 3; w++, b += 4) {
      jobWords[p + 8 + w] = nonce[b] | nonce[b + 1] << 8 | nonce[b + 2] << 16 |
        nonce[b + 3] << 24;
    }
    jobWords[p + 11] = offset >>> 2;
    jobWords[p + 12] = aadLength;
    if (aadLength > 0) {
      hasAad = true;
      input.set(aad!, offset);
      offset += pad16(aadLength);
    }
    jobWords[p + 13] = offset >>> 2;
    jobWords[p + 14] = length;
    jobWords[p + 15] = block;
    jobWords[p + 16] = segment;
    if (length > 0) input.set(seal ? data : data.subarray(0, length), offset);
    textOffsets[k] = offset;
    textLengths[k] = length;
    offset += pad16(length) + reserve;
    const end = block + 1 + ((length + 63) >>> 6);
    if (end - block <= 8) {
      for (; block < end; block++) blockJob[block] = k;
    } else {
      blockJob.fill(k, block, end);
      block = end;
    }
    const segments = segmentsOf(aadLength, length);
    if (segments === 1) segmentJob[segment++] = k;
    else {
      segmentJob.fill(k, segment, segment + segments);
      segment += segments;
    }
  }
  return {
    jobWords,
    blockJob,
    input,
    textOffsets,
    textLengths,
    blocks: block,
    segmentJob,
    segments: segment,
    hasAad,
  };
}
