/**
 * The batch cipher benchmark (`deno task bench:gpu`): ChaCha20-Poly1305
 * (RFC 8439) sealing of 64 B, 1 KiB and 64 KiB messages, and of a large input
 * cut into 64 KiB chunks, by
 *   - CPU per call: native node:crypto, one call per message (the baseline,
 *     measured in the same run);
 *   - CPU batch: the CPU BatchAead engine (core/crypto/batch_cpu.ts);
 *   - GPU batch: the WebGPU engine (core/gpu), on whatever adapter is here
 *     (Mesa's llvmpipe on a machine without a GPU);
 *   - auto: the engine core/crypto/batch.ts picks by calibration.
 * The engines take turns within each run (the machine may be shared), after
 * one warm-up call each (auto calibrates in it). Prints a Markdown table of
 * medians, and the ratio of each to the baseline.
 *
 * Usage: deno task bench:gpu [--runs N] [--large MiB] [--json]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { seal } from "../core/crypto/aead.ts";
import { createBatchAead } from "../core/crypto/batch.ts";
import { cpuBatchAead } from "../core/crypto/batch_cpu.ts";
import type { AeadJob, BatchAead } from "../core/crypto/batch_types.ts";
import { GpuAead } from "../core/gpu/mod.ts";
import { describeBatchReport } from "../core/gpu/selftest.ts";
import { formatNumber, median, table } from "./_stats.ts";

const KiB = 1024;
/** The prototype's advertised rate for 64-byte messages (on an A100). */
const GOAL_64B = 1_900_000;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    large: { type: "string", default: "64" },
    json: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const largeMiB = Number(values.large);

interface Workload {
  name: string;
  bytes: number;
  jobs: number;
}

const workloads: Workload[] = [
  { name: "64 B messages", bytes: 64, jobs: 262_144 },
  { name: "1 KiB messages", bytes: KiB, jobs: 32_768 },
  { name: "64 KiB messages", bytes: 64 * KiB, jobs: 512 },
  { name: `${largeMiB} MiB input in 64 KiB chunks`, bytes: 64 * KiB, jobs: largeMiB * 16 },
];

function makeJobs(w: Workload): AeadJob[] {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const data = new Uint8Array(w.bytes).fill(0x5a);
  return Array.from({ length: w.jobs }, (_, i) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(8, i);
    // Each message its own key and buffer, as independent messages have.
    return { key: key.map((b) => b ^ (i & 0xff)), nonce, data: data.slice() };
  });
}

const perCall: BatchAead = {
  name: "per-call",
  sealBatch: (jobs) => Promise.resolve(jobs.map((j) => seal(j.key, j.nonce, j.data, j.aad))),
  openBatch: () => Promise.reject(new Error("not measured")),
};

interface Row {
  workload: string;
  engine: string;
  messagesPerSecond: number;
  gigabytesPerSecond: number;
  ratio: number;
}

const gpu = new GpuAead({ fallback: cpuBatchAead });
const probe = await gpu.probe();
const auto = createBatchAead({ path: "auto" });
const engines: [string, BatchAead][] = [
  ["CPU per call (native, baseline)", perCall],
  ["CPU batch", cpuBatchAead],
  ["auto (calibrated)", auto],
  ...(probe.available ? [["GPU batch", gpu] as [string, BatchAead]] : []),
];

const rows: Row[] = [];
for (const w of workloads) {
  const jobs = makeJobs(w);
  // Engines take turns within each run, so the machine's load moves them alike (it is shared).
  const times = engines.map(() => [] as number[]);
  for (const [, engine] of engines) await engine.sealBatch(jobs); // Warm-up (and calibration).
  for (let run = 0; run < runs; run++) {
    for (let e = 0; e < engines.length; e++) {
      const start = performance.now();
      await engines[e][1].sealBatch(jobs);
      times[e].push(performance.now() - start);
    }
  }
  const baseline = w.jobs / (median(times[0]) / 1000);
  engines.forEach(([name], e) => {
    const rate = w.jobs / (median(times[e]) / 1000);
    rows.push({
      workload: w.name,
      engine: name,
      messagesPerSecond: rate,
      gigabytesPerSecond: (rate * w.bytes) / 1e9,
      ratio: rate / baseline,
    });
  });
}
const report = await auto.report();
const gpuStats = gpu.stats();
gpu.close();
auto.close();

const machine = {
  cpus: navigator.hardwareConcurrency,
  deno: Deno.version.deno,
  adapter: probe.available ? probe.adapter : `none (${probe.reason})`,
};
const best64 = Math.max(
  ...rows.filter((r) => r.workload === workloads[0].name).map((r) => r.messagesPerSecond),
);

if (values.json) {
  console.log(JSON.stringify({ machine, runs, rows, calibration: report, gpuStats }, null, 2));
} else {
  console.log(
    `Batch ChaCha20-Poly1305 seal, median of ${runs} runs; ${machine.cpus} CPUs, ` +
      `Deno ${machine.deno}, WebGPU adapter: ${machine.adapter}\n`,
  );
  console.log(table(
    ["workload", "engine", "messages/s", "GB/s", "vs baseline"],
    rows.map((r) => [
      r.workload,
      r.engine,
      formatNumber(r.messagesPerSecond),
      formatNumber(r.gigabytesPerSecond),
      `${formatNumber(r.ratio)}x`,
    ]),
  ));
  console.log(`\nauto: ${describeBatchReport(report)}`);
  console.log(
    `64 B goal: ${formatNumber(GOAL_64B)} msg/s; best here ${formatNumber(best64)} msg/s ` +
      `(${formatNumber(best64 / GOAL_64B)}x of the goal). GPU jobs redone on the CPU: ` +
      `${gpuStats.fallbackJobs}.`,
  );
}
