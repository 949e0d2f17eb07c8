import assert from "node:assert/strict";
import { gpuSelftest } from "../../core/gpu/selftest.ts";
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
