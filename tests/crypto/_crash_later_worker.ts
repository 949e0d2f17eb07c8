/**
 * The real batch worker, except that it crashes on its second request
 * (tests/crypto/batch_workers_test.ts).
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import "../../core/crypto/_batch_worker.ts";

const answer = self.onmessage as (event: MessageEvent) => void;
let requests = 0;
self.onmessage = (event: MessageEvent) => {
  if (++requests === 2) throw new Error("worker crash (test)");
  answer(event);
};
