/**
 * The WebGPU batch ChaCha20-Poly1305 engine (RFC 8439 §2.8): a batch of
 * independent jobs, each with its own key, nonce, aad and length, is packed
 * into a few large chunks; each chunk is sealed or opened by two dispatches
 * (shaders/chacha20.wgsl, then shaders/poly1305.wgsl). Output is identical,
 * byte for byte, to the CPU path.
 *
 * Opening authenticates before it releases anything: the GPU computes each
 * job's tag, the tag is compared here in constant time, and a job whose tag
 * fails yields null and no plaintext.
 *
 * Opening, every plaintext has its own buffer, copied out of the device's
 * readback (a result's `.buffer` holds that job's plaintext only), and the
 * readback copy is wiped once the verified plaintexts are copied out.
 * Sealing, the results are views of one fresh buffer per dispatch that holds
 * only that dispatch's ciphertexts and tags, never plaintext or keys (one
 * copy per dispatch instead of one allocation per job, which is most of the
 * cost of small messages). A batch to seal that reuses a (key, nonce) pair
 * is refused with E_NONCE_REUSE before anything is dispatched.
 *
 * Nothing is ever lost to the GPU: when there is no adapter, when the device
 * fails, is lost or hangs mid-batch, or when a job is larger than one binding,
 * those jobs are redone by the fallback (CPU) engine.
 *
 * @module
 */
import { checkLength, constantTimeEqual, wipe } from "../bytes.ts";
import type { AeadJob, BatchAead } from "../crypto/batch_types.ts";
import { checkNoncesUnique } from "../crypto/_batch_check.ts";
import { type AdapterProvider, type GpuHandle, navigatorAdapter, openDevice } from "./device.ts";
import { type AeadKernels, compileKernels, runKernels } from "./_kernels.ts";
import {
  type ChunkPlan,
  type Mode,
  MODE_OPEN,
  MODE_SEAL,
  packChunk,
  planChunks,
  TAG_BYTES,
} from "./_pack.ts";
import { BufferPool } from "./_pool.ts";

/** Default largest input of one dispatch, in bytes. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
/**
 * Default most jobs in one dispatch: big batches split so packing overlaps the
 * device, but not finer, since every dispatch waits for Deno's mapAsync polling
 * tick (about 10 ms).
 */
export const DEFAULT_CHUNK_JOBS = 65536;
/** How many times a lost device is reopened before the engine stays on the CPU. */
const MAX_REOPENS = 3;
/** Default time a dispatch may take before the device counts as hung and the CPU redoes it. */
export const DEFAULT_DISPATCH_TIMEOUT_MS = 30_000;
/** Dispatches in flight at once: the next chunks are packed while the device runs. */
const IN_FLIGHT = 4;

/** Options of {@link GpuAead}. */
export interface GpuAeadOptions {
  /** Redoes every job the GPU cannot do (no adapter, device lost, job too large). */
  fallback: BatchAead;
  /** Finds the adapter; default {@link navigatorAdapter}. */
  adapter?: AdapterProvider;
  /** Largest input (aad and text, padded) of one dispatch; capped by the device's binding limit. */
  maxChunkBytes?: number;
  /** Most jobs in one dispatch. */
  maxChunkJobs?: number;
  /** Time a dispatch may take before the device counts as hung (its jobs go to the fallback). */
  dispatchTimeoutMs?: number;
}

/** What the engine has done so far. */
export interface GpuAeadStats {
  /** Jobs done on the GPU. */
  gpuJobs: number;
  /** Jobs the fallback engine did. */
  fallbackJobs: number;
  /** Devices lost or failed during a batch. */
  deviceFailures: number;
}

/** Whether WebGPU could be opened, and on what. */
export interface GpuProbe {
  /** Whether the engine runs on a device. */
  available: boolean;
  /** The adapter's description when available. */
  adapter?: string;
  /** Whether the adapter is a software (fallback) adapter such as llvmpipe. */
  softwareAdapter?: boolean;
  /** Why not, when unavailable. */
  reason?: string;
}

interface Ready {
  handle: GpuHandle;
  kernels: AeadKernels;
  pool: BufferPool;
}

