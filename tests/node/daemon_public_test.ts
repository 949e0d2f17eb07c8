/**
 * startDaemon() with a plugin that has a public mount: the daemon reports
 * the listener, serves it without the token beside the local API, and
 * closes it on stop.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { startDaemon } from "../../cli/daemon.ts";
import { homePaths } from "../../core/home.ts";
import type { Plugin } from "../../core/plugin.ts";
import { readJsonBody } from "../../server.ts";
import { fakePlugin, memoryLogger } from "./_helpers.ts";

/** A plugin "greet" with POST /v1/greet/hello on its own listener. */
function greet(): Plugin {
  const app = new Hono();
  app.post("/hello", async (c) => c.json({ hello: (await readJsonBody(c)).name }));
  return {
    ...fakePlugin("greet"),
    start: () =>
      Promise.resolve({
        routes: {
          policy: "public",
          listen: "127.0.0.1:0",
          app,
          openapi: { "/hello": { post: { responses: {} } } },
        },
        stop: () => Promise.resolve(),
      }),
  };
}

Deno.test("startDaemon() serves and reports a plugin's public listener, and closes it on stop", async () => {
  const root = await Deno.makeTempDir({ prefix: "meteor-daemon-public-" });
  const home = `${root}/home`;
  try {
    await Deno.mkdir(home, { mode: 0o700 });
    await Deno.writeTextFile(
      homePaths(home).config,
      JSON.stringify({ api: { host: "127.0.0.1", port: 0 }, plugins: [] }),
    );
    const daemon = await startDaemon({ home, logger: memoryLogger().logger, plugins: [greet()] });
    let url = "";
    try {
      assert.equal(daemon.publicListeners.length, 1);
      ({ url } = daemon.publicListeners[0]);
      assert.equal(daemon.publicListeners[0].plugin, "greet");
      assert.match(url, /^http:\/\/127\.0\.0\.1:[0-9]+\/v1\/greet$/);
      assert.notEqual(new URL(url).origin, daemon.url);
      const hello = await fetch(`${url}/hello`, { method: "POST", body: '{"name":"ann"}' });
      assert.deepEqual(await hello.json(), { hello: "ann" });
      const local = await fetch(`${daemon.url}/v1/greet/hello`, {
        method: "POST",
        headers: { authorization: `Bearer ${daemon.node.token}` },
        body: "{}",
      });
      assert.deepEqual([local.status, (await local.json()).error.code], [404, "E_NOT_FOUND"]);
    } finally {
      await daemon.stop();
    }
    await assert.rejects(fetch(`${url}/hello`, { method: "POST", body: "{}" }), TypeError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
