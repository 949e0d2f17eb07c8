import assert from "node:assert/strict";
import { homePaths } from "../../core/home.ts";
import { initTestHome, meteor, withTempHome } from "../_cli.ts";

const ADDR = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWMEsAThxVz27KhcaMeMGJuk1jhKBumswEzAErz77oUtrA";

Deno.test("meteor bootstrap ADDR adds it to config.json once; with no daemon it only adds", async () => {
  await withTempHome(async (home) => {
    await initTestHome(home, 3, { pluginConfig: { dht: { resolveTimeoutMs: 1000 } } });
    const first = await meteor("bootstrap", "--home", home, "--json", ADDR);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { address: ADDR, added: true, dialed: false });
    const again = await meteor("bootstrap", "--home", home, "--json", ADDR);
    assert.equal(JSON.parse(again.stdout).added, false);
    const config = JSON.parse(await Deno.readTextFile(homePaths(home).config));
    assert.deepEqual(config.p2p.bootstrap, [ADDR]);
    assert.deepEqual(config.pluginConfig, { dht: { resolveTimeoutMs: 1000 } });
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(homePaths(home).config)).mode! & 0o777, 0o600);
    }
    const bad = await meteor("bootstrap", "--home", home, "127.0.0.1:4001");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /E_USAGE/);
  });
});

Deno.test("meteor resolve: E_BAD_ID before asking, E_UNREACHABLE with no daemon, E_USAGE", async () => {
  await withTempHome(async (home) => {
    await initTestHome(home, 4);
    const badId = await meteor("resolve", "--home", home, "meteor1x");
    assert.equal(badId.code, 1);
    assert.match(badId.stderr, /E_BAD_ID/);
    const id = "meteor1ccs5dcgvvw2q2m7xn4uswjphyklr08wnm5aae0wgut7uhw6nvdhqclg3a5";
    const run = await meteor("resolve", "--home", home, id);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /E_UNREACHABLE/);
    const usage = await meteor("resolve", "--home", home);
    assert.equal(usage.code, 2);
  });
});
