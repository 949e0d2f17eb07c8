/** RateLimiter counts per key in fixed windows and stays bounded in keys. */
import assert from "node:assert/strict";
import { RateLimiter } from "../../plugins/auth/_limits.ts";

Deno.test("RateLimiter.hit() counts per key and starts over when the window ends", () => {
  const limiter = new RateLimiter(1000);
  assert.deepEqual([limiter.hit("a", 0), limiter.hit("a", 10), limiter.hit("b", 10)], [1, 2, 1]);
  assert.equal(limiter.count("a", 999), 2);
  assert.equal(limiter.retryAfter("a", 500), 1);
  assert.equal(limiter.count("a", 1000), 0);
  assert.equal(limiter.hit("a", 1000), 1);
});

Deno.test("RateLimiter drops ended windows, then the oldest keys, past maxKeys", () => {
  const limiter = new RateLimiter(1000, 2);
  limiter.hit("a", 0);
  limiter.hit("b", 500);
  limiter.hit("c", 1200); // "a" has ended: dropped
  assert.deepEqual([limiter.count("a", 1200), limiter.count("b", 1200), limiter.count("c", 1200)], [
    0,
    1,
    1,
  ]);
  limiter.hit("d", 1300); // none ended: the oldest ("b") goes
  assert.deepEqual([limiter.count("b", 1300), limiter.count("c", 1300), limiter.count("d", 1300)], [
    0,
    1,
    1,
  ]);
});
