import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import {
  DEFAULT_CHECKS,
  defaultChecks,
  NATIVE_PRIMITIVES,
  selftest,
  type SelftestCheck,
  type SelftestPrimitives,
} from "../../core/selftest.ts";
import { selftestCommand } from "../../cli/selftest.ts";
import { captureLog, withTempHome } from "../_cli.ts";

const flipLastBit = (bytes: Uint8Array) => {
  const out = bytes.slice();
  out[out.length - 1] ^= 1;
  return out;
};

Deno.test("selftest() passes every default check on this machine", async () => {
  const report = await selftest();
  assert.equal(report.results.length, DEFAULT_CHECKS.length);
  assert.ok(DEFAULT_CHECKS.length >= 9);
  for (const r of report.results) {
    assert.equal(r.ok, true, `${r.name}: ${r.error}`);
    assert.ok(r.ms >= 0);
  }
  assert.equal(new Set(report.results.map((r) => r.name)).size, report.results.length);
  assert.equal(report.ok, true);
});

Deno.test("selftest() reports a broken primitive in its own check only", async () => {
  const p = NATIVE_PRIMITIVES;
  const cases: [string, Partial<SelftestPrimitives>, string][] = [
    ["seal flips a bit", { seal: (...a) => flipLastBit(p.seal(...a)) }, "ChaCha20-Poly1305"],
    [
      "open skips the tag",
      { open: (_k, _n, sealed) => sealed.slice(0, sealed.length - 16) },
      "ChaCha20-Poly1305",
    ],
    ["sha256 wrong", { sha256: (d) => flipLastBit(p.sha256(d)) }, "SHA-256"],
    ["sha3_256 wrong", { sha3_256: (d) => flipLastBit(p.sha3_256(d)) }, "SHA-256"],
    ["shake256 wrong", { shake256: (d, n) => flipLastBit(p.shake256(d, n)) }, "SHA-256"],
    ["hmac wrong", { hmacSha256: (k, d) => flipLastBit(p.hmacSha256(k, d)) }, "HMAC"],
    ["hkdf wrong", { hkdfSha256: (...a) => flipLastBit(p.hkdfSha256(...a)) }, "HMAC"],
    ["x25519 zero", { x25519: () => Promise.resolve(new Uint8Array(32)) }, "X25519"],
    [
      "ed25519 signature wrong",
      { ed25519Sign: async (s, m) => flipLastBit(await p.ed25519Sign(s, m)) },
      "Ed25519",
    ],
    ["ed25519 accepts all", { ed25519Verify: () => Promise.resolve(true) }, "Ed25519"],
    [
      "ml-kem public key wrong",
      { mlkem768PublicKey: async (s) => flipLastBit(await p.mlkem768PublicKey(s)) },
      "ML-KEM-768",
    ],
    ["ml-kem no modulus check", { isValidMlKem768PublicKey: () => true }, "ML-KEM-768"],
    [
      "ml-kem decapsulation wrong",
      { mlkem768Decapsulate: async (s, c) => flipLastBit(await p.mlkem768Decapsulate(s, c)) },
      "ML-KEM-768",
    ],
    ["ml-dsa accepts all", { mldsa65Verify: () => Promise.resolve(true) }, "ML-DSA-65"],
    [
      "ml-dsa signature wrong",
      { mldsa65Sign: async (s, m) => flipLastBit(await p.mldsa65Sign(s, m)) },
      "ML-DSA-65",
    ],
    [
      "x-wing decapsulation wrong",
      { xwingDecapsulate: async (s, c) => flipLastBit(await p.xwingDecapsulate(s, c)) },
      "X-Wing",
    ],
    [
      "x-wing encapsulation ignores eseed",
      { xwingEncapsulate: (pk) => p.xwingEncapsulate(pk) },
      "X-Wing",
    ],
    [
      "hpke open wrong",
      { hpkeOpen: async (...a) => flipLastBit(await p.hpkeOpen(...a)) },
      "HPKE",
    ],
  ];
  for (const [label, broken, expected] of cases) {
    const report = await selftest(defaultChecks(broken));
    const failed = report.results.filter((r) => !r.ok);
    assert.equal(report.ok, false, label);
    assert.equal(failed.length, 1, `${label}: ${failed.map((r) => r.name).join("; ")}`);
    assert.ok(failed[0].name.startsWith(expected), `${label}: ${failed[0].name}`);
    assert.ok(failed[0].error && failed[0].error.length > 0, label);
  }
});

