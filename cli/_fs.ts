/**
 * File-system queries shared by the CLI commands.
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";

/**
 * Whether anything (file, folder, link, device) exists at `path`; a link is
 * not followed.
 *
 * @throws {MeteorError} E_IO when `path` cannot be inspected for another reason
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    const reason = err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (err as Error).message;
    throw new MeteorError("E_IO", `Cannot inspect ${path}: ${reason}`, { cause: err });
  }
}
