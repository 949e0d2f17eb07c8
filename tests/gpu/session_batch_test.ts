import assert from "node:assert/strict";
import { GpuAead } from "../../core/gpu/aead.ts";
import { Session } from "../../plugins/p2p/session/mod.ts";
import { copyResult, handshakeResults, testNode } from "../p2p/_fixtures.ts";
import { NO_GPU, refusingFallback } from "./_gpu.ts";

Deno.test({
  name: "Session.sendBatch() sealed by the WebGPU engine puts send()'s bytes on the wire",
  ignore: NO_GPU,
  async fn() {
    const results = await handshakeResults(await testNode(1), await testNode(2));
    const gpu = new GpuAead({ fallback: refusingFallback });
    try {
      const data = [0, 1, 63, 64, 65, 496, 497, 1024, 65_536].map((size) =>
        crypto.getRandomValues(new Uint8Array(size))
      );
      const perCall: Uint8Array[] = [];
      const one = new Session(copyResult(results.initiator), (f) => perCall.push(f));
      for (const item of data) one.send(item);
      const batched: Uint8Array[] = [];
      const many = new Session(copyResult(results.initiator), (f) => batched.push(f), {
        sealer: { batchWins: () => true, sealBatch: (jobs) => gpu.sealBatch(jobs) },
      });
      await many.sendBatch(data);
      assert.equal(many.stats.framesBatched, data.length);
      assert.deepEqual(batched, perCall);
      assert.equal(gpu.stats().fallbackJobs, 0, "every frame was sealed on the GPU");
      const receiver = new Session(copyResult(results.responder), () => {});
      for (const [i, frame] of batched.entries()) {
        assert.deepEqual(await receiver.receive(frame), data[i]);
      }
    } finally {
      gpu.close();
    }
  },
});
