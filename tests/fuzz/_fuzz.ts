/**
 * Assertions shared by the fuzz tests: every outcome of hostile input is a
 * value or a MeteorError with an expected code, reached in bounded time.
 * Failure messages carry the case and the seed so that a run replays with
 * METEOR_FUZZ_SEED.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ErrorCode, MeteorError } from "../../core/errors.ts";
import { FUZZ_SEED } from "./_prng.ts";

/** How long one fuzz case may take before it counts as a hang. */
export const CASE_TIMEOUT_MS = 5_000;

/** The result of running one case. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A marker error for a case that did not settle in time. */
export class Hang extends Error {
  /** A hang of the case `what` after `ms` milliseconds. */
  constructor(what: string, ms: number) {
    super(`hang: ${what} did not settle within ${ms} ms`);
    this.name = "Hang";
  }
}

/** Resolves or rejects like `promise`, or rejects with {@link Hang} after `ms`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  ms = CASE_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hang(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `run` (sync or async) with a time bound and reports how it ended; a hang fails. */
export async function outcome<T>(
  run: () => T | Promise<T>,
  what: string,
  ms = CASE_TIMEOUT_MS,
): Promise<Outcome<Awaited<T>>> {
  try {
    return { ok: true, value: await withTimeout(Promise.resolve().then(run), what, ms) };
  } catch (error) {
    if (error instanceof Hang) assert.fail(`${error.message} ${seedNote()}`);
    return { ok: false, error };
  }
}

/** " (seed N; replay with METEOR_FUZZ_SEED=N)" for failure messages. */
export function seedNote(seed = FUZZ_SEED): string {
  return `(run seed ${FUZZ_SEED}, case seed ${seed}; replay with METEOR_FUZZ_SEED=${FUZZ_SEED})`;
}

/** Describes an unexpected error for a failure message. */
function describe(error: unknown): string {
  if (error instanceof MeteorError) return `MeteorError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `non-Error thrown: ${String(error)}`;
}

/** Asserts that `error` is a MeteorError whose code is one of `codes`. */
export function assertCode(error: unknown, codes: readonly ErrorCode[], what: string): MeteorError {
  if (!(error instanceof MeteorError) || !codes.includes(error.code)) {
    assert.fail(`${what}: expected MeteorError ${codes.join("|")}, got ${describe(error)}`);
  }
  return error;
}

/** Asserts that `run` fails, in bounded time, with a MeteorError of one of `codes`. */
export async function expectCode(
  run: () => unknown,
  codes: readonly ErrorCode[],
  what: string,
  ms = CASE_TIMEOUT_MS,
): Promise<MeteorError> {
  const result = await outcome(run, what, ms);
  if (result.ok) assert.fail(`${what}: expected MeteorError ${codes.join("|")}, but it succeeded`);
  return assertCode(result.error, codes, what);
}

/** A copy of `bytes` with byte `index` XORed with `mask` (non-zero). */
export function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index] ^= mask;
  return out;
}

/** Asserts that an error message mentions none of `secrets` (in any case). */
export function assertNoSecret(error: unknown, secrets: readonly string[], what: string): void {
  const text = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : "";
  const lower = text.toLowerCase();
  for (const secret of secrets) {
    if (secret.length > 0 && lower.includes(secret.toLowerCase())) {
      assert.fail(`${what}: error message reveals a secret: ${error}`);
    }
  }
}
