import assert from "node:assert/strict";
import { encrypt, X25519Identity } from "../../core/age/mod.ts";
import { randomBytes } from "../crypto/_random.ts";
import { spawnMeteor } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";

/** The temporary output files (`.meteor-*.part`) in `dir` holding at least `minSize` bytes. */
async function partFiles(dir: string, minSize = 0): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith(".meteor-") || !entry.name.endsWith(".part")) continue;
    const size = await Deno.stat(`${dir}/${entry.name}`).then((i) => i.size, () => -1);
    if (size >= minSize) found.push(entry.name);
  }
  return found;
}

Deno.test({
  name: "meteor decrypt -o OUT killed mid-write by SIGINT or SIGTERM leaves no partial plaintext",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTempDir(async (dir) => {
      const identity = await X25519Identity.generate();
      await Deno.writeTextFile(`${dir}/key.txt`, `${identity}\n`);
      const file = await encrypt(randomBytes(8 * 1024 * 1024), [identity.recipient()]);
      const statuses = { SIGINT: 130, SIGTERM: 143 }; // 128 + the signal's number
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        const out = `${dir}/out-${signal}`;
        const child = spawnMeteor(["decrypt", "-i", `${dir}/key.txt`, "-o", out]);
        const writer = child.stdin.getWriter();
        try {
          // Half the file, and the rest never comes: the process writes the
          // verified plaintext of that half and waits for more.
          await writer.write(file.subarray(0, file.length / 2));
          const deadline = Date.now() + 60_000;
          while ((await partFiles(dir, 1)).length === 0) {
            assert.ok(Date.now() < deadline, "no partial output appeared");
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          child.kill(signal);
          const { code, stderr } = await child.output();
          assert.equal(code, statuses[signal], signal);
          assert.deepEqual(
            await partFiles(dir),
            [],
            `${signal}: ${new TextDecoder().decode(stderr)}`,
          );
          assert.equal(await Deno.stat(out).catch(() => null), null, signal);
        } finally {
          await writer.close().catch(() => {});
        }
      }
    }),
});
