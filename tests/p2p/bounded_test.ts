import assert from "node:assert/strict";
import { BoundedMap } from "../../plugins/p2p/_bounded.ts";

Deno.test("BoundedMap keeps at most its bound, dropping the entry set longest ago", () => {
  const map = new BoundedMap<string, number>(3);
  for (const [key, value] of [["a", 1], ["b", 2], ["c", 3]] as const) map.set(key, value);
  map.set("a", 10); // set again: now the newest
  map.set("d", 4); // over the bound: "b" goes
  assert.deepEqual([...map.entries()], [["c", 3], ["a", 10], ["d", 4]]);
  for (let i = 0; i < 1000; i++) map.set(`k${i}`, i);
  assert.equal(map.size, 3);
  assert.deepEqual([...map.keys()], ["k997", "k998", "k999"]);
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => new BoundedMap(bad), RangeError);
});
