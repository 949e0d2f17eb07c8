/**
 * Adversarial input for core/config.ts parseConfig: random JSON of every
 * shape (often close to a real config), random text, deep nesting, huge
 * input and prototype keys. The result is a well-typed NodeConfig or
 * E_BAD_CONFIG / E_TOO_LARGE, never another exception.
 */
import assert from "node:assert/strict";
import {
  defaultConfig,
  MAX_CONFIG_BYTES,
  type NodeConfig,
  parseConfig,
} from "../../core/config.ts";
import type { ErrorCode } from "../../core/errors.ts";
import { assertCode, expectCode, outcome, seedNote } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const CODES: ErrorCode[] = ["E_BAD_CONFIG", "E_TOO_LARGE"];
const KEYS = [
  "version",
  "api",
  "host",
  "port",
  "p2p",
  "listen",
  "bootstrap",
  "plugins",
  "customPlugins",
  "pluginConfig",
  "cipher",
  "path",
  "__proto__",
  "constructor",
  "",
];

/** A random JSON value whose objects mostly use config keys. */
function randomValue(prng: Prng, depth: number): unknown {
  switch (prng.int(depth > 0 ? 8 : 6)) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick([0, 1, 2, -1, 0.5, 65535, 65536, 7701, 1e21, -0]);
    case 3:
      return prng.pick(["", "auto", "cpu", "gpu", "127.0.0.1", "/ip4/0.0.0.0/tcp/0", "p2p"]);
    case 4:
      return prng.string(prng.range(0, 12), 'abc\u0000\u001b"\\é\ud800');
    case 5:
      return prng.pick([[], ["p2p"], ["a", "b"]]);
    case 6:
      return Array.from({ length: prng.range(0, 4) }, () => randomValue(prng, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = prng.range(0, 5); i > 0; i--) {
        Object.defineProperty(out, prng.pick(KEYS), {
          value: randomValue(prng, depth - 1),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return out;
    }
  }
}

/** Asserts that an accepted config has the documented types and ranges. */
function assertWellTyped(config: NodeConfig, what: string): void {
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  assert.equal(config.version, 1, what);
  assert.ok(typeof config.api.host === "string" && config.api.host !== "", what);
  assert.ok(
    Number.isInteger(config.api.port) && config.api.port >= 0 && config.api.port <= 65535,
    what,
  );
  assert.ok(strings(config.p2p.listen) && strings(config.p2p.bootstrap), what);
  assert.ok(strings(config.plugins) && strings(config.customPlugins), what);
  assert.ok(typeof config.pluginConfig === "object" && config.pluginConfig !== null, what);
  assert.ok(!Array.isArray(config.pluginConfig), what);
  assert.ok(["auto", "cpu", "gpu"].includes(config.cipher.path), what);
}

Deno.test("parseConfig() returns a well-typed config or E_BAD_CONFIG for random JSON", async () => {
  const prng = new Prng("config json");
  const inputs: string[] = [];
  for (let i = 0; i < 1500; i++) inputs.push(JSON.stringify(randomValue(prng, 4)));
  // Near misses: one value of a valid config replaced.
  const base = defaultConfig({ api: 7701, p2pTcp: 7702, p2pWs: 7703 });
  for (let i = 0; i < 500; i++) {
    const config = structuredClone(base) as unknown as Record<string, Record<string, unknown>>;
    const section = prng.pick(Object.keys(config));
    const value = randomValue(prng, 2);
    if (
      typeof config[section] === "object" && !Array.isArray(config[section]) && prng.chance(0.6)
    ) {
      config[section][prng.pick(KEYS)] = value;
    } else (config as Record<string, unknown>)[section] = value;
    inputs.push(JSON.stringify(config));
  }
  for (const [i, text] of inputs.entries()) {
    const what = `config ${i} ${text.slice(0, 160)} ${seedNote(prng.seed)}`;
    const result = await outcome(() => parseConfig(text), what);
    if (result.ok) assertWellTyped(result.value, what);
    else assertCode(result.error, CODES, what);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("parseConfig() refuses random text, deep nesting and huge input", async () => {
  const prng = new Prng("config text");
  const depth = Math.floor((MAX_CONFIG_BYTES - 40) / 2);
  const cases: [string, string, ErrorCode[]][] = [
    ["empty", "", ["E_BAD_CONFIG"]],
    ["BOM", "\ufeff{}", ["E_BAD_CONFIG"]],
    ["nested arrays", "[".repeat(depth) + "]".repeat(depth), ["E_BAD_CONFIG"]],
    ["nested objects", '{"a":'.repeat(depth / 3) + "1" + "}".repeat(depth / 3), ["E_BAD_CONFIG"]],
    ["unclosed nesting", "[".repeat(MAX_CONFIG_BYTES), ["E_BAD_CONFIG"]],
    ["one over the bound", " ".repeat(MAX_CONFIG_BYTES - 1) + "{}", ["E_TOO_LARGE"]],
    ["16 MiB", "[" + "0,".repeat(8 << 20) + "0]", ["E_TOO_LARGE"]],
    ["duplicate keys", '{"version":1,"version":2}', ["E_BAD_CONFIG"]],
    ["__proto__ key", '{"__proto__":{"version":1}}', ["E_BAD_CONFIG"]],
    ["nested __proto__", '{"api":{"__proto__":{"port":1}}}', ["E_BAD_CONFIG"]],
    ["port as float", '{"api":{"port":80.5}}', ["E_BAD_CONFIG"]],
    ["port as 1e3", '{"api":{"port":1e3}}', []],
    ["huge number", '{"api":{"port":1e400}}', ["E_BAD_CONFIG"]],
    ["lone surrogate", '{"plugins":["\\ud800"]}', []],
  ];
  for (let i = 0; i < 300; i++) {
    cases.push([
      `random ${i} ${seedNote(prng.seed)}`,
      new TextDecoder().decode(prng.bytes(prng.range(0, 300))),
      ["E_BAD_CONFIG"],
    ]);
  }
  for (const [name, text, codes] of cases) {
    if (codes.length === 0) {
      assertWellTyped(parseConfig(text), name);
      continue;
    }
    await expectCode(() => parseConfig(text), codes, name);
  }
  // Deep nesting inside pluginConfig is each plugin's to validate; it must not throw here.
  const deep = '{"pluginConfig":{"x":' + "[".repeat(depth - 20) + "]".repeat(depth - 20) + "}}";
  const result = await outcome(
    () => parseConfig(deep.slice(0, MAX_CONFIG_BYTES)),
    "deep pluginConfig",
  );
  if (!result.ok) assertCode(result.error, CODES, "deep pluginConfig");
  assert.equal(({} as Record<string, unknown>).port, undefined, "prototype polluted");
});
