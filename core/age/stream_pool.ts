/**
 * The workers that seal and open the age payload of a file in parallel
 * (file.ts): STREAM chunks are independent, so runs of them (_stream_run.ts)
 * go to a small pool of Web Workers while the calling thread reads and
 * writes. Inputs and outputs are views of SharedArrayBuffers, so nothing is
 * copied or transferred; once every worker has a run out, the calling thread
 * does the next one itself. A run whose worker fails (an error, a crash,
 * close() while it is out) is redone on the calling thread from the same
 * buffers: no run is ever lost. A worker that fails before it ever answered
 * (its module cannot load here) turns the pool off; runs then stay on the
 * calling thread.
 *
 * @module
 */
import { runChunks, type RunRequest, type RunResult } from "./_stream_run.ts";

export type { RunRequest, RunResult } from "./_stream_run.ts";

/** The worker module. */
const WORKER_URL = new URL("./_stream_worker.ts", import.meta.url);

/** A request as posted to a worker (the key is a copy the worker wipes). */
export interface WorkerRequest {
  /** Matches the answer to its request. */
  id: number;
  /** The run. */
  request: RunRequest;
}

/** A worker's answer. */
export type WorkerResponse = { id: number; ok: true; result: RunResult } | {
  id: number;
  ok: false;
};

interface Pending {
  request: RunRequest;
  resolve(result: RunResult): void;
  reject(err: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  answered: boolean;
}

/** What the pool did so far. */
export interface StreamPoolStats {
  /** Runs done by a worker. */
  workerRuns: number;
  /** Runs done on the calling thread (no worker, or redone after a failure). */
  callingThreadRuns: number;
  /** Workers that failed. */
  workerFailures: number;
}

/** Options of {@link StreamPool}. */
export interface StreamPoolOptions {
  /** Workers, 0 or more (0: every run on the calling thread). */
  workers: number;
  /** The worker module (default: _stream_worker.ts beside this file). */
  workerUrl?: string | URL;
}

/**
 * A pool of payload workers; workers start on the first run, and
 * {@link StreamPool.close} terminates them (a live worker keeps the process running).
 *
 * @example
 * ```ts
 * import { StreamPool } from "./stream_pool.ts";
 * const pool = new StreamPool({ workers: 0 });
 * const result = await pool.run({
 *   op: "seal",
 *   key: new Uint8Array(32),
 *   counter: 0,
 *   atEnd: true,
 *   input: new Uint8Array(3),
 *   output: new Uint8Array(19),
 * });
 * result.written; // 19
 * pool.close();
 * ```
 */
export class StreamPool {
  #size: number;
  #url: string | URL;
  #workers: PoolWorker[] = [];
  #nextId = 0;
  #disabled: boolean;
  #stats: StreamPoolStats = { workerRuns: 0, callingThreadRuns: 0, workerFailures: 0 };

  /** A pool of `options.workers` workers (none started yet). */
  constructor(options: StreamPoolOptions) {
    if (!Number.isSafeInteger(options.workers) || options.workers < 0) {
      throw new RangeError(`workers must be a non-negative integer, got ${options.workers}`);
    }
    this.#size = options.workers;
    this.#disabled = options.workers === 0;
    this.#url = options.workerUrl ?? WORKER_URL;
  }

  /** Workers the pool runs (0 once it turned itself off). */
  get size(): number {
    return this.#disabled ? 0 : this.#size;
  }

  /** Counts of the work done so far. */
  stats(): StreamPoolStats {
    return { ...this.#stats };
  }

  /**
   * Does the run on the idlest worker (or the calling thread). Its `input`
   * and `output` must be views of SharedArrayBuffers for a worker to take it.
   */
  run(request: RunRequest): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { request, resolve, reject };
      const shared = request.input.buffer instanceof SharedArrayBuffer &&
        request.output.buffer instanceof SharedArrayBuffer;
      const entry = shared ? this.#idlest() : null;
      // The calling thread takes its share once every worker has a run out.
      if (entry === null || entry.pending.size > 0) return this.#onCallingThread(pending);
      const id = this.#nextId++;
      entry.pending.set(id, pending);
      // The key goes as a copy (structured clone); the worker wipes it.
      entry.worker.postMessage({ id, request } satisfies WorkerRequest);
    });
  }

  /**
   * Starts the workers now instead of at the first run, so that their
   * start-up (a Deno isolate and node:crypto: about 170 ms on a loaded
   * 2-core machine) overlaps the caller's header and key work.
   */
  start(): void {
    if (this.#disabled) return;
    while (this.#workers.length < this.#size) this.#workers.push(this.#spawn());
  }

  /** Terminates the workers; runs still out are redone on the calling thread. */
  close(): void {
    for (const entry of this.#workers.splice(0)) this.#retire(entry);
  }

  #idlest(): PoolWorker | null {
    if (this.#disabled) return null;
    this.start();
    let best = this.#workers[0];
    for (const entry of this.#workers) if (entry.pending.size < best.pending.size) best = entry;
    return best;
  }

  #spawn(): PoolWorker {
    const entry: PoolWorker = {
      worker: new Worker(this.#url, { type: "module" }),
      pending: new Map(),
      answered: false,
    };
    entry.worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      entry.answered = true;
      const response = event.data;
      const pending = entry.pending.get(response.id);
      if (pending === undefined) return;
      entry.pending.delete(response.id);
      if (!response.ok) return this.#onCallingThread(pending);
      this.#stats.workerRuns++;
      pending.resolve(response.result);
    };
    entry.worker.onerror = (event: Event) => {
      event.preventDefault(); // Handled here: the error must not end the process.
      this.#fail(entry);
    };
    entry.worker.onmessageerror = () => this.#fail(entry);
    return entry;
  }

  #fail(entry: PoolWorker): void {
    this.#stats.workerFailures++;
    if (!entry.answered) this.#disabled = true;
    const at = this.#workers.indexOf(entry);
    if (at >= 0) this.#workers.splice(at, 1);
    this.#retire(entry);
  }

  #retire(entry: PoolWorker): void {
    entry.worker.terminate();
    const pending = [...entry.pending.values()];
    entry.pending.clear();
    for (const p of pending) this.#onCallingThread(p);
  }

  #onCallingThread(pending: Pending): void {
    this.#stats.callingThreadRuns++;
    try {
      pending.resolve(runChunks(pending.request));
    } catch (err) {
      pending.reject(err);
    }
  }
}
