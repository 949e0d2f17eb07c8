import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { createBatchAead } from "../../core/crypto/batch.ts";
import { chooseCipher } from "../../core/crypto/cipher_choice.ts";
import { CIPHER_PATH_ENV, cipherPathFrom } from "../../core/crypto/node_cipher.ts";
import { startDaemon } from "../../cli/daemon.ts";
import { describeStatus } from "../../cli/status.ts";
import { initTestHome, meteor, withTempHome } from "../_cli.ts";

Deno.test("chooseCipher() takes the CPU for cpu, and for gpu or auto when no adapter is there", async () => {
  assert.deepEqual(await chooseCipher("cpu"), {
    path: "cpu",
    engine: "cpu",
    reason: 'config cipher.path is "cpu"',
    calibrations: [],
  });
  for (const path of ["gpu", "auto"] as const) {
    const engine = createBatchAead({ path, adapter: () => Promise.resolve(null) });
    try {
      const choice = await chooseCipher(path, engine);
      assert.equal(choice.engine, "cpu", path);
      assert.match(choice.reason, /^WebGPU is unavailable \(.+\): the CPU does every batch$/);
    } finally {
      engine.close();
    }
  }
});

Deno.test("cipherPathFrom() takes the environment's override and refuses a bad one", () => {
  assert.equal(cipherPathFrom("auto", undefined), "auto");
  assert.equal(cipherPathFrom("auto", ""), "auto");
  assert.equal(cipherPathFrom("auto", "cpu"), "cpu");
  assert.equal(cipherPathFrom("cpu", "gpu"), "gpu");
  assert.throws(() => cipherPathFrom("auto", "tpu"), (err) => isMeteorError(err, "E_BAD_CONFIG"));
});

Deno.test("describeStatus() prints the engine, the path and the reason", () => {
  const lines = describeStatus({ meteorId: "meteor1x", peerId: "12D3K" }, {
    uptimeMs: 61_000,
    peers: 2,
    totals: { sent: 3 },
    plugins: { p2p: { version: "0.1.0" } },
    cipher: { path: "auto", engine: "mixed", reason: "calibrated: ...", calibrating: false },
  });
  assert.ok(lines.includes("Uptime:   1 min 1 s"), lines.join("\n"));
  assert.ok(
    lines.includes("Cipher:   mixed (cipher.path auto): calibrated: ..."),
    lines.join("\n"),
  );
});

Deno.test("meteor status shows the cipher the daemon chose at start (GET /v1/stats cipher)", async () => {
  await withTempHome(async (home) => {
    await initTestHome(home, 7, { cipher: { path: "cpu" } });
    const previous = Deno.env.get(CIPHER_PATH_ENV);
    Deno.env.delete(CIPHER_PATH_ENV);
    const daemon = await startDaemon({ home, passphrase: "" }).finally(() => {
      if (previous !== undefined) Deno.env.set(CIPHER_PATH_ENV, previous);
    });
    try {
      const run = await meteor("status", "--json", "--home", home);
      assert.equal(run.code, 0, run.stderr);
      const { stats } = JSON.parse(run.stdout);
      assert.deepEqual(stats.cipher, {
        path: "cpu",
        engine: "cpu",
        reason: 'config cipher.path is "cpu"',
        calibrating: false,
      });
      const text = await meteor("status", "--home", home);
      assert.match(
        text.stdout,
        /^Cipher: {3}cpu \(cipher\.path cpu\): config cipher\.path is "cpu"$/m,
      );
    } finally {
      await daemon.stop();
    }
  });
});
