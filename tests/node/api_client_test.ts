import assert from "node:assert/strict";
import { ApiClient } from "../../cli/_api.ts";
import { freePorts } from "../_cli.ts";

Deno.test("ApiClient.running() is false when nothing listens on the loopback port", async () => {
  const [port] = freePorts(1);
  for (const host of ["127.0.0.1", "localhost"]) {
    assert.equal(await new ApiClient(`http://${host}:${port}`, "token").running(), false, host);
  }
});

Deno.test("ApiClient.running() is true when a daemon answers /v1/health with the token", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${new URL(req.url).pathname} ${req.headers.get("authorization")}`);
    return new Response("{}", {
      status: req.headers.get("authorization") === "Bearer t" ? 200 : 401,
    });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    assert.equal(await new ApiClient(url, "t").running(), true);
    assert.equal(await new ApiClient(url, "wrong").running(), false, "a listener that refuses");
    assert.deepEqual(seen, ["/v1/health Bearer t", "/v1/health Bearer wrong"]);
  } finally {
    await server.shutdown();
  }
});
