/**
 * The running node's cipher choice, held for the process: the daemon starts
 * it once (`startNodeCipher`, after the node started, so calibration does
 * not delay the API) and the stats route reads it (`nodeCipherStatus`).
 * Until calibration ends the status says "calibrating" (engine "cpu"), and
 * a batch of the process-wide engine waits for its job size's calibration.
 *
 * @module
 */
import { MeteorError } from "../errors.ts";
import type { CipherPath } from "./batch.ts";
import type { CipherChoice, CipherEngine } from "./cipher_choice.ts";

/** What GET /v1/stats reports under `cipher`. */
export interface CipherStatus {
  /** The configured path; null when no node cipher was started in this process. */
  path: CipherPath | null;
  /** The engine in use now. */
  engine: CipherEngine;
  /** Why. */
  reason: string;
  /** Whether calibration is still running. */
  calibrating: boolean;
}

let state: CipherStatus = {
  path: null,
  engine: "cpu",
  reason: "no node cipher started in this process",
  calibrating: false,
};
let started: Promise<CipherChoice | null> | null = null;

/**
 * Chooses the node's engine for `path` (cipher_choice.ts, loaded here only
 * on first call: it pulls in the WebGPU code), once per process; resolves
 * to the choice, or null when choosing failed (the CPU is then used, and
 * the status says why).
 */
export function startNodeCipher(path: CipherPath): Promise<CipherChoice | null> {
  if (started !== null) return started;
  state = { path, engine: "cpu", reason: "calibrating", calibrating: true };
  started = import("./cipher_choice.ts")
    .then(({ chooseCipher }) => chooseCipher(path))
    .then((choice) => {
      state = { path, engine: choice.engine, reason: choice.reason, calibrating: false };
      return choice;
    }, (err: unknown) => {
      const reason = `Cannot calibrate the cipher: ${(err as Error).message}; the CPU is used`;
      state = { path, engine: "cpu", reason, calibrating: false };
      return null;
    });
  return started;
}

/** The node's cipher status now (see {@link CipherStatus}). */
export function nodeCipherStatus(): CipherStatus {
  return { ...state };
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
