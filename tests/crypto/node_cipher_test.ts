import assert from "node:assert/strict";
import { seal } from "../../core/crypto/aead.ts";
import type { AeadJob, Calibration } from "../../core/crypto/batch.ts";
import type { CipherChoice } from "../../core/crypto/cipher_choice.ts";
import { createNodeCipher } from "../../core/crypto/node_cipher.ts";
import { isMeteorError } from "../../core/errors.ts";
import type { Plugin } from "../../core/plugin.ts";
import { PluginRegistry } from "../../core/registry.ts";
import { testHost } from "../node/_helpers.ts";
import { chooseWebgpu, recordingEngine } from "./_engines.ts";

function calibration(jobBytes: number, gpuFromJobs: number | null): Calibration {
  const model = { fixedMs: 0, perJobMs: 0 };
  return {
    workload: `${jobBytes} B jobs`,
    jobBytes,
    sizes: [1, 2],
    cpu: model,
    gpu: model,
    gpuFromJobs,
  };
}

const MIXED: CipherChoice = {
  path: "auto",
  engine: "mixed",
  reason: "calibrated: test",
  calibrations: [
    calibration(64, 512),
    calibration(1024, null),
    calibration(16 * 1024, 16),
    calibration(64 * 1024, 4),
  ],
};

function jobs(count: number, bytes: number): AeadJob[] {
  return Array.from({ length: count }, (_, i) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(8, i);
    return { key: new Uint8Array(32).fill(3), nonce, data: new Uint8Array(bytes).fill(i) };
  });
}

Deno.test("createNodeCipher() seals per call until calibration ends, then as the calibration says", async () => {
  const engine = recordingEngine();
  const decision = Promise.withResolvers<CipherChoice>();
  const asked = Promise.withResolvers<void>();
  const cipher = createNodeCipher("auto", {
    engine,
    choose: () => {
      asked.resolve();
      return decision.promise;
    },
  });
  assert.deepEqual(cipher.status(), {
    path: "auto",
    engine: "cpu",
    reason: "not calibrated yet",
    calibrating: false,
  });
  assert.equal(cipher.batchWins(100_000, 64), false);
  const started = cipher.start();
  assert.equal(cipher.start(), started, "one calibration per cipher");
  assert.equal(cipher.status().calibrating, true);
  assert.equal(cipher.batchWins(100_000, 64), false, "not while calibrating");
  const before = jobs(3, 64);
  assert.deepEqual(
    await cipher.sealBatch(before),
    before.map((j) => seal(j.key, j.nonce, j.data)),
  );
  assert.deepEqual(engine.batches, [], "the CPU sealed the batch before the choice");
  await asked.promise;
  assert.equal(cipher.batchWins(100_000, 64), false, "not while calibrating");
  decision.resolve(MIXED);
  assert.equal(await started, MIXED);
  assert.deepEqual(cipher.status(), {
    path: "auto",
    engine: "mixed",
    reason: "calibrated: test",
    calibrating: false,
  });
  const table: [jobs: number, bytes: number, wins: boolean][] = [
    [511, 64, false],
    [512, 64, true],
    [512, 80, true], // nearest calibrated size: 64 B
    [100_000, 1024, false], // never for 1 KiB
    [15, 16 * 1024, false],
    [16, 16 * 1024, true],
    [3, 64 * 1024, false],
    [4, 64 * 1024, true],
    [4, 1 << 20, true], // nearest: 64 KiB
  ];
  for (const [count, bytes, wins] of table) {
    assert.equal(cipher.batchWins(count, bytes), wins, `${count} jobs of ${bytes} B`);
  }
  await cipher.sealBatch(jobs(5, 64));
  assert.deepEqual(engine.batches, [5], "after the choice, batches go to the engine");
});

Deno.test("createNodeCipher(): each node's cipher keeps its own choice (no process state)", async () => {
  const cpu = createNodeCipher("cpu", { engine: recordingEngine() });
  const none = createNodeCipher(null);
  const webgpu = createNodeCipher("gpu", {
    engine: recordingEngine(),
    choose: chooseWebgpu,
  });
  assert.equal(await none.start(), null);
  await Promise.all([cpu.start(), webgpu.start()]);
  assert.deepEqual(none.status(), {
    path: null,
    engine: "cpu",
    reason: "no cipher path was given to this node",
    calibrating: false,
  });
  assert.equal(cpu.status().engine, "cpu");
  assert.equal(cpu.status().reason, 'config cipher.path is "cpu"');
  assert.equal(webgpu.status().engine, "webgpu");
  assert.equal(cpu.batchWins(1_000_000, 64), false);
  assert.equal(none.batchWins(1_000_000, 64), false);
  assert.equal(webgpu.batchWins(1, 64), true, 'cipher.path "gpu" batches everything');
});

Deno.test("createNodeCipher() falls back to the CPU, saying why, when calibration fails", async () => {
  const cipher = createNodeCipher("auto", {
    engine: recordingEngine(),
    choose: () => Promise.reject(new Error("device lost")),
  });
  assert.equal(await cipher.start(), null);
  assert.deepEqual(cipher.status(), {
    path: "auto",
    engine: "cpu",
    reason: "Cannot calibrate the cipher: device lost; the CPU is used",
    calibrating: false,
  });
  assert.equal(cipher.batchWins(1_000_000, 64), false);
});

Deno.test("the cipher component is the node's own cipher, for plugins that declare it only", async () => {
  const cipher = createNodeCipher("gpu", {
    engine: recordingEngine(),
    choose: chooseWebgpu,
  });
  await cipher.start();
  const seen: Record<string, unknown> = {};
  const plugin = (name: string, uses: "cipher"[]): Plugin => ({
    name,
    version: "1.0.0",
    needs: [],
    uses,
    configSchema: { validate: (raw) => raw },
    start(context) {
      try {
        const component = (context as unknown as { cipher: typeof cipher }).cipher;
        seen[name] = { status: component.status(), wins: component.batchWins(1, 64) };
      } catch (err) {
        seen[name] = err;
      }
      return Promise.resolve({ stop: () => Promise.resolve() });
    },
  });
  const host = await testHost();
  const registry = new PluginRegistry([plugin("with", ["cipher"]), plugin("without", [])]);
  try {
    await registry.start({ ...host, cipher });
    assert.deepEqual(seen.with, { status: cipher.status(), wins: true });
    assert.ok(isMeteorError(seen.without, "E_PLUGIN"), String(seen.without));
  } finally {
    await registry.stop();
    host.close();
  }
});
