/**
 * The benchmark report (`deno task bench`): runs every benchmark of the
 * project, each in its own process with its own baseline measured in the same
 * run, and gathers their tables into one report, Markdown and JSON, with the
 * machine, the Deno version and the date. The benchmarks themselves are not
 * changed: each is run as its task runs it, with smaller sizes for --quick.
 *
 * Usage: deno task bench [--quick] [--only NAME[,NAME...]] [--json FILE] [--md FILE]
 *   [--markdown DOC]
 *   --quick     small sizes: the whole report in about two minutes of benchmarks
 *   --only      run only these benchmarks (names as in the report)
 *   --json      write the machine-readable report to FILE
 *   --md        write the Markdown report to FILE (default bench/out/report.md)
 *   --markdown  rewrite the part of DOC between the report markers (docs/benchmarks.md)
 *               with the report, leaving the rest of DOC as it is
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
    quick: ["--nodes", "20", "--lookups", "20", "--daemons", "4"],
  },
  {
    name: "pubsub",
    what: "gossip delivery and latency",
    script: "bench/pubsub.ts",
    full: [],
    quick: [
      "--nodes",
      "4",
      "--messages",
      "50",
      "--burst",
      "100",
      "--rounds",
      "2",
      "--topology",
      "random",
    ],
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
  /** The 1-minute load average when it ended (null where the OS does not say). */
  load: number | null;
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
  /** The 1-, 5- and 15-minute load averages before the first benchmark and after the last. */
  load: { before: number[] | null; after: number[] | null };
  /** Wall time of the whole report. */
  seconds: number;
  results: BenchResult[];
}

/** The load averages of /proc/loadavg (null where there is none). */
export async function loadAverage(): Promise<number[] | null> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => null);
  return text === null ? null : text.split(" ").slice(0, 3).map(Number);
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
    load: (await loadAverage())?.[0] ?? null,
    output: new TextDecoder().decode(stdout).trim(),
    error: ok ? null : (timedOut ? `stopped after ${limitMs / 1000} s. ` : "") + err.slice(-2000),
  };
}

/**
 * The report as Markdown: a summary table, then each benchmark's own
 * tables. `level` is the title's heading level (1 for a file of its own,
 * deeper inside a document); each benchmark's heading is one below it.
 */
export function toMarkdown(report: Report, level = 1): string {
  const m = report.machine;
  const h = (depth: number) => "#".repeat(Math.min(6, depth));
  const load = (l: number[] | null) => (l ? l.join(" ") : "unknown");
  const lines = [
    `${h(level)} Meteor benchmark report${report.quick ? " (quick)" : ""}`,
    "",
    `- date: ${report.date}`,
    `- Deno: ${report.deno}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}/${m.arch}`,
    `- command: deno task bench${report.quick ? " --quick" : ""}`,
    `- load average (1, 5, 15 min): ${load(report.load.before)} before, ${
      load(report.load.after)
    } after`,
    `- wall time: ${report.seconds} s`,
    "",
    "| benchmark | measures | result | seconds | load at end |",
    "| --- | --- | --- | --- | --- |",
    ...report.results.map((r) =>
      `| ${r.name} | ${r.what} | ${r.ok ? "ok" : "FAILED"} | ${r.seconds} | ${r.load ?? "-"} |`
    ),
  ];
  for (const r of report.results) {
    const output = r.output.replace(
      /^(#+) /gm,
      (_, marks: string) => `${h(level + 1 + marks.length)} `,
    );
    lines.push(
      "",
      `${h(level + 1)} ${r.name}`,
      "",
      `\`${r.command}\``,
      "",
      output || "(no output)",
    );
    if (r.error) lines.push("", "```", r.error.trim(), "```");
  }
  return lines.join("\n") + "\n";
}

/** The markers around the generated part of a document {@link spliceReport} rewrites. */
export const REPORT_MARKERS = {
  start: "<!-- deno task bench --markdown: generated from here -->",
  end: "<!-- deno task bench --markdown: generated up to here -->",
} as const;

/** The offset of the first line of `doc` that is exactly `line`, or -1. */
function lineAt(doc: string, line: string): number {
  const match = new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m").exec(doc);
  return match ? match.index : -1;
}

/**
 * `doc` with the text between its report markers replaced by `generated`
 * (the markers, each a line of its own, stay; the rest of `doc` is
 * unchanged: a marker quoted inside a line is text, not a marker). Throws a
 * RangeError when `doc` lacks either marker line, or has them out of order.
 */
export function spliceReport(doc: string, generated: string): string {
  const start = lineAt(doc, REPORT_MARKERS.start);
  const end = lineAt(doc, REPORT_MARKERS.end);
  if (start < 0 || end < start) {
    throw new RangeError(
      `Cannot rewrite the report: the document lacks the lines ${REPORT_MARKERS.start} and ` +
        `${REPORT_MARKERS.end}, in that order`,
    );
  }
  const head = doc.slice(0, start + REPORT_MARKERS.start.length);
  return `${head}\n\n${generated.trim()}\n\n${doc.slice(end)}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      json: { type: "string" },
      md: { type: "string", default: `${ROOT}bench/out/report.md` },
      markdown: { type: "string" },
    },
  });
  const only = values.only?.split(",");
  const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
  if (unknown.length) {
    throw new RangeError(`Cannot run benchmark ${unknown.join(", ")}: not in the report`);
  }
  // Fail before minutes of benchmarks, not after, when the document cannot take the report.
  const doc = values.markdown === undefined ? null : await Deno.readTextFile(values.markdown);
  if (doc !== null) spliceReport(doc, "");
  const chosen = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  const limitMs = (values.quick ? 5 : 30) * 60_000;
  const started = performance.now();
  const before = await loadAverage();
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
    load: { before, after: await loadAverage() },
    seconds: Math.round((performance.now() - started) / 100) / 10,
    results,
  };
  const markdown = toMarkdown(report);
  console.log(markdown);
  await Deno.mkdir(new URL(".", `file://${values.md}`).pathname, { recursive: true });
  await Deno.writeTextFile(values.md, markdown);
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2) + "\n");
  if (doc !== null && values.markdown) {
    await Deno.writeTextFile(values.markdown, spliceReport(doc, toMarkdown(report, 3)));
    // Benchmarks print their own tables: let deno fmt align them as the rest of the docs.
    await new Deno.Command(Deno.execPath(), { args: ["fmt", values.markdown], stderr: "null" })
      .output();
  }
  Deno.exit(results.every((r) => r.ok) ? 0 : 1);
}
