import assert from "node:assert/strict";
import { cpuBatchAead } from "../../core/crypto/batch_cpu.ts";
import { GpuAead } from "../../core/gpu/aead.ts";
import { type AdapterProvider, navigatorAdapter } from "../../core/gpu/device.ts";
import { assertMatchesReference, NO_GPU, nobleEngine, randomJobs } from "./_gpu.ts";

const noAdapterCases: [string, AdapterProvider, RegExp][] = [
  ["no adapter", () => Promise.resolve(null), /no WebGPU adapter/],
  ["an adapter request that throws", () => Promise.reject(new Error("boom")), /request failed/],
  [
    "a device request that fails",
    () => Promise.resolve({ requestDevice: () => Promise.reject(new Error("no")) } as GPUAdapter),
    /device request failed/,
  ],
];

for (const [name, adapter, reason] of noAdapterCases) {
  Deno.test(`GpuAead redoes every job on the CPU given ${name}`, async () => {
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter });
    try {
      await assertMatchesReference(gpu, 150);
      const probe = await gpu.probe();
      assert.equal(probe.available, false);
      assert.match(probe.reason!, reason);
      assert.deepEqual(gpu.stats(), { gpuJobs: 0, fallbackJobs: 300, deviceFailures: 0 });
    } finally {
      gpu.close();
    }
  });
}

/** A real adapter whose device is destroyed right after its `lostAfter`-th submit. */
function losingAdapter(lostAfter: number): AdapterProvider {
  return async () => {
    const adapter = (await navigatorAdapter())!;
    return {
      info: adapter.info,
      async requestDevice(descriptor?: GPUDeviceDescriptor) {
        const device = await adapter.requestDevice(descriptor);
        const queue = device.queue;
        const submit = queue.submit.bind(queue);
        let submits = 0;
        Object.defineProperty(queue, "submit", {
          value: (buffers: GPUCommandBuffer[]) => {
            submit(buffers);
            if (++submits === lostAfter) device.destroy();
          },
        });
        return device;
      },
    } as GPUAdapter;
  };
}

Deno.test({
  name: "GpuAead redoes on the CPU the chunks of a device lost mid-batch",
  ignore: NO_GPU,
  async fn() {
    // Small chunks, so one batch takes about ten dispatches; the device dies at the fifth
    // (the first has completed by then: at most four are in flight).
    const gpu = new GpuAead({
      fallback: cpuBatchAead,
      adapter: losingAdapter(5),
      maxChunkBytes: 8 * 1024,
    });
    try {
      const jobs = randomJobs(400, () => Math.floor(Math.random() * 400));
      const expected = await nobleEngine.sealBatch(jobs);
      assert.deepEqual(await gpu.sealBatch(jobs), expected);
      const stats = gpu.stats();
      assert.equal(stats.deviceFailures, 1);
      assert.ok(stats.gpuJobs > 0 && stats.fallbackJobs > 0, JSON.stringify(stats));
      assert.equal(stats.gpuJobs + stats.fallbackJobs, 400);
      // The next batch opens a fresh device (which this adapter loses again).
      const opened = await gpu.openBatch(jobs.map((j, i) => ({ ...j, data: expected[i] })));
      assert.deepEqual(opened, jobs.map((j) => j.data));
      assert.equal(gpu.stats().deviceFailures, 2);
    } finally {
      gpu.close();
    }
  },
});

Deno.test({
  name: "GpuAead stays on the CPU after a device keeps failing",
  ignore: NO_GPU,
  async fn() {
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter: losingAdapter(1) });
    try {
      for (let i = 0; i < 5; i++) await assertMatchesReference(gpu, 100);
      const probe = await gpu.probe();
      assert.equal(probe.available, false);
      assert.match(probe.reason!, /device failed/);
      assert.equal(gpu.stats().deviceFailures, 4);
    } finally {
      gpu.close();
    }
  },
});

Deno.test({
  name: "GpuAead sends jobs larger than one dispatch to the CPU and the rest to the GPU",
  ignore: NO_GPU,
  async fn() {
    const gpu = new GpuAead({ fallback: cpuBatchAead, maxChunkBytes: 4096 });
    try {
      const jobs = randomJobs(60, () => 0);
      jobs.forEach((job, i) => job.data = new Uint8Array(i % 3 === 0 ? 5000 : 100).fill(i));
      const expected = await nobleEngine.sealBatch(jobs);
      assert.deepEqual(await gpu.sealBatch(jobs), expected);
      assert.deepEqual(gpu.stats(), { gpuJobs: 40, fallbackJobs: 20, deviceFailures: 0 });
    } finally {
      gpu.close();
    }
  },
});

