import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { ArgumentError, type OptionSpec, parseArguments } from "../cli/_parse_args.ts";
import {
  COMMON_OPTIONS,
  isAgeSecretKey,
  parseCommandArgs,
  redact,
  refuseExtraArguments,
} from "../cli/command.ts";
import { COMMANDS } from "../cli/commands.ts";
import { HybridIdentity } from "../core/age/mod.ts";
import { isMeteorError } from "../core/errors.ts";
import { meteor } from "./_cli.ts";

const SEED = "9f".repeat(32);
const AGE_KEY = "AGE-SECRET-KEY-PQ-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS8LRQ5G";
const X25519_KEY = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ5ZCQ6N";

Deno.test("redact() hides age secret keys and hex words of 20+ digits, and says so", () => {
  const cases: [string, string][] = [
    [`unexpected "${SEED}"`, 'unexpected "[secret]"'],
    [`unexpected "${SEED.slice(0, 32)}"`, 'unexpected "[secret]"'],
    [`unexpected "${SEED.slice(0, 21)}"`, 'unexpected "[secret]"'],
    [`unexpected "${SEED.slice(0, 20)}"`, 'unexpected "[secret]"'],
    [`unexpected "0x${SEED.toUpperCase()}"`, 'unexpected "[secret]"'],
    [`Unknown option '--${SEED}'`, "Unknown option '--[secret]'"],
    [`a ${AGE_KEY} b`, "a [secret] b"],
    [`a ${X25519_KEY.toLowerCase()} b`, "a [secret] b"],
    [`${AGE_KEY} and ${SEED}`, "[secret] and [secret]"],
  ];
  for (const [text, redacted] of cases) {
    const out = redact(text);
    assert.ok(out.startsWith(redacted), out);
    assert.match(out, /looks like a secret key or seed is not shown/);
  }
});

Deno.test("redact() leaves text without a secret as it is", () => {
  const cases = [
    "",
    `unexpected "${SEED.slice(0, 19)}"`,
    "Cannot read /tmp/4bc3f616914c1beb: it does not exist",
    "Cannot read /tmp/meteor-x1y2z3/keystore.json: it does not exist",
    "age1pq1abcdef0123456789abcdef0123456789abcdefghjk",
    "meteor1ccs5dcgvvw2q2m7xn4uswjphyklr08wnm5aae0wgut7uhw6nvdhqclg3a5",
    "AGE-SECRET-KEYS are secret",
  ];
  for (const text of cases) {
    assert.equal(redact(text), text);
  }
});

Deno.test("isAgeSecretKey() tells age secret keys, in any case, from file names and recipients", () => {
  const cases: [string, boolean][] = [
    [AGE_KEY, true],
    [X25519_KEY.toLowerCase(), true],
    ["AGE-SECRET-KEY-", true],
    ["AGE-SECRET-KEY", false],
    ["key.txt", false],
    [`./${AGE_KEY}`, false],
    ["age1pq1abcdef", false],
    ["", false],
  ];
  for (const [text, expected] of cases) assert.equal(isAgeSecretKey(text), expected, text);
});

Deno.test("refuseExtraArguments() allows n - 1 and n positionals, refuses n + 1 without echoing a secret", () => {
  const n = 1;
  refuseExtraArguments([], n);
  refuseExtraArguments(["in.age"], n);
  assert.throws(
    () => refuseExtraArguments(["in.age", "extra"], n),
    (err) => isMeteorError(err, "E_USAGE") && err.message.includes('"extra"'),
  );
  assert.throws(
    () => refuseExtraArguments(["in.age", SEED], n),
    (err) => isMeteorError(err, "E_USAGE") && !err.message.includes(SEED.slice(0, 16)),
  );
});

