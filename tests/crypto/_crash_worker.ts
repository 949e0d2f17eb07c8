/**
 * A batch worker that cannot work: it throws on every request, as a worker
 * whose module fails would (tests/crypto/batch_workers_test.ts).
 *
 * @module
 */
self.onmessage = () => {
  throw new Error("worker crash (test)");
};
