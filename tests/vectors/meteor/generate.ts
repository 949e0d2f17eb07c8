/**
 * Writes Meteor's test vectors, tests/vectors/meteor/<name>.json, from
 * `_build.ts`. Deterministic: running it again gives identical bytes.
 *
 *     deno run --allow-read --allow-write tests/vectors/meteor/generate.ts
 *
 * @module
 */
import { buildVectors } from "./_build.ts";

/** The JSON text of one vector file: two-space indent and a final newline. */
export function vectorText(file: unknown): string {
  return JSON.stringify(file, null, 2) + "\n";
}

if (import.meta.main) {
  const files = await buildVectors();
  for (const [name, file] of Object.entries(files)) {
    const path = new URL(`./${name}.json`, import.meta.url);
    await Deno.writeTextFile(path, vectorText(file));
    console.log(`wrote ${path.pathname} (${file.vectors.length} vectors)`);
  }
}
