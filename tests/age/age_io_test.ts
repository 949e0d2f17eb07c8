import assert from "node:assert/strict";
import { payloadWorkers } from "../../cli/_age_io.ts";

const MiB = 1024 * 1024;

Deno.test("payloadWorkers() starts none below 64 MiB, and never more than the other cores", () => {
  for (const size of [0, 1, 4 * MiB, 64 * MiB - 1]) {
    assert.equal(payloadWorkers(size), 0, `${size}`);
  }
  const others = Math.max(0, Math.min(8, (navigator.hardwareConcurrency || 1) - 1));
  for (const size of [64 * MiB, 1024 * MiB, null]) {
    const workers = payloadWorkers(size);
    assert.ok(Number.isSafeInteger(workers) && workers >= 0 && workers <= others, `${size}`);
  }
});
