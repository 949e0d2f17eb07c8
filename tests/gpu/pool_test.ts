import assert from "node:assert/strict";
import { BufferPool } from "../../core/gpu/_pool.ts";
import { navigatorAdapter } from "../../core/gpu/device.ts";
import { NO_GPU } from "./_gpu.ts";

function poolTest(name: string, fn: (pool: BufferPool, usage: number) => void) {
  Deno.test({
    name,
    ignore: NO_GPU,
    async fn() {
      const device = await (await navigatorAdapter())!.requestDevice();
      try {
        fn(new BufferPool(device), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
      } finally {
        device.destroy();
      }
    },
  });
}

poolTest("BufferPool reuses a buffer of the same usage and size class", (pool, usage) => {
  const a = pool.acquire(5000, usage);
  assert.equal(a.size, 8192);
  pool.release(a);
  assert.equal(pool.acquire(8192, usage), a);
  pool.release(a);
  assert.notEqual(pool.acquire(8193, usage), a);
  assert.notEqual(pool.acquire(5000, GPUBufferUsage.STORAGE), a);
  assert.equal(pool.acquire(4097, usage), a);
});

poolTest("BufferPool keeps at most four buffers per class", (pool, usage) => {
  const first = Array.from({ length: 5 }, () => pool.acquire(100, usage));
  first.forEach((b) => pool.release(b));
  const again = Array.from({ length: 5 }, () => pool.acquire(100, usage));
  assert.equal(again.filter((b) => first.includes(b)).length, 4);
});

poolTest("BufferPool keeps at most 128 MiB in all", (pool, usage) => {
  const MiB = 1024 * 1024;
  const big = [pool.acquire(64 * MiB, usage), pool.acquire(64 * MiB, usage)];
  const extra = pool.acquire(32 * MiB, usage);
  big.forEach((b) => pool.release(b));
  pool.release(extra);
  assert.notEqual(pool.acquire(32 * MiB, usage), extra);
  assert.ok(big.includes(pool.acquire(64 * MiB, usage)));
  pool.clear();
  assert.ok(!big.includes(pool.acquire(64 * MiB, usage)));
});
