/**
 * The batch ChaCha20-Poly1305 engine Meteor uses (RFC 8439 §2.8): the CPU
 * engine (batch_cpu.ts, native node:crypto) or the WebGPU engine
 * (core/gpu/aead.ts), chosen by config `cipher.path`:
 *
 * - "cpu": always the CPU;
 * - "gpu": always WebGPU (which still redoes on the CPU whatever the device
 *   cannot do: no adapter, device lost);
 * - "auto": per job size ({@link JOB_CLASSES}: 64 B to 64 KiB), on the first
 *   batch of that size, the CPU engine (per-call native ChaCha20-Poly1305,
 *   the baseline) and WebGPU are timed on batches of two sizes, which gives
 *   each a cost model, time = fixed + jobs x per-job (a GPU pays a fixed
 *   latency per batch, then less per job), and a batch goes to WebGPU only
 *   when the models of its job size predict it {@link GPU_MARGIN} times
 *   faster than per-call native for that many jobs. The models are kept for the rest of the process.
 *
 * On the CPU side, an engine made with `workers` sends batches of at least
 * {@link WORKER_MIN_BATCH_BYTES} (an age STREAM window of large chunks) to a
 * pool of Web Workers (batch_workers.ts) that uses every core, and keeps
 * smaller batches on the calling thread, where a worker's round trip would
 * cost more than it saves. The rule is a fixed size, not a timing, so a
 * small input never starts a worker. Such an engine must be closed: live
 * workers keep the process running. The shared engines of {@link batchAead}
 * have no workers.
 *
 * Every engine produces the same bytes, so the choice is only about speed.
 *
 * @module
 */
import { type AdapterProvider, GpuAead, type GpuAeadStats, type GpuProbe } from "../gpu/mod.ts";
import { cpuBatchAead } from "./batch_cpu.ts";
import type { AeadJob, BatchAead } from "./batch_types.ts";
import { WorkerBatchAead, type WorkerStats } from "./batch_workers.ts";

export type { AeadJob, BatchAead } from "./batch_types.ts";

/** The configured cipher path (config `cipher.path`). */
export type CipherPath = "auto" | "cpu" | "gpu";

/**
 * Batches of at least this many bytes go to the worker pool, when the engine
 * has one: above it, a batch costs far more than a worker's round trip
 * (tens of microseconds). Four 64 KiB chunks.
 */
export const WORKER_MIN_BATCH_BYTES = 256 * 1024;

/**
 * The job sizes calibrated, in bytes: a batch is timed as the class whose
 * size is nearest its average job size (in log scale). Each has two batch
 * sizes timed, large enough that a batch's fixed cost shows.
 */
export const JOB_CLASSES: readonly { bytes: number; sizes: [number, number] }[] = [
  { bytes: 64, sizes: [512, 8192] },
  { bytes: 1024, sizes: [128, 2048] },
  { bytes: 16 * 1024, sizes: [16, 256] },
  { bytes: 64 * 1024, sizes: [4, 64] },
];

/** The calibrated class for a batch of `jobs`: the nearest job size, in log scale. */
export function jobClassOf(jobs: readonly AeadJob[]): number {
  let bytes = 0;
  for (const job of jobs) bytes += job.data.length;
  const average = Math.log2(Math.max(1, bytes / jobs.length));
  let best = 0;
  for (let i = 1; i < JOB_CLASSES.length; i++) {
    const d = Math.abs(Math.log2(JOB_CLASSES[i].bytes) - average);
    if (d < Math.abs(Math.log2(JOB_CLASSES[best].bytes) - average)) best = i;
  }
  return best;
}

/**
 * How much faster than per-call native the GPU must be predicted before a
 * batch goes to it: calibration timings move with the machine's load, and a
 * batch sent to the GPU on a prediction that was only just better can end
 * up slower than per-call.
 */
export const GPU_MARGIN = 1.5;

/** Timed runs per engine and batch size (after one warm-up run); the median is kept. */
const CALIBRATION_RUNS = 3;

/** Predicted milliseconds for a batch: `fixedMs + jobs * perJobMs`. */
export interface CostModel {
  /** Cost of any batch, however small (dispatch and readback latency), in ms. */
  fixedMs: number;
  /** Cost of each job, in ms. */
  perJobMs: number;
}

/** The outcome of calibrating one job size. */
export interface Calibration {
  /** The class, for reports ("64 B jobs"). */
  workload: string;
  /** Bytes of each job timed. */
  jobBytes: number;
  /** The two batch sizes timed. */
  sizes: [number, number];
  /** The CPU engine's cost model: per-call native ChaCha20-Poly1305, the baseline. */
  cpu: CostModel;
  /** The GPU engine's cost model; null when no GPU was usable. */
  gpu: CostModel | null;
  /**
   * The smallest batch the GPU is predicted {@link GPU_MARGIN} times faster than per-call native
   * for; null when never.
   */
  gpuFromJobs: number | null;
}