Deno.test("selftest() runs every check after a failure, in order, appended ones included", async () => {
  const ran: string[] = [];
  const check = (name: string, fail?: unknown): SelftestCheck => ({
    name,
    run() {
      ran.push(name);
      return fail === undefined ? Promise.resolve() : Promise.reject(fail);
    },
  });
  const report = await selftest([check("a", new Error("boom")), check("b", "text"), check("c")]);
  assert.deepEqual(ran, ["a", "b", "c"]);
  assert.deepEqual(report.results.map((r) => [r.name, r.ok, r.error]), [
    ["a", false, "boom"],
    ["b", false, "text"],
    ["c", true, undefined],
  ]);
  assert.equal(report.ok, false);
  assert.equal((await selftest([])).ok, true);
  const gpu: SelftestCheck = { name: "gpu", run: () => Promise.resolve("skipped: no adapter") };
  const extended = await selftest([...DEFAULT_CHECKS, gpu]);
  assert.deepEqual(
    [extended.results.at(-1)?.name, extended.results.at(-1)?.detail],
    ["gpu", "skipped: no adapter"],
  );
  assert.equal(extended.ok, true);
});

Deno.test("meteor selftest --json prints one JSON report and exits 0", async () => {
  const { lines, result } = await captureLog(() => selftestCommand().run(["--json"]));
  assert.equal(result, 0);
  assert.equal(lines.length, 1);
  const report = JSON.parse(lines[0]);
  assert.equal(report.ok, true);
  assert.equal(report.results.length, DEFAULT_CHECKS.length);
});

Deno.test("meteor selftest reports a failing check and exits non-zero", async () => {
  const failing: SelftestCheck[] = [
    { name: "good", run: () => Promise.resolve("on llvmpipe") },
    { name: "bad", run: () => Promise.reject(new Error("wrong value")) },
  ];
  const json = await captureLog(() => selftestCommand(failing).run(["--json"]));
  assert.equal(json.result, 1);
  assert.equal(JSON.parse(json.lines[0]).ok, false);
  const text = await captureLog(() =>
    selftestCommand(failing).run([]).then(
      () => assert.fail("resolved"),
      (err) => err,
    )
  );
  assert.ok(isMeteorError(text.result, "E_SELFTEST"), String(text.result));
  assert.match(text.lines.join("\n"), /^FAIL\s+bad\s.*wrong value$/m);
  assert.match(text.lines.join("\n"), /^ok\s+good\s.*ms {2}on llvmpipe$/m);
});

Deno.test("meteor selftest refuses positional arguments and unknown flags", async () => {
  for (const args of [["extra"], ["--fast"]]) {
    await assert.rejects(selftestCommand([]).run(args), (e) => isMeteorError(e, "E_USAGE"));
  }
});

Deno.test("meteor selftest checks the cipher path of the home's config and names the config", () =>
  withTempHome(async (home) => {
    const config = `${home}/config.json`;
    const built: string[] = [];
    const command = selftestCommand([], (path) => {
      built.push(path);
      return [{ name: `path ${path}`, run: () => Promise.resolve(path) }];
    });
    const report = async (...args: string[]) => {
      const { lines, result } = await captureLog(() => command.run(["--json", ...args]));
      assert.equal(result, 0);
      return JSON.parse(lines[0]);
    };
    // No home folder, then a home without config: "auto".
    for (const makeHome of [false, true]) {
      if (makeHome) await Deno.mkdir(home);
      const none = await report("--home", home);
      assert.deepEqual([none.config, none.cipherPath], [null, "auto"]);
      assert.equal(none.results[0].name, "path auto");
    }
    for (const path of ["gpu", "cpu", "auto"]) {
      await Deno.writeTextFile(config, JSON.stringify({ cipher: { path } }));
      const got = await report("--home", home);
      assert.deepEqual([got.config, got.cipherPath, got.results[0].name], [
        config,
        path,
        `path ${path}`,
      ]);
      const text = await captureLog(() => command.run(["--home", home]));
      assert.equal(text.lines[0], `config: ${config} (cipher.path ${path})`);
    }
    assert.deepEqual(built, ["auto", "auto", "gpu", "gpu", "cpu", "cpu", "auto", "auto"]);
    await Deno.writeTextFile(config, JSON.stringify({ cipher: { path: "fast" } }));
    await assert.rejects(
      command.run(["--home", home]),
      (err) => isMeteorError(err, "E_BAD_CONFIG"),
    );
  }));
