import assert from "node:assert/strict";
import { describeBatchReport, gpuSelftest, gpuSelftestChecks } from "../../core/gpu/selftest.ts";
import { NO_GPU, nobleEngine } from "./_gpu.ts";

Deno.test("gpuSelftest() reports skipped when there is no WebGPU adapter", async () => {
  const result = await gpuSelftest({ adapter: () => Promise.resolve(null) });
  assert.deepEqual(result, { status: "skipped", detail: "skipped: no WebGPU adapter" });
});

Deno.test({
  name: "gpuSelftest() passes the vectors and agrees with the CPU on random jobs",
  ignore: NO_GPU,
  async fn() {
    const result = await gpuSelftest({ randomJobs: 64 });
    assert.equal(result.status, "ok", result.detail);
    assert.match(result.detail, /2 RFC 8439 vectors.*64 random jobs/);
  },
});

Deno.test({
  name: "gpuSelftest() fails when the GPU and the reference disagree",
  ignore: NO_GPU,
  async fn() {
    const wrong = {
      ...nobleEngine,
      async sealBatch(jobs: Parameters<typeof nobleEngine.sealBatch>[0]) {
        const out = await nobleEngine.sealBatch(jobs);
        out[0][0] ^= 1;
        return out;
      },
    };
    const result = await gpuSelftest({ cpu: wrong, randomJobs: 8 });
    assert.deepEqual(result, {
      status: "failed",
      detail: "GPU and CPU seal differ on random jobs",
    });
  },
});

Deno.test("gpuSelftestChecks() gives the GPU check and the batch path check", async () => {
  const checks = gpuSelftestChecks("cpu");
  assert.deepEqual(checks.map((c) => c.name), [
    "ChaCha20-Poly1305 batch on WebGPU (RFC 8439 §2.8.2, A.5) vs CPU",
    "Batch cipher path (cipher.path cpu)",
  ]);
  const gpuDetail = await checks[0].run();
  if (NO_GPU) assert.equal(gpuDetail, "skipped: no WebGPU adapter");
  else assert.match(gpuDetail as string, /^2 RFC 8439 vectors/);
  assert.equal(await checks[1].run(), "cipher.path cpu; GPU not used");
});

Deno.test("describeBatchReport() states the path, the adapter and each cost model", () => {
  const line = describeBatchReport({
    requested: "auto",
    gpu: { available: true, adapter: "llvmpipe", softwareAdapter: true },
    calibrations: [{
      workload: "64 B jobs",
      jobBytes: 64,
      sizes: [512, 8192],
      cpu: { fixedMs: 0, perJobMs: 0.0035 },
      gpu: { fixedMs: 11.5, perJobMs: 0.0004 },
      gpuFromJobs: 3710,
    }, {
      workload: "64 KiB jobs",
      jobBytes: 65536,
      sizes: [4, 64],
      cpu: { fixedMs: 0, perJobMs: 0.05 },
      gpu: null,
      gpuFromJobs: null,
    }],
  });
  assert.equal(
    line,
    "cipher.path auto; adapter llvmpipe; 64 B jobs: cpu 0.0 ms + 3.50 us/job, " +
      "gpu 11.5 ms + 0.40 us/job -> gpu from 3710 jobs; 64 KiB jobs: " +
      "cpu 0.0 ms + 50.00 us/job, gpu n/a -> cpu always",
  );
});