/** What `meteor selftest` reports about the batch cipher. */
export interface BatchReport {
  /** The configured path. */
  requested: CipherPath;
  /** The WebGPU adapter, or why there is none (absent when path is "cpu"). */
  gpu?: GpuProbe;
  /** One entry per calibrated job size ("auto" only). */
  calibrations: Calibration[];
  /** GPU and fallback work done so far. */
  gpuStats?: GpuAeadStats;
  /** Worker pool work so far (engines made with `workers` only). */
  workerStats?: WorkerStats;
}

/** Options of {@link createBatchAead}. */
export interface BatchAeadOptions {
  /** "auto" (default), "cpu" or "gpu". */
  path?: CipherPath;
  /** The calling-thread CPU engine (default: batch_cpu.ts). */
  cpu?: BatchAead;
  /**
   * Workers for large CPU batches (batch_workers.ts, running batch_cpu.ts);
   * 0 (the default) keeps every CPU batch on the calling thread. An engine
   * with workers must be closed.
   */
  workers?: number;
  /** Where the WebGPU adapter comes from (default: navigator.gpu). */
  adapter?: AdapterProvider;
  /** Largest input of one GPU dispatch, in bytes. */
  maxChunkBytes?: number;
}

/** A {@link BatchAead} that picks its engine, with a report of how it chose. */
export interface SelectingBatchAead extends BatchAead {
  /** Calibrates every class now (in "auto") and reports the models. */
  report(): Promise<BatchReport>;
  /** Releases the GPU device and terminates the workers, if any were started. */
  close(): void;
}

/**
 * The cost model through two timings: `ms[i]` milliseconds for `sizes[i]` jobs.
 *
 * @example
 * ```ts
 * import { fitCostModel } from "./batch.ts";
 * fitCostModel([10, 110], [2, 12]); // { fixedMs: 1, perJobMs: 0.1 }
 * ```
 */
export function fitCostModel(sizes: [number, number], ms: [number, number]): CostModel {
  const perJobMs = Math.max(0, (ms[1] - ms[0]) / (sizes[1] - sizes[0]));
  return { fixedMs: Math.max(0, ms[0] - sizes[0] * perJobMs), perJobMs };
}

/**
 * The smallest batch (in jobs, at least 1) for which `gpu` is predicted
 * faster than `cpu`, or null when it never is.
 *
 * @example
 * ```ts
 * import { gpuBreakEven } from "./batch.ts";
 * gpuBreakEven({ fixedMs: 0, perJobMs: 0.005 }, { fixedMs: 11, perJobMs: 0.0005 }); // 2445
 * ```
 */
