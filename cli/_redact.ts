/**
 * Keeping secrets out of error messages that quote what the user typed. Its
 * own module, without node:util, so that cli.ts can redact its errors
 * without loading the argument parser (`meteor --version` stays light).
 *
 * @module
 */

/**
 * What a secret looks like when a user puts one where it does not belong: an
 * age secret key (`AGE-SECRET-KEY-1...`, `AGE-SECRET-KEY-PQ-1...`, any case)
 * or a word of 20 or more hex digits (a Meteor seed is 64, so a seed split in
 * up to three arguments is caught; the random names of temporary files have
 * at most 16).
 */
const SECRET_PATTERN = /age-secret-key-[0-9a-z-]*|\b(?:0x)?[0-9a-f]{20,}\b/gi;

/** Whether `text` is an age secret key (an identity), whatever its case. */
export function isAgeSecretKey(text: string): boolean {
  return /^age-secret-key-/i.test(text);
}

/**
 * `text`, an error message that quotes user input, with anything that looks
 * like a secret key or seed replaced by "[secret]" and a note saying so:
 * error messages end up in terminal scrollback and CI logs.
 *
 * @example
 * ```ts
 * import { redact } from "./_redact.ts";
 * redact(`Cannot parse arguments: unexpected "${"ab".repeat(32)}"`);
 * // 'Cannot parse arguments: unexpected "[secret]" ([secret]: what looks like ...)'
 * ```
 */
export function redact(text: string): string {
  const out = text.replace(SECRET_PATTERN, "[secret]");
  return out === text
    ? text
    : `${out} ([secret]: what looks like a secret key or seed is not shown; ` +
      "keep secrets out of arguments that do not ask for one)";
}
