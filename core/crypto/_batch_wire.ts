/**
 * The messages between the worker pool (batch_workers.ts) and its workers
 * (_batch_worker.ts). A slice of a batch goes as one packed buffer that is
 * transferred (moved, not copied again) to the worker: the distinct keys (32
 * bytes each), the nonces (12 bytes per job), then the aad and the data of
 * each job. `meta` holds three u32 per job: key index, aad length, data
 * length. The worker sends the packed buffer back with its answer, wiped of
 * keys (and of plaintext), so the pool packs the next slice into it: no
 * allocation and no zeroing of fresh memory per slice.
 *
 * The results come back as the engine made them, each in its own buffer,
 * transferred: no copy on the way back.
 *
 * @module
 */
import { AEAD_KEY_LENGTH, AEAD_NONCE_LENGTH } from "./aead.ts";
import type { AeadJob } from "./batch_types.ts";

/** What a worker is asked to do. */
export type WireOp = "seal" | "open";

/** A slice of a batch, as posted to a worker. */
export interface WireRequest {
  /** Matches the response to its request. */
  id: number;
  /** Seal or open. */
  op: WireOp;
  /** Number of distinct keys at the start of `bytes`. */
  keys: number;
  /** Three u32 per job: key index, aad length, data length. */
  meta: Uint32Array<ArrayBuffer>;
  /** Keys, nonces, then aad and data of each job (a view of a possibly larger buffer). */
  bytes: Uint8Array<ArrayBuffer>;
}

/**
 * A worker's answer: the results of a slice (null: a tag that did not
 * verify), or a refusal; with the request's buffer, for reuse.
 */
export type WireResponse =
  & { id: number; spare: ArrayBuffer }
  & ({ ok: true; results: (Uint8Array | null)[] } | { ok: false });

const EMPTY = new Uint8Array(0);

/** Bytes the packed form of `jobs` takes. */
export function requestLength(jobs: readonly AeadJob[]): number {
  const keys = new Set<Uint8Array>();
  let total = jobs.length * AEAD_NONCE_LENGTH;
  for (const job of jobs) {
    keys.add(job.key);
    total += (job.aad?.length ?? 0) + job.data.length;
  }
  return total + keys.size * AEAD_KEY_LENGTH;
}

/**
 * Packs `jobs` into a request whose bytes are `bytes` (exactly
 * {@link requestLength} long); a key shared by reference is sent once.
 */
export function packRequest(
  id: number,
  op: WireOp,
  jobs: readonly AeadJob[],
  bytes: Uint8Array<ArrayBuffer>,
): WireRequest {
  const keyIndex = new Map<Uint8Array, number>();
  for (const job of jobs) if (!keyIndex.has(job.key)) keyIndex.set(job.key, keyIndex.size);
  const meta = new Uint32Array(jobs.length * 3);
  for (const [key, index] of keyIndex) bytes.set(key, index * AEAD_KEY_LENGTH);
  let nonceAt = keyIndex.size * AEAD_KEY_LENGTH;
  let at = nonceAt + jobs.length * AEAD_NONCE_LENGTH;
  jobs.forEach((job, i) => {
    const aad = job.aad ?? EMPTY;
    bytes.set(job.nonce, nonceAt);
    nonceAt += AEAD_NONCE_LENGTH;
    bytes.set(aad, at);
    bytes.set(job.data, at + aad.length);
    at += aad.length + job.data.length;
    meta.set([keyIndex.get(job.key)!, aad.length, job.data.length], i * 3);
  });
  if (at !== bytes.length) throw new RangeError("bytes must be requestLength(jobs) long");
  return { id, op, keys: keyIndex.size, meta, bytes };
}

/** The jobs of a request, as views of its bytes. */
export function unpackRequest(request: WireRequest): AeadJob[] {
  const { keys, meta, bytes } = request;
  const count = meta.length / 3;
  let nonceAt = keys * AEAD_KEY_LENGTH;
  let at = nonceAt + count * AEAD_NONCE_LENGTH;
  const jobs: AeadJob[] = [];
  for (let i = 0; i < count; i++) {
    const keyAt = meta[i * 3] * AEAD_KEY_LENGTH;
    const aadLength = meta[i * 3 + 1];
    const dataLength = meta[i * 3 + 2];
    jobs.push({
      key: bytes.subarray(keyAt, keyAt + AEAD_KEY_LENGTH),
      nonce: bytes.subarray(nonceAt, nonceAt + AEAD_NONCE_LENGTH),
      aad: bytes.subarray(at, at + aadLength),
      data: bytes.subarray(at + aadLength, at + aadLength + dataLength),
    });
    nonceAt += AEAD_NONCE_LENGTH;
    at += aadLength + dataLength;
  }
  return jobs;
}

/** The key bytes of a request (to wipe once the slice is done). */
export function requestKeys(request: WireRequest): Uint8Array {
  return request.bytes.subarray(0, request.keys * AEAD_KEY_LENGTH);
}

/** The buffers to transfer with `results`: each distinct, movable one once. */
export function transferables(results: readonly (Uint8Array | null)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const r of results) if (r !== null && r.buffer instanceof ArrayBuffer) buffers.add(r.buffer);
  return [...buffers];
}
