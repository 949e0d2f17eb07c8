/**
 * Which batch ChaCha20-Poly1305 engine the node uses, decided once at start
 * (config `cipher.path`, docs/config.md): `chooseCipher` calibrates the
 * process-wide engine of that path (batch.ts `batchAead`), so every part of
 * the node that seals in batches gets the same engine and the same
 * calibration, and says which engine it is and why. `meteor status` shows
 * the choice (GET /v1/stats, `cipher`).
 *
 * @module
 */
import { batchAead, type Calibration, type CipherPath, type SelectingBatchAead } from "./batch.ts";

/** The engines a choice names: "mixed" sends each batch where its calibration says. */
export type CipherEngine = "cpu" | "webgpu" | "mixed";

/** The node's cipher choice. */
export interface CipherChoice {
  /** The configured path. */
  path: CipherPath;
  /** The engine batches go to. */
  engine: CipherEngine;
  /** Why, in one sentence. */
  reason: string;
  /** The calibrations it rests on ("auto" only; empty otherwise). */
  calibrations: Calibration[];
}

function size(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/**
 * Decides the engine for `path` on `engine` (default: the process-wide
 * engine of that path, which then uses the result for the rest of the
 * process): "cpu" is the CPU; "gpu" is WebGPU when an adapter is there,
 * else the CPU; "auto" calibrates every job size against per-call native
 * ChaCha20-Poly1305 now, and is "mixed" when WebGPU wins for some batches,
 * else "cpu".
 *
 * @example
 * ```ts
 * import { chooseCipher } from "./cipher_choice.ts";
 * const choice = await chooseCipher("cpu");
 * choice.engine; // "cpu"
 * ```
 */
export async function chooseCipher(
  path: CipherPath,
  engine: SelectingBatchAead = batchAead(path),
): Promise<CipherChoice> {
  if (path === "cpu") {
    return { path, engine: "cpu", reason: 'config cipher.path is "cpu"', calibrations: [] };
  }
  const report = await engine.report();
  const gpu = report.gpu;
  if (gpu === undefined || !gpu.available) {
    const why = gpu === undefined ? "not probed" : gpu.reason;
    return {
      path,
      engine: "cpu",
      reason: `WebGPU is unavailable (${why}): the CPU does every batch`,
      calibrations: report.calibrations,
    };
  }
  if (path === "gpu") {
    return {
      path,
      engine: "webgpu",
      reason: `config cipher.path is "gpu": WebGPU on ${gpu.adapter}`,
      calibrations: [],
    };
  }
  const wins = report.calibrations.filter((c) => c.gpuFromJobs !== null);
  if (wins.length === 0) {
    return {
      path,
      engine: "cpu",
      reason: `calibrated: per-call native CPU is faster than WebGPU on ${gpu.adapter} ` +
        "for every job size",
      calibrations: report.calibrations,
    };
  }
  const where = wins.map((c) => `batches of ${c.gpuFromJobs}+ jobs of ${size(c.jobBytes)}`);
  return {
    path,
    engine: "mixed",
    reason: `calibrated: WebGPU on ${gpu.adapter} for ${where.join(", ")}; the CPU for the rest`,
    calibrations: report.calibrations,
  };
}
