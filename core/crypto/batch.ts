/**
 * The batch ChaCha20-Poly1305 engine Meteor uses (RFC 8439 §2.8): the CPU
 * engine (batch_cpu.ts, native node:crypto) or the WebGPU engine
 * (core/gpu/aead.ts), chosen by config `cipher.path`:
 *
 * - "cpu": always the CPU;
 * - "gpu": always WebGPU (which still redoes on the CPU whatever the device
 *   cannot do: no adapter, device lost);
 * - "auto": on first use, both engines are timed on a representative batch
 *   and the faster is kept for the rest of the process. Small messages and
 *   large chunks are calibrated separately (they favour different engines),
 *   and a batch of fewer than {@link MIN_GPU_JOBS} jobs and fewer than
 *   {@link MIN_GPU_BYTES} bytes stays on the CPU, since one dispatch costs
 *   more than so little work.
 *
 * Both engines produce the same bytes, so the choice is only about speed.
 *
 * @module
 */
import { type AdapterProvider, GpuAead, type GpuAeadStats, type GpuProbe } from "../gpu/mod.ts";
import { cpuBatchAead } from "./batch_cpu.ts";
import type { AeadJob, BatchAead } from "./batch_types.ts";

export type { AeadJob, BatchAead } from "./batch_types.ts";

/** The configured cipher path (config `cipher.path`). */
export type CipherPath = "auto" | "cpu" | "gpu";

/** A batch with fewer jobs than this (and fewer than {@link MIN_GPU_BYTES} bytes) runs on the CPU in "auto". */
export const MIN_GPU_JOBS = 64;
/** A batch with fewer bytes than this (and fewer than {@link MIN_GPU_JOBS} jobs) runs on the CPU in "auto". */
export const MIN_GPU_BYTES = 256 * 1024;

/** Average job size (bytes) up to which a batch counts as "messages" rather than "chunks". */
export const MESSAGE_CLASS_MAX_BYTES = 4096;

/** The workload classes calibrated separately. */
export type WorkloadClass = "messages" | "chunks";

/** The representative batch timed for each class. */
const REPRESENTATIVE: Record<WorkloadClass, { jobs: number; bytes: number }> = {
  messages: { jobs: 4096, bytes: 64 },
  chunks: { jobs: 16, bytes: 64 * 1024 },
};

/** Timed runs per engine (after one warm-up run); the median is kept. */
const CALIBRATION_RUNS = 3;

/** The outcome of calibrating one workload class. */
export interface Calibration {
  /** The class. */
  workload: WorkloadClass;
  /** Jobs in the representative batch. */
  jobs: number;
  /** Bytes of each job. */
  jobBytes: number;
  /** Median CPU seal rate, jobs per second. */
  cpuJobsPerSecond: number;
  /** Median GPU seal rate, jobs per second; null when no GPU was usable. */
  gpuJobsPerSecond: number | null;
  /** The engine kept for this class. */
  chosen: "cpu" | "gpu";
}

/** What `meteor selftest` reports about the batch cipher. */
export interface BatchReport {
  /** The configured path. */
  requested: CipherPath;
  /** The WebGPU adapter, or why there is none (absent when path is "cpu"). */
  gpu?: GpuProbe;
  /** One entry per calibrated class ("auto" only). */
  calibrations: Calibration[];
  /** GPU and fallback work done so far. */
  gpuStats?: GpuAeadStats;
}

/** Options of {@link createBatchAead}. */
export interface BatchAeadOptions {
  /** "auto" (default), "cpu" or "gpu". */
  path?: CipherPath;
  /** The CPU engine (default: batch_cpu.ts). */
  cpu?: BatchAead;
  /** Where the WebGPU adapter comes from (default: navigator.gpu). */
  adapter?: AdapterProvider;
  /** Largest input of one GPU dispatch, in bytes. */
  maxChunkBytes?: number;
}

/** A {@link BatchAead} that picks its engine, with a report of how it chose. */
export interface SelectingBatchAead extends BatchAead {
  /** Calibrates every class now (in "auto") and reports the choices. */
  report(): Promise<BatchReport>;
  /** Releases the GPU device, if one was opened. */
  close(): void;
}

/** The class of a batch, or null when it is too small to be worth a dispatch. */
function workloadOf(jobs: readonly AeadJob[]): WorkloadClass | null {
  let bytes = 0;
  for (const job of jobs) bytes += job.data.length;
  if (jobs.length < MIN_GPU_JOBS && bytes < MIN_GPU_BYTES) return null;
  return bytes / jobs.length <= MESSAGE_CLASS_MAX_BYTES ? "messages" : "chunks";
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Jobs per second of `engine` sealing `jobs`: one warm-up, then the median of the runs. */
async function sealRate(engine: BatchAead, jobs: AeadJob[]): Promise<number> {
  await engine.sealBatch(jobs);
  const rates: number[] = [];
  for (let run = 0; run < CALIBRATION_RUNS; run++) {
    const start = performance.now();
    await engine.sealBatch(jobs);
    rates.push(jobs.length / Math.max((performance.now() - start) / 1000, 1e-6));
  }
  return median(rates);
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
  const cpu = options.cpu ?? cpuBatchAead;
  const gpu = path === "cpu" ? null : new GpuAead({
    fallback: cpu,
    adapter: options.adapter,
    maxChunkBytes: options.maxChunkBytes,
  });
  const calibrations = new Map<WorkloadClass, Promise<Calibration>>();

  const calibrate = (workload: WorkloadClass): Promise<Calibration> => {
    let pending = calibrations.get(workload);
    if (pending === undefined) {
      pending = (async () => {
        const { jobs: count, bytes } = REPRESENTATIVE[workload];
        // Synthetic, non-secret inputs: only the timing matters.
        const jobs = Array.from({ length: count }, (_, i) => ({
          key: new Uint8Array(32).fill(i & 0xff),
          nonce: new Uint8Array(12),
          data: new Uint8Array(bytes),
        }));
        const cpuRate = await sealRate(cpu, jobs);
        const probe = await gpu!.probe();
        const gpuRate = probe.available ? await sealRate(gpu!, jobs) : null;
        return {
          workload,
          jobs: count,
          jobBytes: bytes,
          cpuJobsPerSecond: cpuRate,
          gpuJobsPerSecond: gpuRate,
          chosen: gpuRate !== null && gpuRate > cpuRate ? "gpu" : "cpu",
        };
      })();
      calibrations.set(workload, pending);
    }
    return pending;
  };

  const engineFor = async (jobs: readonly AeadJob[]): Promise<BatchAead> => {
    if (gpu === null) return cpu;
    if (path === "gpu") return gpu;
    const workload = workloadOf(jobs);
    if (workload === null) return cpu;
    return (await calibrate(workload)).chosen === "gpu" ? gpu : cpu;
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
      if (gpu === null) return { requested: path, calibrations: [] };
      const probe = await gpu.probe();
      const done = path === "auto"
        ? await Promise.all((Object.keys(REPRESENTATIVE) as WorkloadClass[]).map(calibrate))
        : [];
      return { requested: path, gpu: probe, calibrations: done, gpuStats: gpu.stats() };
    },
    close() {
      gpu?.close();
    },
  };
}

const shared = new Map<CipherPath, SelectingBatchAead>();

/**
 * The process-wide engine for `path` (the node's config `cipher.path`), made
 * on first call, so calibration runs and the GPU device opens once per process.
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
