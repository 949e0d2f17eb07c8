/**
 * A batch worker that answers every request "could not do it"
 * (tests/crypto/batch_workers_test.ts).
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
self.onmessage = (event: MessageEvent<{ id: number }>) => {
  self.postMessage({ id: event.data.id, ok: false });
};
