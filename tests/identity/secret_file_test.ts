import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { ensurePrivateDir, readBoundedFile, writeSecretFile } from "../../core/secret_file.ts";
import { withTempDir } from "../_temp.ts";

const IS_POSIX = Deno.build.os !== "windows";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("writeSecretFile() writes mode 0600 and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/secret`;
    await writeSecretFile(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    if (IS_POSIX) assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(names(dir), ["secret"]);
  });
});

Deno.test("writeSecretFile() refuses an existing file with E_EXISTS, replaces it when forced", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/secret`;
    await Deno.writeTextFile(path, "old");
    await assert.rejects(
      writeSecretFile(path, new Uint8Array([1])),
      (err) => isMeteorError(err, "E_EXISTS"),
    );
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepEqual(names(dir), ["secret"]);
    await writeSecretFile(path, new TextEncoder().encode("new"), { force: true });
    assert.equal(await Deno.readTextFile(path), "new");
    if (IS_POSIX) assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(names(dir), ["secret"]);
  });
});

Deno.test("writeSecretFile() into a missing folder fails with E_IO", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeSecretFile(`${dir}/missing/secret`, new Uint8Array(1)),
      (err) => isMeteorError(err, "E_IO"),
    );
  });
});

Deno.test("ensurePrivateDir() creates nested folders and tightens an existing one to 0700", async () => {
  await withTempDir(async (dir) => {
    await ensurePrivateDir(`${dir}/a/b`);
    assert.ok((await Deno.stat(`${dir}/a/b`)).isDirectory);
    if (IS_POSIX) {
      await Deno.chmod(`${dir}/a/b`, 0o755);
      await ensurePrivateDir(`${dir}/a/b`);
      assert.equal((await Deno.stat(`${dir}/a/b`)).mode! & 0o777, 0o700);
    }
  });
});

Deno.test("readBoundedFile() reads up to the bound: n - 1 and n bytes, refuses n + 1", async () => {
  await withTempDir(async (dir) => {
    const n = 100;
    for (const size of [0, n - 1, n]) {
      await Deno.writeFile(`${dir}/f`, new Uint8Array(size).fill(7));
      assert.deepEqual(await readBoundedFile(`${dir}/f`, n), new Uint8Array(size).fill(7));
    }
    await Deno.writeFile(`${dir}/f`, new Uint8Array(n + 1));
    await assert.rejects(
      readBoundedFile(`${dir}/f`, n),
      (err) => isMeteorError(err, "E_TOO_LARGE"),
    );
    await assert.rejects(
      readBoundedFile(`${dir}/none`, n),
      (err) => isMeteorError(err, "E_NOT_FOUND"),
    );
  });
});

Deno.test("readBoundedFile() refuses a folder, a FIFO and a device with E_IO", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, boolean][] = [[dir, false], [dir, true]];
    if (IS_POSIX) {
      const mkfifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
      assert.ok(mkfifo.success, "mkfifo");
      cases.push([`${dir}/fifo`, false], ["/dev/zero", false]);
    }
    for (const [path, pipes] of cases) {
      await assert.rejects(
        readBoundedFile(path, 100, { pipes }),
        (err) => isMeteorError(err, "E_IO") && err.message.endsWith("not a regular file"),
        `${path} pipes: ${pipes}`,
      );
    }
  });
});

Deno.test({
  name: "readBoundedFile() with pipes reads a FIFO and bounds a device",
  ignore: !IS_POSIX,
  fn: async () => {
    await withTempDir(async (dir) => {
      const fifo = `${dir}/fifo`;
      assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success, "mkfifo");
      const writing = Deno.writeFile(fifo, new Uint8Array([1, 2, 3]));
      assert.deepEqual(
        await readBoundedFile(fifo, 100, { pipes: true }),
        new Uint8Array([1, 2, 3]),
      );
      await writing;
      await assert.rejects(
        readBoundedFile("/dev/zero", 100, { pipes: true }),
        (err) => isMeteorError(err, "E_TOO_LARGE"),
      );
    });
  },
});
