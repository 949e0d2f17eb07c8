/**
 * Where the published test vectors live: `$METEOR_VECTORS` when set, else
 * `<repo root>/../shared/vectors`. A missing folder is reported by name,
 * with where the vectors come from, instead of as a bare NotFound from the
 * first test that reads one.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The folders of published vectors the tests read (see ../shared/vectors/README.md). */
export const VECTOR_FOLDERS = ["age", "ml-kem", "xwing"] as const;

/** Whether `path` is a folder with at least one entry. */
function isNonEmptyDir(path: string): boolean {
  try {
    for (const _ of Deno.readDirSync(path)) return true;
    return false;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw err;
  }
}

/**
 * Throws an Error naming the first of `folders` that is missing or empty
 * in `dir`, with where the vectors come from and `METEOR_VECTORS`.
 */
export function checkVectorsDir(dir: string, folders: readonly string[] = VECTOR_FOLDERS): void {
  const missing = folders.find((folder) => !isNonEmptyDir(`${dir}/${folder}`));
  if (missing === undefined) return;
  throw new Error(
    `Cannot read the test vectors: ${dir}/${missing} is missing or empty. The vector tests ` +
      "need the published vectors (C2SP/CCTV age and ML-KEM, the X-Wing draft's) in " +
      `${VECTOR_FOLDERS.join(", ")} under ../shared/vectors beside the project, or under the ` +
      "folder METEOR_VECTORS names (see ../shared/vectors/README.md)",
  );
}

/** The vectors folder, without a trailing slash; throws when a vector folder is missing. */
export function vectorsDir(): string {
  const fromEnv = Deno.env.get("METEOR_VECTORS");
  const dir = fromEnv
    ? fromEnv.replace(/\/+$/, "")
    : fileURLToPath(new URL("../../shared/vectors", import.meta.url));
  checkVectorsDir(dir);
  return dir;
}
