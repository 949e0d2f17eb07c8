import assert from "node:assert/strict";
import {
  batchAead,
  type CostModel,
  createBatchAead,
  fitCostModel,
  gpuBreakEven,
} from "../../core/crypto/batch.ts";
import type { BatchAead } from "../../core/crypto/batch_types.ts";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import { WorkerBatchAead } from "../../core/crypto/batch_workers.ts";
import { GpuAead } from "../../core/gpu/aead.ts";
import { isMeteorError } from "../../core/errors.ts";
import { assertMatchesReference, NO_GPU, nobleEngine, randomJobs } from "./_gpu.ts";

const noAdapter = () => Promise.resolve(null);

/** A CPU engine that waits `fixedMs` per batch and `perMiBMs` per MiB, counting its jobs. */
function slowCpu(fixedMs: number, perMiBMs: number): BatchAead & { jobs: number } {
  const engine = {
    name: "slow",
    jobs: 0,
    async sealBatch(jobs: Parameters<BatchAead["sealBatch"]>[0]) {
      engine.jobs += jobs.length;
      const bytes = jobs.reduce((sum, j) => sum + j.data.length, 0);
      await new Promise((resolve) => setTimeout(resolve, fixedMs + (bytes / 2 ** 20) * perMiBMs));
      return nobleEngine.sealBatch(jobs);
    },
    openBatch(jobs: Parameters<BatchAead["openBatch"]>[0]) {
      engine.jobs += jobs.length;
      return nobleEngine.openBatch(jobs);
    },
  };
  return engine;
}

/** A CPU engine that costs (almost) nothing and returns the right lengths. */
const instantCpu: BatchAead = {
  name: "instant",
  sealBatch: (jobs) => Promise.resolve(jobs.map((j) => new Uint8Array(j.data.length + 16))),
  openBatch: (jobs) => Promise.resolve(jobs.map(() => null)),
};

Deno.test("fitCostModel() fits fixed and per-job costs through two timings", () => {
  const cases: [[number, number], [number, number], CostModel][] = [
    [[10, 110], [2, 12], { fixedMs: 1, perJobMs: 0.1 }],
    [[4, 64], [11, 11], { fixedMs: 11, perJobMs: 0 }],
    // Noise: a larger batch measured faster is no negative cost.
    [[4, 64], [12, 11], { fixedMs: 12, perJobMs: 0 }],
    // Noise: an intercept below zero is no negative latency.
    [[10, 20], [1, 4], { fixedMs: 0, perJobMs: 0.3 }],
  ];
  for (const [sizes, ms, expected] of cases) {
    const model = fitCostModel(sizes, ms);
    assert.ok(Math.abs(model.fixedMs - expected.fixedMs) < 1e-9, JSON.stringify(model));
    assert.ok(Math.abs(model.perJobMs - expected.perJobMs) < 1e-9, JSON.stringify(model));
  }
});

Deno.test("gpuBreakEven() gives the smallest batch the GPU wins, or null", () => {
  const m = (fixedMs: number, perJobMs: number) => ({ fixedMs, perJobMs });
  const cases: [string, CostModel, CostModel, number | null][] = [
    ["latency paid back after 10 jobs", m(0, 2), m(10, 1), 11],
    ["exactly 10 jobs ties, so 11", m(1, 2), m(11, 1), 11],
    ["no latency and cheaper", m(5, 2), m(1, 1), 1],
    ["dearer per job", m(0, 1), m(0, 2), null],
    ["same per job, less latency", m(2, 1), m(1, 1), 1],
    ["same per job, more latency", m(1, 1), m(2, 1), null],
  ];
  for (const [name, cpu, gpu, expected] of cases) {
    assert.equal(gpuBreakEven(cpu, gpu), expected, name);
  }
});

Deno.test("createBatchAead() with path cpu uses the CPU engine and reports no GPU", async () => {
  const cpu = slowCpu(0, 0);
  const engine = createBatchAead({ path: "cpu", cpu });
  await assertMatchesReference(engine, 100);
  assert.equal(engine.name, "cpu");
  assert.equal(cpu.jobs, 200);
  assert.deepEqual(await engine.report(), { requested: "cpu", calibrations: [] });
});

for (const path of ["auto", "gpu"] as const) {
  Deno.test(`createBatchAead() with path ${path} and no adapter runs on the CPU`, async () => {
    const engine = createBatchAead({ path, cpu: nobleEngine, adapter: noAdapter });
    try {
      await assertMatchesReference(engine, 100);
      const report = await engine.report();
      assert.equal(report.requested, path);
      assert.equal(report.gpu?.available, false);
      assert.match(report.gpu!.reason!, /no WebGPU adapter/);
      assert.equal(report.gpuStats!.gpuJobs, 0);
      for (const c of report.calibrations) {
        assert.equal(c.gpu, null);
        assert.equal(c.gpuFromJobs, null);
        assert.ok(c.cpu.perJobMs > 0);
      }
      assert.deepEqual(
        report.calibrations.map((c) => c.workload),
        path === "auto" ? ["64 B jobs", "1 KiB jobs", "16 KiB jobs", "64 KiB jobs"] : [],
      );
    } finally {
      engine.close();
    }
  });
}

