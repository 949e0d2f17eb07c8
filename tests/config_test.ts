import assert from "node:assert/strict";
import { defaultConfig, parseConfig } from "../core/config.ts";
import { type ErrorCode, isMeteorError } from "../core/errors.ts";

Deno.test("parseConfig() round-trips the default config", () => {
  const config = defaultConfig({ api: 7701, p2pTcp: 7702, p2pWs: 7703 });
  assert.deepEqual(parseConfig(JSON.stringify(config)), config);
});

Deno.test("parseConfig() fills missing sections with defaults on port 0", () => {
  const config = parseConfig("{}");
  assert.equal(config.api.host, "127.0.0.1");
  assert.equal(config.api.port, 0);
  assert.equal(config.cipher.path, "auto");
});

Deno.test("parseConfig() rejects bad input with E_BAD_CONFIG or E_TOO_LARGE", () => {
  const cases: [string, ErrorCode][] = [
    ["not json", "E_BAD_CONFIG"],
    ["[]", "E_BAD_CONFIG"],
    ['{"apii": {}}', "E_BAD_CONFIG"],
    ['{"api": {"port": 70000}}', "E_BAD_CONFIG"],
    ['{"api": {"port": "80"}}', "E_BAD_CONFIG"],
    ['{"p2p": {"listen": [1]}}', "E_BAD_CONFIG"],
    ['{"cipher": {"path": "tpu"}}', "E_BAD_CONFIG"],
    ['{"version": 2}', "E_BAD_CONFIG"],
    [" ".repeat(70 * 1024), "E_TOO_LARGE"],
  ];
  for (const [text, code] of cases) {
    assert.throws(() => parseConfig(text), (err) => isMeteorError(err, code), text);
  }
});
