import assert from "node:assert/strict";
import { checkVectorsDir, VECTOR_FOLDERS, vectorsDir } from "./_vectors.ts";
import { withTempDir } from "./_temp.ts";

Deno.test("vectorsDir() finds every vector folder", () => {
  const dir = vectorsDir();
  for (const folder of VECTOR_FOLDERS) assert.ok(Deno.statSync(`${dir}/${folder}`).isDirectory);
});

Deno.test("checkVectorsDir() names a missing, empty or non-folder vector folder, not a bare NotFound", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, () => Promise<void>][] = [
      ["age", () => Promise.resolve()],
      ["ml-kem", async () => {
        await Deno.mkdir(`${dir}/age`);
        await Deno.writeTextFile(`${dir}/age/v`, "");
      }],
      ["ml-kem", () => Deno.mkdir(`${dir}/ml-kem`)],
      ["xwing", async () => {
        await Deno.writeTextFile(`${dir}/ml-kem/v`, "");
        await Deno.writeTextFile(`${dir}/xwing`, "a file, not a folder");
      }],
    ];
    for (const [missing, setUp] of cases) {
      await setUp();
      assert.throws(
        () => checkVectorsDir(dir),
        (err) => {
          assert.ok(!(err instanceof Deno.errors.NotFound));
          assert.match(
            (err as Error).message,
            new RegExp(
              `^Cannot read the test vectors: ${dir}/${missing} is missing or empty\\..*METEOR_VECTORS`,
            ),
          );
          return true;
        },
        missing,
      );
    }
    await Deno.remove(`${dir}/xwing`);
    await Deno.mkdir(`${dir}/xwing`);
    await Deno.writeTextFile(`${dir}/xwing/v`, "");
    checkVectorsDir(dir);
  });
});
