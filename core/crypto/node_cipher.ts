/**
 * A node's batch cipher, a value the node owns and hands down (no process
 * state): the daemon makes one from config `cipher.path`, gives it to the
 * node (core/node.ts), which offers it to the plugins that declare the
 * `cipher` component and to GET /v1/stats; the daemon starts calibration
 * once the node runs (`start`, so calibration does not delay the API).
 * Until calibration ends the status says "calibrating" (engine "cpu") and
 * {@link NodeCipher.batchWins} answers false: work is sealed per call.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";
import { lazyImport } from "../lazy_import.ts";
import type { Calibration, CipherPath, SelectingBatchAead } from "./batch.ts";
import { cpuBatchAead } from "./batch_cpu.ts";
import type { AeadJob } from "./batch_types.ts";
import type { CipherChoice, CipherEngine } from "./cipher_choice.ts";

/** What GET /v1/stats reports under `cipher`. */
export interface CipherStatus {
  /** The configured path; null when the node was given no cipher path. */
  path: CipherPath | null;
  /** The engine in use now. */
  engine: CipherEngine;
  /** Why. */
  reason: string;
  /** Whether calibration is still running. */
  calibrating: boolean;
}

/** The batch cipher a node hands to its parts (the `cipher` plugin component). */
export interface NodeCipher {
  /** The choice now (see {@link CipherStatus}). */
  status(): CipherStatus;
  /**
   * Whether a batch of `jobs` jobs of about `jobBytes` bytes each goes to
   * the batch engine: true only when the choice says that engine is faster
   * than per-call native ChaCha20-Poly1305 for such a batch (always false
   * before calibration ends and when the engine is the CPU).
   */
  batchWins(jobs: number, jobBytes: number): boolean;
  /** Seals every job in one call of the chosen engine (core/crypto/batch_types.ts). */
  sealBatch(jobs: readonly AeadJob[]): Promise<Uint8Array[]>;
}

/** Options of {@link createNodeCipher}. */
export interface NodeCipherOptions {
  /** The engine of the path (default: batch.ts `batchAead(path)`, loaded on start). */
  engine?: SelectingBatchAead;
  /** Decides the choice (default: cipher_choice.ts `chooseCipher`, loaded on start). */
  choose?: (path: CipherPath, engine?: SelectingBatchAead) => Promise<CipherChoice>;
}

/** A {@link NodeCipher} whose calibration the owner starts once. */
export interface StartableNodeCipher extends NodeCipher {
  /**
   * Chooses the engine (loading cipher_choice.ts and the WebGPU code only
   * now); resolves to the choice, or null when choosing failed (the CPU is
   * then used and the status says why). Later calls return the same promise.
   */
  start(): Promise<CipherChoice | null>;
}

/**
 * The node cipher of `path` (null: a node given no cipher path, which
 * seals everything per call and says so), not started yet.
 *
 * @example
 * ```ts
 * import { createNodeCipher } from "./node_cipher.ts";
 * const cipher = createNodeCipher("cpu");
 * await cipher.start();
 * cipher.status().engine; // "cpu"
 * cipher.batchWins(256, 64); // false
 * ```
 */
export function createNodeCipher(
  path: CipherPath | null,
  options: NodeCipherOptions = {},
): StartableNodeCipher {
  let state: CipherStatus = path === null
    ? { path, engine: "cpu", reason: "no cipher path was given to this node", calibrating: false }
    : { path, engine: "cpu", reason: "not calibrated yet", calibrating: false };
  let choice: CipherChoice | null = null;
  let engine: SelectingBatchAead | null = options.engine ?? null;
  let started: Promise<CipherChoice | null> | null = null;

  const choose = async (path: CipherPath): Promise<CipherChoice> => {
    // The WebGPU code loads here, not when the node's modules load.
    const batch = await lazyImport<typeof import("./batch.ts")>(
      new URL("./batch.ts", import.meta.url),
    );
    engine ??= batch.batchAead(path);
    const decide = options.choose ?? (await lazyImport<typeof import("./cipher_choice.ts")>(
      new URL("./cipher_choice.ts", import.meta.url),
    )).chooseCipher;
    return await decide(path, engine);
  };

  return {
    status: () => ({ ...state }),
    batchWins(jobs, jobBytes) {
      if (choice === null || choice.engine === "cpu") return false;
      if (choice.engine === "webgpu") return true;
      const from = nearest(choice.calibrations, jobBytes)?.gpuFromJobs ?? null;
      return from !== null && jobs >= from;
    },
    sealBatch(jobs) {
      // Before a choice (or without a path) the CPU engine: per-call native, in order.
      return choice === null || engine === null
        ? cpuBatchAead.sealBatch(jobs)
        : engine.sealBatch(jobs);
    },
    start() {
      if (started !== null) return started;
      if (path === null) return started = Promise.resolve(null);
      state = { path, engine: "cpu", reason: "calibrating", calibrating: true };
      started = choose(path).then((chosen) => {
        choice = chosen;
        state = { path, engine: chosen.engine, reason: chosen.reason, calibrating: false };
        return chosen;
      }, (err: unknown) => {
        const reason = `Cannot calibrate the cipher: ${(err as Error).message}; the CPU is used`;
        state = { path, engine: "cpu", reason, calibrating: false };
        return null;
      });
      return started;
    },
  };
}

/** The calibration of the job size nearest `jobBytes` (log scale), as batch.ts `jobClassOf` picks it. */
function nearest(calibrations: readonly Calibration[], jobBytes: number): Calibration | undefined {
  const distance = (c: Calibration) =>
    Math.abs(Math.log2(c.jobBytes) - Math.log2(Math.max(1, jobBytes)));
  let best: Calibration | undefined;
  for (const c of calibrations) if (best === undefined || distance(c) < distance(best)) best = c;
  return best;
}

/** The environment variable that overrides config `cipher.path` for a daemon (docs/config.md). */
export const CIPHER_PATH_ENV = "METEOR_CIPHER_PATH";

/**
 * The path to start with: `override` (the value of {@link CIPHER_PATH_ENV},
 * when set and not empty) or else the configured one.
 *
 * @throws {MeteorError} E_BAD_CONFIG when the override is not "auto", "cpu" or "gpu"
 */
export function cipherPathFrom(configured: CipherPath, override: string | undefined): CipherPath {
  if (override === undefined || override === "") return configured;
  if (override === "auto" || override === "cpu" || override === "gpu") return override;
  throw new MeteorError(
    "E_BAD_CONFIG",
    `Cannot choose the cipher: ${CIPHER_PATH_ENV} must be "auto", "cpu" or "gpu"`,
  );
}