export function gpuBreakEven(cpu: CostModel, gpu: CostModel): number | null {
  if (gpu.perJobMs >= cpu.perJobMs) {
    return gpu.fixedMs < cpu.fixedMs && gpu.perJobMs === cpu.perJobMs ? 1 : null;
  }
  const jobs = (gpu.fixedMs - cpu.fixedMs) / (cpu.perJobMs - gpu.perJobMs);
  return Math.max(1, Math.floor(jobs) + 1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median milliseconds of `engine` sealing `jobs` (after one warm-up run). */
async function sealMs(engine: BatchAead, jobs: AeadJob[]): Promise<number> {
  await engine.sealBatch(jobs);
  const times: number[] = [];
  for (let run = 0; run < CALIBRATION_RUNS; run++) {
    const start = performance.now();
    await engine.sealBatch(jobs);
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Times `engine` at both sizes of a class and fits its cost model. */
async function costModel(
  engine: BatchAead,
  sizes: [number, number],
  jobs: AeadJob[],
): Promise<CostModel> {
  const small = await sealMs(engine, jobs.slice(0, sizes[0]));
  const large = await sealMs(engine, jobs);
  return fitCostModel(sizes, [small, large]);
}

/**
 * A batch engine following `options.path`.
 *
 * @example
 * ```ts
 * import { createBatchAead } from "./batch.ts";
 * const engine = createBatchAead({ path: "auto" });
 * const key = new Uint8Array(32);
 * const jobs = [{ key, nonce: new Uint8Array(12), data: new Uint8Array(64) }];
 * const [sealed] = await engine.sealBatch(jobs);
 * sealed.length; // 80
 * engine.close();
 * ```
 */
export function createBatchAead(options: BatchAeadOptions = {}): SelectingBatchAead {
  const path = options.path ?? "auto";
  const workers = options.workers ?? 0;
  const pool = workers > 0 ? new WorkerBatchAead({ workers }) : null;
  const cpu = withPool(options.cpu ?? cpuBatchAead, pool);
  const gpu = path === "cpu" ? null : new GpuAead({
    fallback: cpu,
    adapter: options.adapter,
    maxChunkBytes: options.maxChunkBytes,
  });
  const calibrations = new Map<number, Promise<Calibration>>();
  // Calibrations run one at a time: timings taken side by side would measure each other.
  let queue: Promise<unknown> = Promise.resolve();

  const calibrate = (index: number): Promise<Calibration> => {
    let pending = calibrations.get(index);
    if (pending === undefined) {
      pending = queue.then(async () => {
        const { bytes, sizes } = JOB_CLASSES[index];
        // Synthetic, non-secret inputs: only the timing matters. Every (key, nonce) differs.
        const jobs = Array.from({ length: sizes[1] }, (_, i) => {
          const nonce = new Uint8Array(12);
          new DataView(nonce.buffer).setUint32(8, i);
          return { key: new Uint8Array(32).fill(i & 0xff), nonce, data: new Uint8Array(bytes) };
        });
        const cpuModel = await costModel(cpu, sizes, jobs);
        const probe = await gpu!.probe();
        const gpuModel = probe.available ? await costModel(gpu!, sizes, jobs) : null;
        return {
          workload: `${bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`} jobs`,
          jobBytes: bytes,
          sizes,
          cpu: cpuModel,
          gpu: gpuModel,
          gpuFromJobs: gpuModel === null ? null : gpuBreakEven(
            { fixedMs: cpuModel.fixedMs / GPU_MARGIN, perJobMs: cpuModel.perJobMs / GPU_MARGIN },
            gpuModel,
          ),
        } satisfies Calibration;
      });
      queue = pending;
      calibrations.set(index, pending);
    }
    return pending;
  };

  const engineFor = async (jobs: readonly AeadJob[]): Promise<BatchAead> => {
    if (gpu === null || jobs.length === 0) return cpu;
    if (path === "gpu") return gpu;
    const { gpuFromJobs } = await calibrate(jobClassOf(jobs));
    return gpuFromJobs !== null && jobs.length >= gpuFromJobs ? gpu : cpu;
  };

  return {
    name: path === "cpu" ? "cpu" : path === "gpu" ? "webgpu" : "auto",
    async sealBatch(jobs) {
      return await (await engineFor(jobs)).sealBatch(jobs);
    },
    async openBatch(jobs) {
      return await (await engineFor(jobs)).openBatch(jobs);
    },
    async report() {
      const workers = () => pool === null ? {} : { workerStats: pool.stats() };
      if (gpu === null) return { requested: path, calibrations: [], ...workers() };
      const probe = await gpu.probe();
      const done: Calibration[] = [];
      if (path === "auto") {
        for (let i = 0; i < JOB_CLASSES.length; i++) done.push(await calibrate(i));
      }
      return {
        requested: path,
        gpu: probe,
        calibrations: done,
        gpuStats: gpu.stats(),
        ...workers(),
      };
    },
    close() {
      gpu?.close();
      pool?.close();
    },
  };
}

/** The CPU side: `calling` for small batches, `pool` (when there is one) for large ones. */
function withPool(calling: BatchAead, pool: WorkerBatchAead | null): BatchAead {
  if (pool === null) return calling;
  const engineFor = (jobs: readonly AeadJob[]): BatchAead => {
    let bytes = 0;
    for (const job of jobs) bytes += job.data.length;
    return bytes >= WORKER_MIN_BATCH_BYTES ? pool : calling;
  };
  return {
    name: calling.name,
    sealBatch: (jobs) => engineFor(jobs).sealBatch(jobs),
    openBatch: (jobs) => engineFor(jobs).openBatch(jobs),
  };
}

const shared = new Map<CipherPath, SelectingBatchAead>();

/**
 * The process-wide engine for `path` (the node's config `cipher.path`), made
 * on first call, so calibration runs and the GPU device opens once per process.
 * It has no workers, so it never keeps the process alive.
 *
 * @example
 * ```ts
 * import { batchAead } from "./batch.ts";
 * const engine = batchAead("cpu");
 * engine.name; // "cpu"
 * ```
 */
export function batchAead(path: CipherPath = "auto"): SelectingBatchAead {
  let engine = shared.get(path);
  if (engine === undefined) {
    engine = createBatchAead({ path });
    shared.set(path, engine);
  }
  return engine;
}
