/**
 * A {@link BatchAead} that spreads each batch over a small pool of Web
 * Workers, each running the CPU engine (batch_cpu.ts, native
 * ChaCha20-Poly1305, RFC 8439 §2.8), so a batch of large jobs (the age
 * STREAM's 64 KiB chunks) uses every core. The results are the CPU
 * engine's, byte for byte.
 *
 * - Workers start on the first batch, not before, and {@link WorkerBatchAead.close}
 *   terminates them (a live worker keeps the process running).
 * - A batch is cut into contiguous slices of about equal bytes, one per
 *   worker. A slice is copied once, into a packed buffer (_batch_wire.ts)
 *   that is transferred to the worker and comes back with the answer, to be
 *   packed into again; the results come back transferred, not copied. The
 *   copy is what lets the pool redo a slice: the caller's jobs stay intact.
 * - Keys travel inside the transferred buffer (nothing of them stays on the
 *   calling thread) and the worker wipes them after use; close() wipes the
 *   buffers kept for reuse.
 * - No job is ever lost: a slice whose worker fails (an error, a crash, a
 *   message that cannot be read, or close() while it is out) is redone on
 *   the calling thread, where any real error (a bad key length) surfaces as
 *   the rejection the CPU engine gives. A worker that fails before it ever
 *   answered (its module cannot load) turns the pool off for good; the
 *   engine then works on the calling thread only.
 *
 * @module
 */
import { cpuBatchAead } from "./batch_cpu.ts";
import { checkNoncesUnique } from "./_batch_check.ts";
import type { AeadJob, BatchAead } from "./batch_types.ts";
import { packRequest, requestLength, type WireOp, type WireResponse } from "./_batch_wire.ts";

export type { AeadJob, BatchAead } from "./batch_types.ts";

/** The most workers {@link defaultWorkerCount} proposes. */
export const MAX_DEFAULT_WORKERS = 8;

/** Packed buffers kept for reuse, per worker. */
const SPARES_PER_WORKER = 4;

/** The worker module. */
const WORKER_URL = new URL("./_batch_worker.ts", import.meta.url);

/** Options of {@link WorkerBatchAead}. */
export interface WorkerBatchAeadOptions {
  /** Workers in the pool, at least 1 (default {@link defaultWorkerCount}). */
  workers?: number;
  /** The worker module (default: _batch_worker.ts beside this file). */
  workerUrl?: string | URL;
}

/** What the pool did so far. */
export interface WorkerStats {
  /** Jobs whose results came from a worker. */
  workerJobs: number;
  /** Jobs redone on the calling thread because their worker failed or closed. */
  redoneJobs: number;
  /** Workers that failed (errors, crashes, unreadable messages). */
  workerFailures: number;
}

type Result = Uint8Array | null;

interface Slice {
  op: WireOp;
  jobs: readonly AeadJob[];
  resolve(results: Result[]): void;
  reject(err: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  /** Slices posted and not yet answered, by request id. */
  pending: Map<number, Slice>;
  /** Whether it answered at least once (it loaded and works). */
  answered: boolean;
}

/**
 * Workers for a pool on this machine: one per logical core, at most
 * {@link MAX_DEFAULT_WORKERS}.
 *
 * @example
 * ```ts
 * import { defaultWorkerCount } from "./batch_workers.ts";
 * defaultWorkerCount() >= 1; // true
 * ```
 */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, navigator.hardwareConcurrency || 1));
}

function onCallingThread(op: WireOp, jobs: readonly AeadJob[]): Promise<Result[]> {
  return op === "seal" ? cpuBatchAead.sealBatch(jobs) : cpuBatchAead.openBatch(jobs);
}

// Only well-formed jobs are packed; the CPU engine gives misuse its usual error.
function wellFormed(job: AeadJob): boolean {
  return job.key instanceof Uint8Array && job.key.length === 32 &&
    job.nonce instanceof Uint8Array && job.nonce.length === 12 &&
    job.data instanceof Uint8Array && (job.aad === undefined || job.aad instanceof Uint8Array);
}

/** Cuts `jobs` into at most `parts` contiguous slices of about equal bytes. */
function split(jobs: readonly AeadJob[], parts: number): AeadJob[][] {
  let total = 0;
  for (const job of jobs) total += job.data.length + 1; // +1: empty jobs count too.
  const slices: AeadJob[][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < jobs.length; i++) {
    bytes += jobs[i].data.length + 1;
    if (bytes >= (total * (slices.length + 1)) / parts || i === jobs.length - 1) {
      slices.push(jobs.slice(start, i + 1));
      start = i + 1;
    }
  }
  return slices;
}

/**
 * The worker pool engine.
 *
 * @example
 * ```ts
 * import { WorkerBatchAead } from "./batch_workers.ts";
 * const engine = new WorkerBatchAead({ workers: 2 });
 * const key = new Uint8Array(32);
 * const jobs = [0, 1].map((i) => ({ key, nonce: new Uint8Array(12).fill(i), data: new Uint8Array(65536) }));
 * const sealed = await engine.sealBatch(jobs);
 * sealed[1].length; // 65552
 * engine.close();
 * ```
 */
