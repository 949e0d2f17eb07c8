/**
 * The GPU checks of `meteor selftest`:
 * - the known-answer test: the RFC 8439 AEAD vectors sealed and opened on the
 *   WebGPU engine, a tampered tag rejected, and the GPU against the CPU on
 *   random jobs of random lengths. The engine under test has no CPU fallback,
 *   so a GPU fault fails the check instead of hiding behind the CPU;
 * - the batch cipher path: which engine config `cipher.path` gives, with the
 *   calibration numbers behind an "auto" choice.
 *
 * @module
 */
import { constantTimeEqual } from "../bytes.ts";
import { MeteorError } from "../errors.ts";
import { batchAead, type BatchReport, type CipherPath, type CostModel } from "../crypto/batch.ts";
import { cpuBatchAead } from "../crypto/batch_cpu.ts";
import type { AeadJob, BatchAead } from "../crypto/batch_types.ts";
import { GpuAead } from "./aead.ts";
import type { AdapterProvider } from "./device.ts";
import type { SelftestCheck } from "../selftest.ts";
import { type AeadVector, RFC8439_AEAD_VECTORS } from "../_selftest_vectors.ts";

export type { SelftestCheck } from "../selftest.ts";

/** The outcome of {@link gpuSelftest}. */
export interface GpuSelftestResult {
  /** "ok", "failed", or "skipped" when there is no usable WebGPU adapter. */
  status: "ok" | "failed" | "skipped";
  /** One line: what was checked and on which adapter, or why it failed or was skipped. */
  detail: string;
}

/** Options of {@link gpuSelftest}. */
export interface GpuSelftestOptions {
  /** The adapter provider (default: navigator.gpu). */
  adapter?: AdapterProvider;
  /** The reference engine (default: the CPU engine). */
  cpu?: BatchAead;
  /** Random jobs compared with the CPU (default 256). */
  randomJobs?: number;
  /** Largest random job, in bytes (default 3 chunks of 64 KiB plus a little). */
  maxJobBytes?: number;
}

const noFallback: BatchAead = {
  name: "none",
  sealBatch: () => Promise.reject(new MeteorError("E_GPU_UNAVAILABLE", "Cannot seal: GPU failed")),
  openBatch: () => Promise.reject(new MeteorError("E_GPU_UNAVAILABLE", "Cannot open: GPU failed")),
};

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

function randomInt(below: number): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] % below;
}

function sameAll(a: readonly (Uint8Array | null)[], b: readonly (Uint8Array | null)[]): boolean {
  return a.length === b.length &&
    a.every((x, i) => x !== null && b[i] !== null && constantTimeEqual(x, b[i]!));
}

/** The AEAD job of a known-answer vector on `data` (its plaintext or its sealed bytes). */
function vectorJob(v: AeadVector, data: Uint8Array): AeadJob {
  return { key: v.key, nonce: v.nonce, aad: v.aad, data };
}

/**
 * Runs the GPU self-test.
 *
 * @example
 * ```ts
 * import { gpuSelftest } from "./selftest.ts";
 * const result = await gpuSelftest({ randomJobs: 16 });
 * console.log(result.status, result.detail);
 * ```
 */
