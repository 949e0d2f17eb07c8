/**
 * A worker of the pool in batch_workers.ts: opens each request
 * (_batch_wire.ts), runs its jobs through the CPU engine (batch_cpu.ts, so
 * the bytes are those of the calling thread's engine), wipes the keys it was
 * sent, and transfers the results back with the request's buffer (the pool
 * packs its next slice into it, overwriting the rest). A slice it cannot do
 * is answered `ok: false`; the pool then redoes it on the calling thread,
 * where the real error surfaces.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { wipe } from "../bytes.ts";
import { cpuBatchAead } from "./batch_cpu.ts";
import {
  requestKeys,
  transferables,
  unpackRequest,
  type WireRequest,
  type WireResponse,
} from "./_batch_wire.ts";

async function answer(request: WireRequest): Promise<WireResponse> {
  const spare = request.bytes.buffer;
  try {
    const jobs = unpackRequest(request);
    const results = request.op === "seal"
      ? await cpuBatchAead.sealBatch(jobs)
      : await cpuBatchAead.openBatch(jobs);
    return { id: request.id, spare, ok: true, results };
  } catch {
    return { id: request.id, spare, ok: false };
  } finally {
    wipe(requestKeys(request));
  }
}

self.onmessage = async (event: MessageEvent<WireRequest>) => {
  const response = await answer(event.data);
  const moved = response.ok ? transferables(response.results) : [];
  self.postMessage(response, [response.spare, ...moved]);
};