export class WorkerBatchAead implements BatchAead {
  /** The engine's name in reports. */
  readonly name = "cpu-workers";
  #size: number;
  #url: string | URL;
  #workers: PoolWorker[] = [];
  #nextId = 0;
  #disabled = false;
  #spares: ArrayBuffer[] = [];
  #stats: WorkerStats = { workerJobs: 0, redoneJobs: 0, workerFailures: 0 };

  /** A pool; no worker starts until the first batch. */
  constructor(options: WorkerBatchAeadOptions = {}) {
    const size = options.workers ?? defaultWorkerCount();
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`workers must be a positive integer, got ${size}`);
    }
    this.#size = size;
    this.#url = options.workerUrl ?? WORKER_URL;
  }

  /** Workers in the pool when it runs. */
  get size(): number {
    return this.#size;
  }

  /** Seals every job, spread over the workers; E_NONCE_REUSE when a (key, nonce) pair repeats. */
  sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]> {
    try {
      checkNoncesUnique(jobs); // Across the whole batch: each worker sees only its slice.
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#run("seal", jobs) as Promise<Uint8Array[]>;
  }

  /** Opens every job, spread over the workers; null where a tag does not verify. */
  openBatch(jobs: readonly AeadJob[]): Promise<(Uint8Array | null)[]> {
    return this.#run("open", jobs);
  }

  /** Counts of the work done so far. */
  stats(): WorkerStats {
    return { ...this.#stats };
  }

  /** Terminates the workers; slices still out are redone on the calling thread. */
  close(): void {
    for (const entry of this.#workers.splice(0)) this.#retire(entry);
    // They held copies of job data (plaintext, when sealing); keys were wiped in the worker.
    for (const spare of this.#spares.splice(0)) new Uint8Array(spare).fill(0);
  }

  async #run(op: WireOp, jobs: readonly AeadJob[]): Promise<Result[]> {
    if (jobs.length === 0) return [];
    if (this.#disabled || !jobs.every(wellFormed)) return await onCallingThread(op, jobs);
    const slices = split(jobs, this.#size);
    const results = await Promise.all(slices.map((slice) => this.#post(op, slice)));
    return results.flat();
  }

  #post(op: WireOp, jobs: readonly AeadJob[]): Promise<Result[]> {
    return new Promise((resolve, reject) => {
      const slice: Slice = { op, jobs, resolve, reject };
      const entry = this.#idlest();
      if (entry === null) return this.#redo(slice);
      const id = this.#nextId++;
      const request = packRequest(id, op, jobs, this.#buffer(requestLength(jobs)));
      entry.pending.set(id, slice);
      try {
        entry.worker.postMessage(request, [request.meta.buffer, request.bytes.buffer]);
      } catch {
        request.bytes.fill(0);
        entry.pending.delete(id);
        this.#redo(slice);
      }
    });
  }

  /** `length` bytes to pack into: a view of a spare buffer when one is large enough. */
  #buffer(length: number): Uint8Array<ArrayBuffer> {
    const at = this.#spares.findIndex((spare) => spare.byteLength >= length);
    if (at < 0) return new Uint8Array(length);
    return new Uint8Array(this.#spares.splice(at, 1)[0], 0, length);
  }

  /** The worker with the fewest slices out, starting the pool if needed; null when off. */
  #idlest(): PoolWorker | null {
    if (this.#disabled) return null;
    while (this.#workers.length < this.#size) this.#workers.push(this.#spawn());
    let best = this.#workers[0];
    for (const entry of this.#workers) {
      if (entry.pending.size < best.pending.size) best = entry;
    }
    return best;
  }

  #spawn(): PoolWorker {
    const entry: PoolWorker = {
      worker: new Worker(this.#url, { type: "module" }),
      pending: new Map(),
      answered: false,
    };
    entry.worker.onmessage = (event: MessageEvent<WireResponse>) => this.#answer(entry, event.data);
    entry.worker.onerror = (event: Event) => {
      event.preventDefault(); // Handled here: the error must not end the process.
      this.#fail(entry);
    };
    entry.worker.onmessageerror = () => this.#fail(entry);
    return entry;
  }

  #answer(entry: PoolWorker, response: WireResponse): void {
    entry.answered = true;
    const { spare } = response;
    if (spare instanceof ArrayBuffer && this.#spares.length < SPARES_PER_WORKER * this.#size) {
      this.#spares.push(spare);
    }
    const slice = entry.pending.get(response.id);
    if (slice === undefined) return;
    entry.pending.delete(response.id);
    if (!response.ok || response.results.length !== slice.jobs.length) return this.#redo(slice);
    this.#stats.workerJobs += slice.jobs.length;
    slice.resolve(response.results);
  }

  #fail(entry: PoolWorker): void {
    this.#stats.workerFailures++;
    // A worker that never answered cannot load or run here: stop using workers.
    if (!entry.answered) this.#disabled = true;
    const at = this.#workers.indexOf(entry);
    if (at >= 0) this.#workers.splice(at, 1);
    this.#retire(entry);
  }

  /** Terminates a worker and redoes its slices on the calling thread. */
  #retire(entry: PoolWorker): void {
    entry.worker.terminate();
    const slices = [...entry.pending.values()];
    entry.pending.clear();
    for (const slice of slices) this.#redo(slice);
  }

  #redo(slice: Slice): void {
    this.#stats.redoneJobs += slice.jobs.length;
    onCallingThread(slice.op, slice.jobs).then(slice.resolve, slice.reject);
  }
}