Deno.test({
  name: "GpuAead replaces a device lost between batches",
  ignore: NO_GPU,
  async fn() {
    let device: GPUDevice | undefined;
    const adapter: AdapterProvider = async () => {
      const real = (await navigatorAdapter())!;
      return {
        info: real.info,
        async requestDevice(descriptor?: GPUDeviceDescriptor) {
          device = await real.requestDevice(descriptor);
          return device;
        },
      } as GPUAdapter;
    };
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter });
    try {
      await assertMatchesReference(gpu, 50);
      const first = device!;
      first.destroy();
      await first.lost;
      await assertMatchesReference(gpu, 50);
      assert.notEqual(device, first);
      assert.deepEqual(gpu.stats(), { gpuJobs: 200, fallbackJobs: 0, deviceFailures: 1 });
    } finally {
      gpu.close();
    }
  },
});

Deno.test({
  name: "GpuAead redoes on the CPU the jobs of a device that does not answer",
  ignore: NO_GPU,
  async fn() {
    // A device whose readbacks never complete, as a hung GPU's would not.
    const adapter: AdapterProvider = async () => {
      const real = (await navigatorAdapter())!;
      return {
        info: real.info,
        async requestDevice(descriptor?: GPUDeviceDescriptor) {
          const device = await real.requestDevice(descriptor);
          const create = device.createBuffer.bind(device);
          Object.defineProperty(device, "createBuffer", {
            value: (d: GPUBufferDescriptor) => {
              const buffer = create(d);
              if (d.usage & GPUBufferUsage.MAP_READ) {
                Object.defineProperty(buffer, "mapAsync", { value: () => new Promise(() => {}) });
              }
              return buffer;
            },
          });
          return device;
        },
      } as GPUAdapter;
    };
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter, dispatchTimeoutMs: 100 });
    try {
      await assertMatchesReference(gpu, 50);
      assert.deepEqual(gpu.stats(), { gpuJobs: 0, fallbackJobs: 100, deviceFailures: 2 });
    } finally {
      gpu.close();
    }
  },
});

Deno.test({
  name: "GpuAead redoes on the CPU the jobs of a device whose error scopes never answer",
  ignore: NO_GPU,
  async fn() {
    const adapter: AdapterProvider = async () => {
      const real = (await navigatorAdapter())!;
      return {
        info: real.info,
        async requestDevice(descriptor?: GPUDeviceDescriptor) {
          const device = await real.requestDevice(descriptor);
          Object.defineProperty(device, "popErrorScope", { value: () => new Promise(() => {}) });
          return device;
        },
      } as GPUAdapter;
    };
    const gpu = new GpuAead({ fallback: cpuBatchAead, adapter, dispatchTimeoutMs: 100 });
    try {
      const started = performance.now();
      await assertMatchesReference(gpu, 50);
      // Bounded by the timeout (a few dispatches of 100 ms), not hung.
      assert.ok(performance.now() - started < 20_000);
      assert.equal(gpu.stats().gpuJobs, 0);
      assert.equal(gpu.stats().fallbackJobs, 100);
    } finally {
      gpu.close();
    }
  },
});

Deno.test("GpuAead rejects chunk and timeout options out of range", () => {
  const cases: [string, Record<string, number>][] = [
    ["maxChunkBytes", { maxChunkBytes: 15 }],
    ["maxChunkJobs", { maxChunkJobs: 0 }],
    ["dispatchTimeoutMs", { dispatchTimeoutMs: 0 }],
  ];
  for (const [name, options] of cases) {
    assert.throws(() => new GpuAead({ fallback: cpuBatchAead, ...options }), RangeError, name);
  }
});

Deno.test("GpuAead hands a batch of 300,000 jobs to the fallback in one piece", async () => {
  let seen = 0;
  const counting = {
    name: "counting",
    sealBatch: (jobs: readonly unknown[]) => {
      seen += jobs.length;
      return Promise.resolve(jobs.map(() => new Uint8Array(16)));
    },
    openBatch: () => Promise.reject(new Error("not used")),
  };
  const gpu = new GpuAead({ fallback: counting, adapter: () => Promise.resolve(null) });
  const key = new Uint8Array(32), data = new Uint8Array(0);
  const nonceOf = (i: number) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(0, i);
    return nonce;
  };
  const jobs = Array.from({ length: 300_000 }, (_, i) => ({ key, nonce: nonceOf(i), data }));
  const sealed = await gpu.sealBatch(jobs);
  assert.equal(sealed.length, 300_000);
  assert.equal(seen, 300_000);
  assert.equal(gpu.stats().fallbackJobs, 300_000);
});
