/**
 * Damaged files through `meteor decrypt -o OUT`: whatever the damage, the
 * command fails with a MeteorError naming the cause, writes no partial
 * plaintext, leaves an existing OUT untouched (even with --force) and leaves
 * no temporary file behind. Nothing is lost or corrupted.
 */
import assert from "node:assert/strict";
import { decryptCommand } from "../../cli/decrypt.ts";
import { armor, encrypt, SEALED_CHUNK_SIZE, X25519Identity } from "../../core/age/mod.ts";
import { concat, utf8 } from "../../core/bytes.ts";
import type { ErrorCode } from "../../core/errors.ts";
import { expectCode, flipped, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const CODES: ErrorCode[] = [
  "E_ARMOR_INVALID",
  "E_HEADER_INVALID",
  "E_NO_MATCHING_IDENTITY",
  "E_HEADER_MAC",
  "E_DECRYPT_FAILED",
];

Deno.test("meteor decrypt -o OUT writes nothing and keeps OUT when the file is damaged", async () => {
  const prng = new Prng("cli decrypt");
  const dir = await Deno.makeTempDir({ prefix: "meteor-fuzz-cli-" });
  try {
    const id = await X25519Identity.generate();
    const keyFile = `${dir}/key.txt`;
    await Deno.writeTextFile(keyFile, `${id.toString()}\n`);
    const plaintext = prng.bytes(4 * SEALED_CHUNK_SIZE + 5);
    const file = await encrypt(plaintext, [id.recipient()]);
    const inputs: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["last byte flipped", flipped(file, file.length - 1)],
      ["first chunk flipped", flipped(file, 400)],
      ["cut after three chunks", file.subarray(0, file.length - SEALED_CHUNK_SIZE - 21)],
      ["trailing byte", concat(file, new Uint8Array(1))],
      ["armor damaged", utf8(armor(file).replace("A", "!"))],
    ];
    for (let i = 0; i < 6; i++) {
      const at = prng.int(file.length);
      inputs.push([
        `byte ${at} flipped ${seedNote(prng.seed)}`,
        flipped(file, at, prng.nonZeroByte()),
      ]);
    }
    const input = `${dir}/in.age`;
    const out = `${dir}/out.bin`;
    const kept = `${dir}/kept.bin`;
    await Deno.writeTextFile(kept, "precious");
    for (const [name, bytes] of inputs) {
      await Deno.writeFile(input, bytes);
      await expectCode(() => decryptCommand.run(["-i", keyFile, "-o", out, input]), CODES, name);
      await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound, `${name}: partial output`);
      await expectCode(
        () => decryptCommand.run(["-i", keyFile, "-o", kept, "--force", input]),
        CODES,
        `${name} --force`,
      );
      assert.equal(await Deno.readTextFile(kept), "precious", `${name}: OUT was changed`);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, ["in.age", "kept.bin", "key.txt"], `${name}: files left behind`);
    }
    // The undamaged file still decrypts, so the refusals above were about the damage.
    await Deno.writeFile(input, file);
    assert.equal(await decryptCommand.run(["-i", keyFile, "-o", out, input]), 0);
    assert.deepEqual(await Deno.readFile(out), plaintext);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
