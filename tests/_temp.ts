/**
 * Temporary folders for tests, removed when the test's work settles.
 *
 * @module
 */

/** Runs `work` on a new temporary folder named `<prefix>...`, removing it afterwards. */
export async function withTempDir<T>(
  work: (dir: string) => Promise<T>,
  prefix = "meteor-test-",
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
