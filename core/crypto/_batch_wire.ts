/**
 * The messages between the worker pool (batch_workers.ts) and its workers
 * (_batch_worker.ts). A slice of a batch goes as one packed buffer that is
 * transferred (moved, not copied again) to the worker: the distinct keys (32
 * bytes each), the nonces (12 bytes per job), the aad of every job, then the
 * data of every job, except data that already lives in shared memory
 * (a SharedArrayBuffer): that is passed as it is, with no copy at all.
 * `meta` holds three u32 per job: key index, aad length, data length.
 *
 * The results come back as the engine made them, each in its own buffer,
 * transferred: no copy either way for the bulk of the bytes.
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
  /** Keys, nonces, every aad, then the data not in `shared`. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Per job: its data when it is in shared memory, else null (it is in `bytes`). */
  shared: (Uint8Array | null)[];
}

/** A worker's answer: the results of a slice (null: a tag that did not verify), or a refusal. */
export type WireResponse =
  | { id: number; ok: true; results: (Uint8Array | null)[] }
  | { id: number; ok: false };

const EMPTY = new Uint8Array(0);

function inShared(data: Uint8Array): boolean {
  return typeof SharedArrayBuffer === "function" && data.buffer instanceof SharedArrayBuffer;
}

/** Packs `jobs` into a request; a key shared by reference is sent once. */
export function packRequest(id: number, op: WireOp, jobs: readonly AeadJob[]): WireRequest {
  const keyIndex = new Map<Uint8Array, number>();
  for (const job of jobs) if (!keyIndex.has(job.key)) keyIndex.set(job.key, keyIndex.size);
  const shared = jobs.map((job) => inShared(job.data) ? job.data : null);
  let total = keyIndex.size * AEAD_KEY_LENGTH + jobs.length * AEAD_NONCE_LENGTH;
  jobs.forEach((job, i) => total += (job.aad?.length ?? 0) + (shared[i] ? 0 : job.data.length));
  const bytes = new Uint8Array(total);
  const meta = new Uint32Array(jobs.length * 3);
  for (const [key, index] of keyIndex) bytes.set(key, index * AEAD_KEY_LENGTH);
  let at = keyIndex.size * AEAD_KEY_LENGTH;
  jobs.forEach((job, i) => {
    bytes.set(job.nonce, at + i * AEAD_NONCE_LENGTH);
    meta.set([keyIndex.get(job.key)!, job.aad?.length ?? 0, job.data.length], i * 3);
  });
  at += jobs.length * AEAD_NONCE_LENGTH;
  for (const job of jobs) {
    bytes.set(job.aad ?? EMPTY, at);
    at += job.aad?.length ?? 0;
  }
  jobs.forEach((job, i) => {
    if (shared[i] !== null) return;
    bytes.set(job.data, at);
    at += job.data.length;
  });
  return { id, op, keys: keyIndex.size, meta, bytes, shared };
}

/** The jobs of a request, as views of its buffers. */
export function unpackRequest(request: WireRequest): AeadJob[] {
  const { keys, meta, bytes, shared } = request;
  const count = shared.length;
  const nonceAt = keys * AEAD_KEY_LENGTH;
  let aadAt = nonceAt + count * AEAD_NONCE_LENGTH;
  let dataAt = aadAt;
  for (let i = 0; i < count; i++) dataAt += meta[i * 3 + 1];
  const jobs: AeadJob[] = [];
  for (let i = 0; i < count; i++) {
    const keyAt = meta[i * 3] * AEAD_KEY_LENGTH;
    const aadLength = meta[i * 3 + 1];
    const dataLength = meta[i * 3 + 2];
    let data = shared[i];
    if (data === null) {
      data = bytes.subarray(dataAt, dataAt + dataLength);
      dataAt += dataLength;
    }
    jobs.push({
      key: bytes.subarray(keyAt, keyAt + AEAD_KEY_LENGTH),
      nonce: bytes.subarray(nonceAt + i * AEAD_NONCE_LENGTH, nonceAt + (i + 1) * AEAD_NONCE_LENGTH),
      aad: bytes.subarray(aadAt, aadAt + aadLength),
      data,
    });
    aadAt += aadLength;
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
