/**
 * The benchmark report (`deno task bench`): runs every benchmark of the
 * project, each in its own process with its own baseline measured in the same
 * run, and gathers their tables into one report, Markdown and JSON, with the
 * machine, the Deno version and the date. The benchmarks themselves are not
 * changed: each is run as its task runs it, with smaller sizes for --quick.
 *
 * Usage: deno task bench [--quick] [--only NAME[,NAME...]] [--json FILE] [--md FILE]
 *   --quick  small sizes: the whole report in about two minutes of benchmarks
 *   --only   run only these benchmarks (names as in the report)
 *   --json   write the machine-readable report to FILE
 *   --md     write the Markdown report to FILE (default bench/out/report.md)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** One benchmark: its script and the arguments of a full and a quick run. */
export interface Benchmark {
  name: string;
  what: string;
  script: string;
  full: string[];
  quick: string[];
}

/** Every benchmark of the project, in report order. */
export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: "core",
    what: "key derivation, seal/open, age files vs the age CLI, CLI start-up",
    script: "bench/run.ts",
    full: [],
    quick: ["--size", "16", "--runs", "2"],
  },
  {
    name: "gpu",
    what: "batch ChaCha20-Poly1305 on WebGPU vs the CPU",
    script: "bench/gpu.ts",
    full: [],
    quick: ["--runs", "2", "--large", "8"],
  },
  {
    name: "p2p",
    what: "sessions vs raw libp2p streams, daemon messages/s",
    script: "bench/p2p.ts",
    full: [],
    quick: [
      "--messages=2000",
      "--pings=200",
      "--handshakes=5",
      "--daemon-messages=200",
      "--daemon-pings=50",
    ],
  },
  {
    name: "dht",
    what: "MeteorID resolves: daemons in a line, simulated nodes",
    script: "bench/dht.ts",
    full: [],
    quick: ["--nodes", "100", "--lookups", "50", "--daemons", "4"],
  },
  {
    name: "pubsub",
    what: "gossip delivery and latency",
    script: "bench/pubsub.ts",
    full: [],
    quick: ["--nodes", "4", "--messages", "50", "--burst", "100"],
  },
  {
    name: "ipfs",
    what: "put/get through Helia vs the raw blockstore",
    script: "bench/ipfs.ts",
    full: [],
    quick: ["--size", "16", "--runs", "1"],
  },
  {
    name: "auth",
    what: "device enrolment, logins/s vs the signature floor",
    script: "bench/auth.ts",
    full: [],
    quick: ["--runs", "5", "--logins", "100"],
  },
];

/** The result of one benchmark run. */
export interface BenchResult {
  name: string;
  what: string;
  command: string;
  ok: boolean;
  /** Exit code (null when it was stopped at its time limit). */
  code: number | null;
  seconds: number;
  /** What it printed on stdout: its tables. */
  output: string;
  /** The end of its stderr when it failed. */
  error: string | null;
}

/** The whole report. */
export interface Report {
  date: string;
  deno: string;
  machine: { os: string; arch: string; cpu: string; cores: number; memoryGiB: number };
  quick: boolean;
  results: BenchResult[];
}

/** The machine this runs on (Linux's /proc where it has one). */
export async function machine(): Promise<Report["machine"]> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

/** Runs one benchmark as a subprocess, stopped with SIGKILL after `limitMs`. */
export async function runBenchmark(
  bench: Benchmark,
  quick: boolean,
  limitMs: number,
): Promise<BenchResult> {
  const args = quick ? bench.quick : bench.full;
  const command = `deno run --allow-all ${bench.script}${args.length ? ` ${args.join(" ")}` : ""}`;
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", bench.script, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, limitMs);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const ok = code === 0 && !timedOut;
  const err = new TextDecoder().decode(stderr);
  return {
    name: bench.name,
    what: bench.what,
    command,
    ok,
    code: timedOut ? null : code,
    seconds: Math.round((performance.now() - start) / 100) / 10,
    output: new TextDecoder().decode(stdout).trim(),
    error: ok ? null : (timedOut ? `stopped after ${limitMs / 1000} s. ` : "") + err.slice(-2000),
  };
}

/** The report as Markdown: a summary table, then each benchmark's own tables. */
export function toMarkdown(report: Report): string {
  const m = report.machine;
  const lines = [
    `# Meteor benchmark report${report.quick ? " (quick)" : ""}`,
    "",
    `- date: ${report.date}`,
    `- Deno: ${report.deno}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}/${m.arch}`,
    `- command: deno task bench${report.quick ? " --quick" : ""}`,
    "",
    "| benchmark | measures | result | seconds |",
    "| --- | --- | --- | --- |",
    ...report.results.map((r) =>
      `| ${r.name} | ${r.what} | ${r.ok ? "ok" : "FAILED"} | ${r.seconds} |`
    ),
  ];
  for (const r of report.results) {
    lines.push("", `## ${r.name}`, "", `\`${r.command}\``, "", r.output || "(no output)");
    if (r.error) lines.push("", "```", r.error.trim(), "```");
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      json: { type: "string" },
      md: { type: "string", default: `${ROOT}bench/out/report.md` },
    },
  });
  const only = values.only?.split(",");
  const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
  if (unknown.length) {
    throw new RangeError(`Cannot run benchmark ${unknown.join(", ")}: not in the report`);
  }
  const chosen = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  const limitMs = (values.quick ? 5 : 30) * 60_000;
  const results: BenchResult[] = [];
  for (const bench of chosen) {
    console.error(`bench: ${bench.name} ...`);
    const result = await runBenchmark(bench, values.quick, limitMs);
    console.error(`bench: ${bench.name} ${result.ok ? "ok" : "FAILED"} in ${result.seconds} s`);
    results.push(result);
  }
  const report: Report = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    machine: await machine(),
    quick: values.quick,
    results,
  };
  const markdown = toMarkdown(report);
  console.log(markdown);
  await Deno.mkdir(new URL(".", `file://${values.md}`).pathname, { recursive: true });
  await Deno.writeTextFile(values.md, markdown);
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2) + "\n");
  Deno.exit(results.every((r) => r.ok) ? 0 : 1);
}