// Checks every job's shape; the message (with the job's index) is built only on failure.
function checkJobs(jobs: readonly AeadJob[]): void {
  for (let i = 0; i < jobs.length; i++) {
    const { key, nonce, data, aad } = jobs[i];
    if (!(key instanceof Uint8Array) || key.length !== 32) checkLength(`jobs[${i}].key`, key, 32);
    if (!(nonce instanceof Uint8Array) || nonce.length !== 12) {
      checkLength(`jobs[${i}].nonce`, nonce, 12);
    }
    if (!(data instanceof Uint8Array)) throw new TypeError(`jobs[${i}].data must be a Uint8Array`);
    if (aad !== undefined && !(aad instanceof Uint8Array)) {
      throw new TypeError(`jobs[${i}].aad must be a Uint8Array`);
    }
  }
}

/**
 * A {@link BatchAead} on WebGPU with a CPU fallback.
 *
 * @example
 * ```ts
 * import { GpuAead } from "./aead.ts";
 * import { cpuBatchAead } from "../crypto/batch_cpu.ts";
 * const gpu = new GpuAead({ fallback: cpuBatchAead });
 * const key = new Uint8Array(32);
 * const [sealed] = await gpu.sealBatch([{ key, nonce: new Uint8Array(12), data: new Uint8Array(64) }]);
 * sealed.length; // 80
 * gpu.close();
 * ```
 */
export class GpuAead implements BatchAead {
  /** The engine's name in reports. */
  readonly name = "webgpu";
  #fallback: BatchAead;
  #adapter: AdapterProvider;
  #maxChunkBytes: number;
  #maxChunkJobs: number;
  #timeoutMs: number;
  #ready: Promise<Ready | null> | null = null;
  #current: Ready | null = null;
  #reason = "";
  #reopens = 0;
  #stats: GpuAeadStats = { gpuJobs: 0, fallbackJobs: 0, deviceFailures: 0 };

