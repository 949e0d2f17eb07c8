import assert from "node:assert/strict";
import { DEFAULT_FAULTS, parseFaults, runNet } from "../../bench/net/run.ts";

Deno.test("parseFaults() reads each fault and refuses unknown ones", () => {
  assert.deepEqual(parseFaults("delay,loss=1,partition,kill"), DEFAULT_FAULTS);
  assert.deepEqual(parseFaults("delay=20:5,kill=3"), {
    delay: { ms: 20, jitterMs: 5 },
    lossPercent: 0,
    partition: false,
    kill: 3,
  });
  assert.deepEqual(parseFaults("none"), { delay: null, lossPercent: 0, partition: false, kill: 0 });
  for (const bad of ["loss=101", "kill=-1", "jam"]) {
    assert.throws(() => parseFaults(bad), {
      name: "RangeError",
      message: /^Cannot parse --faults/,
    });
  }
});

Deno.test("runNet() refuses restart counts it cannot run, before starting anything", async () => {
  const base = {
    nodes: 5,
    scenario: "mesh" as const,
    faults: parseFaults("none"),
    loopback: true,
    restarts: 1,
    settleMs: 1000,
  };
  await assert.rejects(runNet({ ...base, restartNodes: 6 }), {
    name: "RangeError",
    message: "Cannot restart 6 nodes of 5: from 0 to 5",
  });
  await assert.rejects(runNet({ ...base, restarts: -1 }), {
    name: "RangeError",
    message: "Cannot restart each node -1 times: an integer >= 0",
  });
});

Deno.test({
  name: "runNet() on 5 loopback daemons delivers every message once across a kill -9",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const report = await runNet({
      nodes: 5,
      scenario: "mesh",
      faults: parseFaults("kill=1"),
      loopback: true,
      restarts: 1,
      // Bounded, and long enough for a 2-core machine shared at load 30-40 (31/40 acked in 30 s there).
      settleMs: 120_000,
      services: false,
    });
    assert.deepEqual(report.network, "loopback");
    assert.deepEqual(report.killed.length, 1);
    const t = report.totals;
    assert.deepEqual({ sent: t.sent, refused: t.refused }, { sent: 40, refused: 0 });
    assert.deepEqual(t.acknowledged, t.sent);
    assert.deepEqual({ delivered: t.delivered, duplicates: t.duplicates, lost: t.lost }, {
      delivered: 40,
      duplicates: 0,
      lost: 0,
    });
    assert.deepEqual(report.identity.identical, report.identity.checks);
    assert.deepEqual(report.identity.checks, 5);
    assert.deepEqual(report.identity.nodes, [0, 1, 2, 3, 4]);
    assert.deepEqual(report.connectionsEnd.pairs, 10);
    assert.deepEqual(report.skippedFaults, []);
  },
});
