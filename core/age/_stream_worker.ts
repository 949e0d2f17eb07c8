/**
 * A payload worker of the block pipeline (file.ts): runs each request
 * (_stream_run.ts) on buffers shared with the calling thread
 * (SharedArrayBuffer views: nothing is copied or transferred), wipes the key
 * copy it was sent, and answers with what the run did. A request it cannot
 * do is answered `ok: false`; the pipeline redoes it on the calling thread,
 * where the real error surfaces.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { nodeCrypto } from "../crypto/_node_crypto.ts";
import { runChunks } from "./_stream_run.ts";
import type { WorkerRequest, WorkerResponse } from "./stream_pool.ts";

// The cipher's module now, while the pool's owner still works on the header
// (StreamPool.start), rather than at the first run.
nodeCrypto();

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const { id, request } = event.data;
  let response: WorkerResponse;
  try {
    response = { id, ok: true, result: runChunks(request) };
  } catch {
    response = { id, ok: false };
  } finally {
    request.key.fill(0);
  }
  self.postMessage(response);
};
