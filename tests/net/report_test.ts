import assert from "node:assert/strict";
import {
  type BenchResult,
  type Report,
  REPORT_MARKERS,
  runBenchmark,
  spliceReport,
  toMarkdown,
} from "../../bench/report.ts";

const DOC = [
  "# Benchmarks",
  "",
  `Hand-written explanation, quoting \`${REPORT_MARKERS.start}\` and \`${REPORT_MARKERS.end}\`.`,
  "",
  REPORT_MARKERS.start,
  "old report",
  REPORT_MARKERS.end,
  "",
  "## Next section",
  "",
].join("\n");

Deno.test("spliceReport() replaces only the text between the markers, again and again", () => {
  const once = spliceReport(DOC, "new report\n");
  assert.equal(
    once,
    DOC.replace("old report", "\nnew report\n"),
  );
  assert.equal(spliceReport(once, "new report"), once);
  assert.ok(!once.includes("old report"));
});

Deno.test("spliceReport() refuses a document without both markers in order", () => {
  const cases = [
    "no markers",
    `${REPORT_MARKERS.start}\nno end`,
    `${REPORT_MARKERS.end}\n${REPORT_MARKERS.start}\n`,
    `quoted: ${REPORT_MARKERS.start}\n${REPORT_MARKERS.end}\n`,
  ];
  for (const doc of cases) {
    assert.throws(() => spliceReport(doc, "x"), {
      name: "RangeError",
      message: /^Cannot rewrite the report: the document lacks the lines/,
    });
  }
});

const result = (over: Partial<BenchResult>): BenchResult => ({
  name: "core",
  what: "what it measures",
  command: "deno run --allow-all bench/run.ts",
  ok: true,
  code: 0,
  seconds: 1.5,
  load: 2.5,
  output: "# Meteor core benchmark\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n## Files",
  error: null,
  ...over,
});

const REPORT: Report = {
  date: "2026-12-04T22:00:00.000Z",
  deno: "2.9.6",
  machine: { os: "linux", arch: "x86_64", cpu: "CPU X", cores: 2, memoryGiB: 24 },
  quick: true,
  load: { before: [1, 2, 3], after: [4, 5, 6] },
  seconds: 99.5,
  results: [result({}), result({ name: "gpu", ok: false, code: 1, error: "boom" })],
};

Deno.test("toMarkdown() states machine, Deno, date, load and wall time, and nests headings", () => {
  const md = toMarkdown(REPORT, 3);
  for (
    const line of [
      "### Meteor benchmark report (quick)",
      "- date: 2026-12-04T22:00:00.000Z",
      "- Deno: 2.9.6",
      "- machine: CPU X, 2 cores, 24 GiB, linux/x86_64",
      "- command: deno task bench --quick",
      "- load average (1, 5, 15 min): 1 2 3 before, 4 5 6 after",
      "- wall time: 99.5 s",
      "| core | what it measures | ok | 1.5 | 2.5 |",
      "| gpu | what it measures | FAILED | 1.5 | 2.5 |",
      "#### core",
      "##### Meteor core benchmark",
      "###### Files",
      "boom",
    ]
  ) assert.ok(md.split("\n").includes(line), `missing line: ${line}\n${md}`);
  assert.ok(!/^#{1,2} /m.test(md), "no heading above level 3");
  assert.ok(toMarkdown(REPORT).startsWith("# Meteor benchmark report (quick)\n"));
});

Deno.test({
  name: "runBenchmark() keeps what a script prints and stops one past its limit",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "meteor-report-" });
    try {
      await Deno.writeTextFile(`${dir}/prints.ts`, 'console.log("| x |\\n| - |\\n| 1 |");');
      await Deno.writeTextFile(
        `${dir}/hangs.ts`,
        "await new Promise(() => setInterval(() => {}, 1000));",
      );
      const bench = { name: "t", what: "w", full: [], quick: ["--runs", "1"] };
      const ok = await runBenchmark({ ...bench, script: `${dir}/prints.ts` }, true, 60_000);
      assert.equal(ok.ok, true);
      assert.equal(ok.code, 0);
      assert.equal(ok.output, "| x |\n| - |\n| 1 |");
      assert.equal(ok.command, `deno run --allow-all ${dir}/prints.ts --runs 1`);
      const stopped = await runBenchmark({ ...bench, script: `${dir}/hangs.ts` }, false, 3_000);
      assert.equal(stopped.ok, false);
      assert.equal(stopped.code, null);
      assert.match(stopped.error ?? "", /^stopped after 3 s\. /);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