  /** An engine; the device is opened on first use. */
  constructor(options: GpuAeadOptions) {
    this.#fallback = options.fallback;
    this.#adapter = options.adapter ?? navigatorAdapter;
    this.#maxChunkBytes = options.maxChunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#maxChunkJobs = options.maxChunkJobs ?? DEFAULT_CHUNK_JOBS;
    this.#timeoutMs = options.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS;
    if (!(this.#maxChunkBytes >= 16)) throw new RangeError("maxChunkBytes must be at least 16");
    if (!(this.#maxChunkJobs >= 1)) throw new RangeError("maxChunkJobs must be at least 1");
    if (!(this.#timeoutMs > 0)) throw new RangeError("dispatchTimeoutMs must be positive");
  }

  /** Opens the device if needed and says whether batches will run on it. */
  async probe(): Promise<GpuProbe> {
    const ready = await this.#acquire();
    if (ready === null) return { available: false, reason: this.#reason };
    return {
      available: true,
      adapter: ready.handle.adapterName,
      softwareAdapter: ready.handle.fallbackAdapter,
    };
  }

  /** Counters of GPU and fallback work since the engine was made. */
  stats(): GpuAeadStats {
    return { ...this.#stats };
  }

  /** Seals every job: result i is ciphertext || tag. */
  async sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]> {
    return await this.#run(jobs, MODE_SEAL) as Uint8Array[];
  }

  /** Opens every job: result i is the plaintext, or null when its tag does not verify. */
  openBatch(jobs: readonly AeadJob[]): Promise<(Uint8Array | null)[]> {
    return this.#run(jobs, MODE_OPEN);
  }

  /** Releases the device and its buffers; a later batch opens a new one. */
  close(): void {
    const ready = this.#ready;
    this.#ready = null;
    this.#current = null;
    ready?.then((r) => {
      r?.pool.clear();
      r?.handle.destroy();
    });
  }

  #acquire(): Promise<Ready | null> {
    if (this.#ready === null) {
      this.#ready = (async () => {
        try {
          const handle = await openDevice(this.#adapter);
          try {
            const kernels = await compileKernels(handle.device);
            this.#current = { handle, kernels, pool: new BufferPool(handle.device) };
            return this.#current;
          } catch (err) {
            handle.destroy();
            throw err;
          }
        } catch (err) {
          this.#reason = (err as Error).message;
          return null;
        }
      })();
    }
    return this.#ready;
  }

  /** Drops a failed device; the next batch reopens one, a bounded number of times. */
  #fail(ready: Ready, err: unknown): void {
    if (ready !== this.#current) return;
    this.#current = null;
    this.#stats.deviceFailures++;
    ready.pool.clear();
    if (!ready.handle.lost) ready.handle.destroy();
    const reason = `Cannot use WebGPU: device failed (${(err as Error).message})`;
    if (++this.#reopens > MAX_REOPENS) {
      this.#reason = reason;
      this.#ready = Promise.resolve(null);
    } else {
      this.#ready = null;
    }
  }

  async #run(jobs: readonly AeadJob[], mode: Mode): Promise<(Uint8Array | null)[]> {
    checkJobs(jobs);
    if (mode === MODE_SEAL) checkNoncesUnique(jobs);
    const results: (Uint8Array | null)[] = new Array(jobs.length).fill(null);
    const todo: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      // RFC 8439 §2.8: an input shorter than a tag cannot verify.
      if (mode === MODE_SEAL || jobs[i].data.length >= TAG_BYTES) todo.push(i);
    }
    // Indices of the jobs the fallback engine does (appended one by one: a batch can hold
    // more indices than a spread call takes arguments).
    let cpu: number[] = [];
    // A device lost while idle is replaced before it is used.
    if (this.#current?.handle.lost) this.#fail(this.#current, new Error("device lost"));
    const ready = todo.length > 0 ? await this.#acquire() : null;
    if (ready === null) {
      cpu = todo;
    } else {
      const bindingLimit = ready.handle.device.limits.maxStorageBufferBindingSize;
      const { chunks, oversize } = planChunks(jobs, todo, mode, {
        maxInputBytes: Math.min(this.#maxChunkBytes, bindingLimit),
        maxBindingBytes: bindingLimit,
        maxJobs: this.#maxChunkJobs,
      });
      cpu = oversize;
      let failed = false;
      const inflight: Promise<void>[] = [];
      for (const plan of chunks) {
        if (failed) {
          for (const i of plan.indices) cpu.push(i);
          continue;
        }
        inflight.push(
          this.#runChunk(ready, jobs, plan, mode, results).catch((err) => {
            failed = true;
            this.#fail(ready, err);
            for (const i of plan.indices) cpu.push(i);
          }),
        );
        if (inflight.length >= IN_FLIGHT) await inflight.shift();
      }
      await Promise.all(inflight);
    }
    if (cpu.length > 0) {
      cpu.sort((a, b) => a - b);
      const subset = cpu.map((i) => jobs[i]);
      const done = mode === MODE_SEAL
        ? await this.#fallback.sealBatch(subset)
        : await this.#fallback.openBatch(subset);
      cpu.forEach((i, k) => results[i] = done[k]);
      this.#stats.fallbackJobs += cpu.length;
    }
    return results;
  }

  async #runChunk(
    ready: Ready,
    jobs: readonly AeadJob[],
    plan: ChunkPlan,
    mode: Mode,
    results: (Uint8Array | null)[],
  ): Promise<void> {
    const packed = packChunk(jobs, plan, mode);
    let out: Uint8Array;
    try {
      const { handle, kernels, pool } = ready;
      out = await runKernels(handle.device, kernels, pool, packed, mode, this.#timeoutMs);
    } finally {
      wipe(new Uint8Array(packed.jobWords.buffer), packed.input);
    }
    const { indices } = plan;
    const { textOffsets, textLengths } = packed;
    if (mode === MODE_SEAL) {
      // Views of one buffer that holds only this chunk's ciphertexts and tags (no plaintext, no
      // key): a copy per job would cost more than the dispatch for small messages.
      const buffer = out.buffer;
      for (let k = 0; k < indices.length; k++) {
        results[indices[k]] = new Uint8Array(buffer, textOffsets[k], textLengths[k] + TAG_BYTES);
      }
    } else {
      // Each plaintext gets its own copy: a result's .buffer must show no other job's plaintext.
      const tags = packed.input.byteLength;
      for (let k = 0; k < indices.length; k++) {
        const offset = textOffsets[k];
        const length = textLengths[k];
        const tag = out.subarray(tags + k * TAG_BYTES, tags + (k + 1) * TAG_BYTES);
        // Only a job whose tag verified gets its plaintext.
        if (constantTimeEqual(tag, jobs[indices[k]].data.subarray(length))) {
          results[indices[k]] = out.slice(offset, offset + length);
        }
      }
      wipe(out); // The readback copy held every job's plaintext, verified or not.
    }
    this.#stats.gpuJobs += indices.length;
  }
}