Deno.test("main() never prints a secret given where a file name is expected", async () => {
  const home = await Deno.makeTempDir({ prefix: "meteor-command-" });
  try {
    // A real identity file, so that decrypt goes on to open the input it is given.
    const keyFile = `${home}/key.txt`;
    await Deno.writeTextFile(keyFile, new HybridIdentity(new Uint8Array(32)).toString());
    const runs = [
      [AGE_KEY],
      [SEED],
      ["decrypt", "--home", home, "-i", keyFile, AGE_KEY],
      ["decrypt", "--home", home, "-i", keyFile, "--json", "-o", `${home}/out`, SEED],
      ["contacts", "add", "--home", home, "bob", SEED],
    ];
    for (const args of runs) {
      const run = await meteor(...args);
      assert.notEqual(run.code, 0, args[0]);
      const text = `${run.stdout}\n${run.stderr}`;
      assert.ok(text.includes("[secret]"), text);
      assert.ok(!text.includes(SEED.slice(0, 16)) && !text.includes(AGE_KEY.slice(0, 20)), text);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("decrypt -i KEY and encrypt -r KEY say that a secret key was given, without it", async () => {
  const home = await Deno.makeTempDir({ prefix: "meteor-command-" });
  try {
    const runs: [string[], RegExp][] = [
      [
        ["decrypt", "--home", home, "-i", AGE_KEY],
        /not the key itself \(the key given is not shown\) \[E_USAGE\]/,
      ],
      [["encrypt", "--home", home, "-r", X25519_KEY], /this is a secret key.*\[E_BAD_RECIPIENT\]/],
    ];
    for (const [args, message] of runs) {
      const run = await meteor(...args);
      assert.notEqual(run.code, 0, args[0]);
      const text = run.stderr;
      assert.match(text, message);
      assert.ok(!text.includes(AGE_KEY.slice(20, 40)) && !text.includes(X25519_KEY.slice(20, 40)));
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("parseCommandArgs() reports a bad option on one line, with parseArgs's advice", () => {
  const options = { timeout: { type: "string", short: "t" } } as const;
  const cases: [string[], RegExp][] = [
    [
      ["--timeout", "-1"],
      /^Cannot parse arguments: Option '--timeout' argument is ambiguous; to specify an option argument starting with a dash use '--timeout=-XYZ'$/,
    ],
    [
      ["-t", "-1"],
      /^Cannot parse arguments: Option '-t' argument is ambiguous; to specify .* '-t-XYZ'$/,
    ],
    [["--timeout"], /^Cannot parse arguments: Option '-t, --timeout <value>' argument missing$/],
    [["--fast"], /^Cannot parse arguments: Unknown option '--fast'/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCommandArgs(args, options),
      (err) =>
        isMeteorError(err, "E_USAGE") && !err.message.includes("\n") && message.test(err.message),
      args.join(" "),
    );
  }
});

Deno.test("main() prints every usage error as one line with its code", async () => {
  const cases: [string[], string][] = [
    [["bogus"], 'meteor: unknown command "bogus" (see meteor --help) [E_USAGE]'],
    [
      ["send", "--timeout", "-1", "bob", "x"],
      "meteor send: Cannot parse arguments: Option '--timeout' argument is ambiguous; " +
      "to specify an option argument starting with a dash use '--timeout=-XYZ' [E_USAGE]",
    ],
  ];
  for (const [args, line] of cases) {
    const run = await meteor(...args);
    assert.deepEqual([run.code, run.stdout, run.stderr], [2, "", line]);
  }
});

Deno.test("main() with --json prints an error as one JSON object on stderr, nothing on stdout", async () => {
  const cases: [string[], number, string, RegExp][] = [
    [["bogus", "--json"], 2, "E_USAGE", /^unknown command "bogus" \(see meteor --help\)$/],
    [["id", "--json", "--fast"], 2, "E_USAGE", /^Cannot parse arguments: Unknown option '--fast'/],
    [["seed", "--json"], 2, "E_USAGE", /^choose a subcommand: export, import$/],
    [["contacts", "list", "--json", "--home", "/nonexistent/meteor"], 1, "E_NOT_INITIALIZED", /./],
  ];
  for (const [args, code, errorCode, message] of cases) {
    const run = await meteor(...args);
    assert.deepEqual([run.code, run.stdout], [code, ""], args.join(" "));
    const { error } = JSON.parse(run.stderr);
    assert.equal(error.code, errorCode, args.join(" "));
    assert.match(error.message, message, args.join(" "));
  }
});

Deno.test("parseCommandArgs() says which option is unknown, with balanced quotes", () => {
  for (const option of ["--fast", "-x", "--fast=1"]) {
    assert.throws(
      () => parseCommandArgs([option], {}),
      (err) => {
        assert.ok(isMeteorError(err, "E_USAGE"));
        const name = option.replace(/=.*/, "");
        assert.equal(
          err.message,
          `Cannot parse arguments: Unknown option '${name}'; to give an argument that starts ` +
            `with '-', put it after '--' (as in: -- ${name})`,
        );
        assert.equal(err.message.split("'").length % 2, 1, "an even number of single quotes");
        assert.equal(err.message.split('"').length % 2, 1, "an even number of double quotes");
        return true;
      },
    );
  }
});

Deno.test("main() prints --version and exits 0", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.deepEqual(await meteor("--version"), { code: 0, stdout: `meteor ${version}`, stderr: "" });
  const json = await meteor("--version", "--json");
  assert.deepEqual(JSON.parse(json.stdout), { version });
});

Deno.test("main() prints help and exits 0 for the overview, every group and every command", async () => {
  const overview = await meteor("--help");
  assert.equal(overview.code, 0);
  for (const entry of COMMANDS) assert.ok(overview.stdout.includes(entry.name), entry.name);
  const groups = [
    ...new Set(COMMANDS.flatMap((c) => c.name.includes(" ") ? [c.name.split(" ")[0]] : [])),
  ];
  assert.deepEqual(groups, ["seed", "contacts", "plugins", "topic", "auth"]);
  for (const group of groups) {
    for (const flag of ["--help", "-h"]) {
      const run = await meteor(group, flag);
      assert.equal(run.code, 0, `${group} ${flag}`);
      assert.match(run.stdout, new RegExp(`^Usage: meteor ${group} <`));
      for (const c of COMMANDS.filter((c) => c.name.startsWith(`${group} `))) {
        assert.ok(run.stdout.includes(`meteor ${c.name}`) && run.stdout.includes(c.summary));
      }
    }
  }
  for (const entry of COMMANDS) {
    const run = await meteor(...entry.name.split(" "), "--help");
    assert.equal(run.code, 0, entry.name);
    assert.match(run.stdout, new RegExp(`^Usage: meteor ${entry.name}\\b`), entry.name);
  }
});

Deno.test("COMMANDS lists each command's own name and summary, and loads it", async () => {
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.deepEqual([command.name, command.summary], [entry.name, entry.summary]);
  }
});

Deno.test("main() answers a command group without a subcommand with E_USAGE and the choices", async () => {
  const run = await meteor("contacts");
  assert.equal(run.code, 2);
  const [first, ...choices] = run.stderr.split("\n");
  assert.equal(first, "meteor contacts: choose a subcommand: add, list, remove [E_USAGE]");
  assert.deepEqual(choices.map((line) => line.trim().split(/\s+/).slice(0, 3).join(" ")), [
    "meteor contacts add",
    "meteor contacts list",
    "meteor contacts remove",
  ]);
});

/**
 * The specifiers Deno loads when it starts `root`, transitively (deno info):
 * static imports and literal `import("...")`s, whose graphs Deno loads at
 * start-up too; type-only references and lazyImport's computed specifiers
 * are not followed.
 */
async function staticGraph(root: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    redirects: Record<string, string>;
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string } }[];
    }[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    const resolved = info.redirects[specifier] ?? specifier;
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    for (const dep of modules.get(resolved)?.dependencies ?? []) {
      if (dep.code) stack.push(dep.code.specifier);
    }
  }
  return seen;
}

Deno.test("cli.ts and the offline commands load no libp2p, Hono or GPU code at start-up", async () => {
  const network = /npm:\/?(libp2p|@libp2p\/|@chainsafe\/|hono)|\/plugins\/|\/server/;
  const gpu = /\/core\/gpu\//;
  const cases: [string, RegExp][] = [
    ["cli.ts", /^node:|^npm:/],
    ["cli/id.ts", new RegExp(`${network.source}|${gpu.source}`)],
    ["cli/contacts.ts", new RegExp(`${network.source}|${gpu.source}`)],
    // The file engine (cli/_age_io.ts, core/crypto/batch.ts) still imports core/gpu statically.
    ["cli/encrypt.ts", network],
  ];
  for (const [root, forbidden] of cases) {
    const graph = await staticGraph(root);
    assert.ok(graph.size > 1, `${root}: a graph was read`);
    assert.deepEqual([...graph].filter((s) => forbidden.test(s)), [], root);
  }
});

Deno.test("meteor id and contacts load no npm package, node:crypto or node:util at start-up", async () => {
  // The first npm import costs a process 18-30 ms, node:crypto 20-60 ms, node:util 10-20 ms
  // (docs/benchmarks.md "CLI start-up").
  for (const root of ["cli/id.ts", "cli/contacts.ts", "cli/_identity_cache.ts"]) {
    const graph = await staticGraph(root);
    assert.ok(graph.size > 1, `${root}: a graph was read`);
    assert.deepEqual([...graph].filter((s) => /^npm:|^node:(crypto|util)$/.test(s)), [], root);
  }
});

Deno.test("parseArguments() gives what node:util parseArgs gives, or fails where it fails", () => {
  const options: Record<string, OptionSpec> = {
    ...COMMON_OPTIONS,
    output: { type: "string", short: "o" },
    recipient: { type: "string", short: "r", multiple: true, default: [] },
    armor: { type: "boolean", short: "a", default: false },
    force: { type: "boolean" },
  };
  const reference = (args: string[]) => {
    try {
      return parseArgs({ args, options, strict: true, allowPositionals: true });
    } catch {
      return "error";
    }
  };
  const ours = (args: string[]) => {
    try {
      return parseArguments(args, options);
    } catch (err) {
      assert.ok(err instanceof ArgumentError, String(err));
      assert.ok(!err.message.includes("\n"), err.message);
      return "error";
    }
  };
  const pool = [
    "in",
    "-",
    "--",
    "-o",
    "-oout",
    "--output",
    "--output=x",
    "--output=",
    "-o=x",
    "-r",
    "-ra",
    "-ar",
    "-ah",
    "-h",
    "--help",
    "--json",
    "--json=1",
    "-x",
    "-5",
    "--fast",
    "--fast=1",
    "--=x",
    "---x",
    "--home",
    "",
    "-a",
    "--armor",
    "--force",
    "--__proto__",
    "--constructor",
    "-aro",
  ];
  const cases: string[][] = [[], ...pool.map((a) => [a]), ...pool.map((a) => [a, "v"])];
  for (const a of pool) for (const b of pool) cases.push([a, b, "in"]);
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % pool.length;
  for (let i = 0; i < 2000; i++) {
    cases.push(Array.from({ length: 1 + (i % 6) }, () => pool[next()]));
  }
  let errors = 0;
  for (const args of cases) {
    const expected = reference(args);
    if (expected === "error") errors++;
    assert.deepEqual(ours(args), expected, JSON.stringify(args));
  }
  assert.ok(errors > 100 && errors < cases.length - 100, "both outcomes are exercised");
});

Deno.test("parseCommandArgs() refuses a value for a boolean option, on one line", () => {
  assert.throws(
    () => parseCommandArgs(["--json=1"], {}),
    (err) =>
      isMeteorError(err, "E_USAGE") &&
      err.message === "Cannot parse arguments: Option '--json' does not take an argument",
  );
});
