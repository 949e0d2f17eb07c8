import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { prepared } from "../../core/store/_statements.ts";

Deno.test("prepared() prepares each SQL text once per database and reuses it", () => {
  const a = new DatabaseSync(":memory:");
  const b = new DatabaseSync(":memory:");
  try {
    a.exec("CREATE TABLE t (x INTEGER)");
    const insert = prepared(a, "INSERT INTO t (x) VALUES (?)");
    assert.equal(prepared(a, "INSERT INTO t (x) VALUES (?)"), insert);
    assert.notEqual(prepared(a, "SELECT count(*) AS n FROM t"), insert);
    for (let i = 0; i < 3; i++) insert.run(i);
    assert.deepEqual({ ...prepared(a, "SELECT count(*) AS n FROM t").get() }, { n: 3 });
    // Another database gets its own statement for the same text.
    assert.throws(() => prepared(b, "INSERT INTO t (x) VALUES (?)"), /no such table/);
  } finally {
    a.close();
    b.close();
  }
});
