/**
 * An identity given as a file, as `meteor encrypt -r FILE` and `meteor
 * contacts add NAME FILE` take it: what `meteor id` prints (its text output
 * or `--json`), a bare identity document (text, wrapped or not, or binary),
 * or a MeteorID.
 *
 * @module
 */
import { concatAll } from "../core/bytes.ts";
import { MeteorError } from "../core/errors.ts";
import { DOCUMENT_MAGIC, DOCUMENT_TEXT_PREFIX, MAX_DOCUMENT_BYTES } from "../core/identity/mod.ts";
import { readBoundedFile } from "../core/secret_file.ts";

/** The most bytes read from an identity file: `meteor id --json` of the largest document fits. */
export const MAX_IDENTITY_FILE_BYTES = 4 * MAX_DOCUMENT_BYTES;

/**
 * The identity in the contents of an identity file, in the order tried:
 * a binary document (starts with "MTRD") as is; the `document` field of a
 * JSON object (`meteor id --json`); the whole text when it starts with
 * "meteor-doc:" (a wrapped copy too); the line starting with "meteor-doc:"
 * (`meteor id`'s text output); else the trimmed text, for the caller's
 * parser to accept (a MeteorID) or to name what is wrong.
 *
 * @example
 * ```ts
 * import { identityIn } from "./_identity_file.ts";
 * identityIn(new TextEncoder().encode("MeteorID   meteor1...\nmeteor-doc:TVRSRA==\n"));
 * // "meteor-doc:TVRSRA=="
 * ```
 */
export function identityIn(bytes: Uint8Array): string | Uint8Array {
  const magic = new TextEncoder().encode(DOCUMENT_MAGIC);
  if (magic.every((b, i) => bytes[i] === b)) return bytes;
  const text = new TextDecoder().decode(bytes).trim();
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text);
      if (typeof parsed?.document === "string") return parsed.document;
    } catch {
      // not JSON: the text is taken as it is below
    }
  }
  if (text.startsWith(DOCUMENT_TEXT_PREFIX)) return text;
  const line = text.split("\n").map((l) => l.trim()).find((l) =>
    l.startsWith(DOCUMENT_TEXT_PREFIX)
  );
  return line ?? text;
}

async function readStdin(maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of Deno.stdin.readable) {
    length += part.length;
    if (length > maxBytes) {
      throw new MeteorError("E_TOO_LARGE", `Cannot read stdin: larger than ${maxBytes} bytes`);
    }
    parts.push(part);
  }
  return concatAll(parts);
}

/**
 * Reads the identity file at `path` ("-": stdin), at most
 * {@link MAX_IDENTITY_FILE_BYTES}, and returns {@link identityIn} of it.
 *
 * @throws {MeteorError} E_NOT_FOUND, E_TOO_LARGE or E_IO
 */
export async function readIdentityFile(path: string): Promise<string | Uint8Array> {
  const bytes = path === "-"
    ? await readStdin(MAX_IDENTITY_FILE_BYTES)
    : await readBoundedFile(path, MAX_IDENTITY_FILE_BYTES, { pipes: true });
  return identityIn(bytes);
}
