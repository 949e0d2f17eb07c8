import assert from "node:assert/strict";
import {
  batchAead,
  createBatchAead,
  MIN_GPU_BYTES,
  MIN_GPU_JOBS,
} from "../../core/crypto/batch.ts";
import type { BatchAead } from "../../core/crypto/batch_types.ts";
import { mixedLength, NO_GPU, nobleEngine, randomJobs } from "./_gpu.ts";

const noAdapter = () => Promise.resolve(null);

/** A CPU engine whose speed the test controls, counting the jobs it does. */
function timedCpu(delayPerBatchMs: number): BatchAead & { jobs: number } {
  const engine = {
    name: "cpu",
    jobs: 0,
    async sealBatch(jobs: Parameters<BatchAead["sealBatch"]>[0]) {
      engine.jobs += jobs.length;
      await new Promise((resolve) => setTimeout(resolve, delayPerBatchMs));
      return nobleEngine.sealBatch(jobs);
    },
    openBatch(jobs: Parameters<BatchAead["openBatch"]>[0]) {
      engine.jobs += jobs.length;
      return nobleEngine.openBatch(jobs);
    },
  };
  return engine;
}

async function assertRoundTrip(engine: BatchAead, count: number) {
  const jobs = randomJobs(count, mixedLength);
  const expected = await nobleEngine.sealBatch(jobs);
  assert.deepEqual(await engine.sealBatch(jobs), expected);
  const opened = await engine.openBatch(jobs.map((j, i) => ({ ...j, data: expected[i] })));
  assert.deepEqual(opened, jobs.map((j) => j.data));
}

Deno.test("createBatchAead() with path cpu uses the CPU engine and reports no GPU", async () => {
  const cpu = timedCpu(0);
  const engine = createBatchAead({ path: "cpu", cpu });
  await assertRoundTrip(engine, 100);
  assert.equal(engine.name, "cpu");
  assert.equal(cpu.jobs, 200);
  assert.deepEqual(await engine.report(), { requested: "cpu", calibrations: [] });
});

for (const path of ["auto", "gpu"] as const) {
  Deno.test(`createBatchAead() with path ${path} and no adapter runs on the CPU`, async () => {
    const cpu = timedCpu(0);
    const engine = createBatchAead({ path, cpu, adapter: noAdapter });
    try {
      await assertRoundTrip(engine, 100);
      const report = await engine.report();
      assert.equal(report.requested, path);
      assert.equal(report.gpu?.available, false);
      assert.match(report.gpu!.reason!, /no WebGPU adapter/);
      for (const c of report.calibrations) {
        assert.equal(c.gpuJobsPerSecond, null);
        assert.equal(c.chosen, "cpu");
      }
      assert.equal(report.calibrations.length, path === "auto" ? 2 : 0);
    } finally {
      engine.close();
    }
  });
}

Deno.test({
  name: "createBatchAead() in auto calibrates each workload once and picks the faster engine",
  ignore: NO_GPU,
  async fn() {
    // A CPU engine slow enough that the GPU must win, then one instant enough that it must.
    for (const [delay, winner] of [[200, "gpu"], [0, "cpu"]] as const) {
      const fast: BatchAead = {
        name: "stub",
        sealBatch: (jobs) => Promise.resolve(jobs.map((j) => new Uint8Array(j.data.length + 16))),
        openBatch: (jobs) => Promise.resolve(jobs.map(() => null)),
      };
      const cpu = delay === 0 ? fast : timedCpu(delay);
      const engine = createBatchAead({ path: "auto", cpu });
      try {
        const report = await engine.report();
        assert.deepEqual(report.calibrations.map((c) => c.workload), ["messages", "chunks"]);
        for (const c of report.calibrations) {
          assert.ok(c.cpuJobsPerSecond > 0 && c.gpuJobsPerSecond! > 0);
          assert.equal(c.chosen, winner, JSON.stringify(c));
        }
        assert.deepEqual((await engine.report()).calibrations, report.calibrations);
      } finally {
        engine.close();
      }
    }
  },
});

Deno.test({
  name: "createBatchAead() in auto keeps a batch below MIN_GPU_JOBS and MIN_GPU_BYTES on the CPU",
  ignore: NO_GPU,
  async fn() {
    const cpu = timedCpu(200);
    const engine = createBatchAead({ path: "auto", cpu });
    try {
      await engine.report();
      const before = (await engine.report()).gpuStats!.gpuJobs;
      const cpuBefore = cpu.jobs;
      const gpuJobs = async () => (await engine.report()).gpuStats!.gpuJobs - before;
      await engine.sealBatch(randomJobs(MIN_GPU_JOBS - 1, () => 64));
      assert.equal(cpu.jobs - cpuBefore, MIN_GPU_JOBS - 1);
      assert.equal(await gpuJobs(), 0);
      await engine.sealBatch(randomJobs(MIN_GPU_JOBS, () => 64));
      assert.equal(await gpuJobs(), MIN_GPU_JOBS);
      // Few jobs, but enough bytes: 4 jobs of MIN_GPU_BYTES / 4 (the chunks class).
      const heavy = randomJobs(4, () => MIN_GPU_BYTES / 4);
      const calibrated = (await engine.report()).calibrations.find((c) => c.workload === "chunks")!;
      await engine.sealBatch(heavy);
      assert.equal(await gpuJobs(), MIN_GPU_JOBS + (calibrated.chosen === "gpu" ? 4 : 0));
    } finally {
      engine.close();
    }
  },
});

Deno.test({
  name: "createBatchAead() with path gpu matches the reference",
  ignore: NO_GPU,
  async fn() {
    const engine = createBatchAead({ path: "gpu" });
    try {
      await assertRoundTrip(engine, 300);
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
  batchAead("gpu").close();
});
