/**
 * Shared helpers of the GPU tests: whether this machine has a WebGPU adapter
 * (GPU-dependent tests are ignored, with a message, when it has none), an
 * independent reference engine on @noble/ciphers, random jobs, and the
 * check of an engine against that reference.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import type { AeadJob, BatchAead } from "../../core/crypto/batch_types.ts";
import { navigatorAdapter } from "../../core/gpu/device.ts";
import { randomBytes } from "../crypto/_random.ts";

const adapter = await navigatorAdapter();

/** True when there is no WebGPU adapter: pass as `ignore` to GPU-dependent tests. */
export const NO_GPU = adapter === null;
if (NO_GPU) console.log("tests/gpu: no WebGPU adapter here; GPU-dependent tests are ignored");

/** A fallback engine that fails the test if used: every job must run on the GPU. */
export const refusingFallback: BatchAead = {
  name: "refuse",
  sealBatch: () => Promise.reject(new Error("fallback used")),
  openBatch: () => Promise.reject(new Error("fallback used")),
};

/** A BatchAead on @noble/ciphers, the independent reference. */
export const nobleEngine: BatchAead = {
  name: "noble",
  sealBatch: (jobs) =>
    Promise.resolve(jobs.map((j) => chacha20poly1305(j.key, j.nonce, j.aad).encrypt(j.data))),
  openBatch: (jobs) =>
    Promise.resolve(jobs.map((j) => {
      try {
        return chacha20poly1305(j.key, j.nonce, j.aad).decrypt(j.data);
      } catch {
        return null;
      }
    })),
};

/** A uniformly random integer in [0, below). */
export function randomInt(below: number): number {
  return Math.floor(Math.random() * below);
}

/**
 * Sizes at the boundaries of ChaCha20 blocks (64 B), Poly1305 blocks (16 B), Poly1305
 * segments of the GPU kernel (32 blocks: 496 B of text make 32 blocks with the lengths
 * block, 497 B make 33) and 64 KiB chunks.
 */
export const BOUNDARY_SIZES = [
  0,
  1,
  15,
  16,
  17,
  63,
  64,
  65,
  127,
  128,
  129,
  496,
  497,
  1008,
  1009,
  1024,
  65535,
  65536,
  65537,
];

/** `count` random jobs: lengths from `lengths()`, random aad (empty a third of the time). */
export function randomJobs(count: number, lengths: () => number): AeadJob[] {
  return Array.from({ length: count }, () => ({
    key: randomBytes(32),
    nonce: randomBytes(12),
    data: randomBytes(lengths()),
    aad: randomInt(3) === 0 ? undefined : randomBytes(randomInt(80)),
  }));
}

/** Mostly short messages, some several 64 KiB chunks long. */
export function mixedLength(): number {
  const r = Math.random();
  if (r < 0.7) return randomInt(300);
  if (r < 0.9) return randomInt(4096);
  return randomInt(3 * 65536 + 200);
}

/**
 * Seals and opens `count` random jobs of mixed lengths through `engine` and
 * checks both against the @noble/ciphers reference.
 */
export async function assertMatchesReference(engine: BatchAead, count: number): Promise<void> {
  const jobs = randomJobs(count, mixedLength);
  const expected = await nobleEngine.sealBatch(jobs);
  assert.deepEqual(await engine.sealBatch(jobs), expected);
  const opened = await engine.openBatch(jobs.map((j, i) => ({ ...j, data: expected[i] })));
  assert.deepEqual(opened, jobs.map((j) => j.data));
}