Deno.test({
  name: "createBatchAead() in auto sends a batch to the GPU only when its models say it is faster",
  ignore: NO_GPU,
  async fn() {
    // A CPU with a 200 ms latency and 200 ms per MiB (tens of times llvmpipe, even on a
    // loaded machine, for every calibrated job size): the GPU wins from the first job.
    const slow = createBatchAead({ path: "auto", cpu: slowCpu(200, 200) });
    // A CPU that costs (almost) nothing: the GPU does not win for 100 messages.
    const instant = createBatchAead({ path: "auto", cpu: instantCpu });
    try {
      const slowReport = await slow.report();
      for (const c of slowReport.calibrations) {
        assert.ok(c.cpu.fixedMs > c.gpu!.fixedMs, JSON.stringify(c));
        assert.equal(c.gpuFromJobs, 1, JSON.stringify(c));
      }
      const instantReport = await instant.report();
      // (Only "not for 100 jobs": when timing noise makes the GPU's per-job cost look like
      // zero, the models still put the break-even far above that.)
      for (const c of instantReport.calibrations) {
        assert.ok(c.gpuFromJobs === null || c.gpuFromJobs > 100, JSON.stringify(c));
      }
      // Calibration happens once.
      assert.deepEqual((await slow.report()).calibrations, slowReport.calibrations);

      const jobs = randomJobs(100, () => 64);
      const before = slowReport.gpuStats!.gpuJobs;
      assert.deepEqual(await slow.sealBatch(jobs), await nobleEngine.sealBatch(jobs));
      assert.equal((await slow.report()).gpuStats!.gpuJobs - before, 100);
      const instantBefore = instantReport.gpuStats!.gpuJobs;
      await instant.sealBatch(jobs);
      assert.equal((await instant.report()).gpuStats!.gpuJobs, instantBefore);
    } finally {
      slow.close();
      instant.close();
    }
  },
});

Deno.test({
  name: "createBatchAead() with path gpu matches the reference on the GPU",
  ignore: NO_GPU,
  async fn() {
    const engine = createBatchAead({ path: "gpu" });
    try {
      await assertMatchesReference(engine, 300);
      const report = await engine.report();
      assert.equal(report.gpu?.available, true);
      assert.equal(report.gpuStats!.fallbackJobs, 0);
      assert.equal(report.gpuStats!.gpuJobs, 600);
    } finally {
      engine.close();
    }
  },
});

Deno.test("batchAead() returns one shared engine per path", () => {
  assert.equal(batchAead("cpu"), batchAead("cpu"));
  assert.notEqual(batchAead("cpu"), batchAead("gpu"));
  assert.equal(batchAead("cpu").name, "cpu");
  assert.equal(batchAead("auto").name, "auto");
  batchAead("gpu").close();
});

/** Every engine with a batch API: the CPU, the worker pool, and WebGPU where there is one. */
function engines(): [string, BatchAead & { close?(): void }][] {
  return [
    ["cpu", cpuBatchAead],
    ["workers", new WorkerBatchAead({ workers: 2 })],
    ...(NO_GPU ? [] : [["webgpu", new GpuAead({ fallback: cpuBatchAead })] as [string, GpuAead]]),
  ];
}

/** Whether `bytes` is the whole of its buffer (its .buffer shows nothing else). */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

/** Whether `haystack` contains `needle` anywhere. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test("every engine's results expose no plaintext or key of another job", async () => {
  for (const [name, engine] of engines()) {
    try {
      const jobs = randomJobs(40, () => 300);
      const sealed = await engine.sealBatch(jobs);
      // A sealed result's buffer holds ciphertexts and tags only.
      for (const r of sealed) {
        const memory = new Uint8Array(r.buffer);
        for (const job of jobs) {
          assert.ok(!contains(memory, job.data.subarray(0, 16)), `${name}: plaintext in a result`);
          assert.ok(!contains(memory, job.key), `${name}: a key in a result`);
        }
      }
      const opened = await engine.openBatch(jobs.map((j, i) => ({ ...j, data: sealed[i] })));
      // Every plaintext owns its whole buffer.
      assert.ok(opened.every((p) => p !== null && ownsBuffer(p)), `${name}: plaintexts share`);
      assert.deepEqual(opened, jobs.map((j) => j.data), name);
    } finally {
      engine.close?.();
    }
  }
});

Deno.test("every engine refuses to seal a batch that reuses a (key, nonce) pair", async () => {
  for (const [name, engine] of engines()) {
    try {
      const jobs = randomJobs(30, () => 64);
      // Equal by value, not by reference: copies of job 3's key and nonce.
      const reused = [...jobs, {
        ...jobs[29],
        key: jobs[3].key.slice(),
        nonce: jobs[3].nonce.slice(),
      }];
      await assert.rejects(
        engine.sealBatch(reused),
        (err) => isMeteorError(err, "E_NONCE_REUSE") && /job 30/.test(err.message),
        name,
      );
      // The same nonce under another key, and opening twice, are fine.
      const otherKey = [...jobs, { ...jobs[3], key: jobs[4].key.slice(), data: jobs[3].data }];
      const sealed = await engine.sealBatch(otherKey);
      const twice = [0, 0].map(() => ({ ...jobs[0], data: sealed[0] }));
      assert.deepEqual(await engine.openBatch(twice), [jobs[0].data, jobs[0].data], name);
    } finally {
      engine.close?.();
    }
  }
});
