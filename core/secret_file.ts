/**
 * Files only the owner may read: a private folder (mode 0700) and files
 * written with mode 0600, atomically, refusing to replace an existing file
 * unless forced. Used for the keystore and the API token in the node home.
 *
 * @module
 */
import { MeteorError } from "./errors.ts";

/** Mode of a secret file: read and write by the owner only. */
export const SECRET_FILE_MODE = 0o600;
/** Mode of a private folder: the owner only. */
export const PRIVATE_DIR_MODE = 0o700;

/** POSIX modes do not exist on Windows, where Deno.chmod throws. */
const HAS_MODES = Deno.build.os !== "windows";

function ioError(action: string, err: unknown): MeteorError {
  return new MeteorError("E_IO", `Cannot ${action}: ${(err as Error).message}`, { cause: err });
}

/**
 * Creates `dir` (and its parents) if needed and sets it to mode 0700, like
 * ~/.ssh: everything in a node home is private.
 *
 * @throws {MeteorError} E_IO
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    if (HAS_MODES) await Deno.chmod(dir, PRIVATE_DIR_MODE);
  } catch (err) {
    throw ioError(`create folder ${dir}`, err);
  }
}

/**
 * Writes `data` to `path` with mode 0600. The bytes go to a temporary file
 * (created 0600 before anything is written) that is then linked into place,
 * which fails if `path` exists, or renamed over it when `force` is set; a
 * reader never sees a partial file.
 *
 * @throws {MeteorError} E_EXISTS when `path` exists and `force` is not set; E_IO
 */
export async function writeSecretFile(
  path: string,
  data: Uint8Array,
  options: { force?: boolean } = {},
): Promise<void> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16))
    .join("");
  const temp = `${path}.${suffix}.tmp`;
  try {
    const file = await Deno.open(temp, { createNew: true, write: true, mode: SECRET_FILE_MODE });
    try {
      if (HAS_MODES) await Deno.chmod(temp, SECRET_FILE_MODE);
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    if (options.force) await Deno.rename(temp, path);
    else await Deno.link(temp, path);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new MeteorError("E_EXISTS", `Cannot write ${path}: it exists (use --force to replace)`);
    }
    throw ioError(`write ${path}`, err);
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

/** Options for {@link readBoundedFile}. */
export interface ReadBoundedFileOptions {
  /**
   * Also read a pipe or a device, for a file the user names on the command
   * line (`-i <(pass show age-key)`). Off for the files of a node home, which
   * are regular files: opening a FIFO with no writer would wait forever.
   */
  pipes?: boolean;
}

/**
 * Reads a file of at most `maxBytes` bytes. Refuses a folder, and anything
 * else that is not a regular file unless `options.pipes` is set, before
 * opening it.
 *
 * @throws {MeteorError} E_NOT_FOUND when it does not exist; E_TOO_LARGE; E_IO
 */
export async function readBoundedFile(
  path: string,
  maxBytes: number,
  options: ReadBoundedFileOptions = {},
): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile && (info.isDirectory || !options.pipes)) {
      throw new MeteorError("E_IO", `Cannot read ${path}: not a regular file`);
    }
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof MeteorError) throw err;
    if (err instanceof Deno.errors.NotFound) {
      throw new MeteorError("E_NOT_FOUND", `Cannot read ${path}: it does not exist`);
    }
    throw ioError(`read ${path}`, err);
  }
  const buffer = new Uint8Array(maxBytes + 1);
  try {
    let length = 0;
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length)).catch((err) => {
        throw ioError(`read ${path}`, err);
      });
      if (n === null) break;
      length += n;
    }
    if (length > maxBytes) {
      throw new MeteorError("E_TOO_LARGE", `Cannot read ${path}: larger than ${maxBytes} bytes`);
    }
    return buffer.slice(0, length);
  } finally {
    file.close();
    buffer.fill(0); // the file may be secret: leave only the caller's copy
  }
}