export async function gpuSelftest(options: GpuSelftestOptions = {}): Promise<GpuSelftestResult> {
  const gpu = new GpuAead({ fallback: noFallback, adapter: options.adapter });
  const cpu = options.cpu ?? cpuBatchAead;
  try {
    const probe = await gpu.probe();
    if (!probe.available) return { status: "skipped", detail: "skipped: no WebGPU adapter" };

    const vectors = RFC8439_AEAD_VECTORS;
    const sealed = await gpu.sealBatch(vectors.map((v) => vectorJob(v, v.plaintext)));
    const opened = await gpu.openBatch(vectors.map((v) => vectorJob(v, v.sealed)));
    for (const [i, v] of vectors.entries()) {
      if (!sameAll([sealed[i]], [v.sealed]) || !sameAll([opened[i]], [v.plaintext])) {
        return { status: "failed", detail: `${v.name} vector does not match on the GPU` };
      }
    }
    const tampered = vectors[0].sealed.slice();
    tampered[tampered.length - 1] ^= 1;
    const [forged] = await gpu.openBatch([vectorJob(vectors[0], tampered)]);
    if (forged !== null) return { status: "failed", detail: "a tampered tag was accepted" };

    const count = options.randomJobs ?? 256;
    const maxBytes = options.maxJobBytes ?? 3 * 65536 + 100;
    const jobs: AeadJob[] = Array.from({ length: count }, () => ({
      key: randomBytes(32),
      nonce: randomBytes(12),
      aad: randomBytes(randomInt(3) === 0 ? 0 : randomInt(64)),
      // Half short messages, half anything up to maxBytes.
      data: randomBytes(randomInt(2) === 0 ? randomInt(300) : randomInt(maxBytes + 1)),
    }));
    const [fromGpu, fromCpu] = await Promise.all([gpu.sealBatch(jobs), cpu.sealBatch(jobs)]);
    if (!sameAll(fromGpu, fromCpu)) {
      return { status: "failed", detail: "GPU and CPU seal differ on random jobs" };
    }
    const back = await gpu.openBatch(jobs.map((job, i) => ({ ...job, data: fromCpu[i] })));
    if (!sameAll(back, jobs.map((job) => job.data))) {
      return { status: "failed", detail: "GPU open differs from the CPU on random jobs" };
    }
    return {
      status: "ok",
      detail: `${vectors.length} RFC 8439 vectors, a tampered tag, ${count} random jobs ` +
        `equal to the CPU, on ${probe.adapter}`,
    };
  } catch (err) {
    return { status: "failed", detail: (err as Error).message };
  } finally {
    gpu.close();
  }
}

function model(m: CostModel): string {
  return `${m.fixedMs.toFixed(1)} ms + ${(m.perJobMs * 1000).toFixed(2)} us/job`;
}

/** One line describing a batch engine report: the path, the adapter, and each calibration. */
export function describeBatchReport(report: BatchReport): string {
  const adapter = report.gpu === undefined
    ? "GPU not used"
    : report.gpu.available
    ? `adapter ${report.gpu.adapter}`
    : `no GPU (${report.gpu.reason})`;
  const choices = report.calibrations.map((c) =>
    `${c.workload}: cpu ${model(c.cpu)}, gpu ${c.gpu === null ? "n/a" : model(c.gpu)} -> ${
      c.gpuFromJobs === null ? "cpu always" : `gpu from ${c.gpuFromJobs} jobs`
    }`
  );
  return [`cipher.path ${report.requested}`, adapter, ...choices].join("; ");
}

/**
 * The GPU checks for `meteor selftest`: the WebGPU cipher against RFC 8439 and
 * the CPU ("skipped: no WebGPU adapter" where there is none), and the batch
 * path `path` selects, with its calibration.
 *
 * @example
 * ```ts
 * import { gpuSelftestChecks } from "./selftest.ts";
 * import { DEFAULT_CHECKS, selftest } from "../selftest.ts";
 * const report = await selftest([...DEFAULT_CHECKS, ...gpuSelftestChecks("auto")]);
 * console.log(report.ok);
 * ```
 */
export function gpuSelftestChecks(path: CipherPath = "auto"): SelftestCheck[] {
  return [
    {
      name: "ChaCha20-Poly1305 batch on WebGPU (RFC 8439 §2.8.2, A.5) vs CPU",
      async run() {
        const result = await gpuSelftest();
        if (result.status === "failed") throw new Error(result.detail);
        return result.detail;
      },
    },
    {
      name: `Batch cipher path (cipher.path ${path})`,
      async run() {
        return describeBatchReport(await batchAead(path).report());
      },
    },
  ];
}
