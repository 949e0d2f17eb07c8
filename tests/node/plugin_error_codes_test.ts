/**
 * A plugin's own error codes through the API: the server answers them with
 * the status they were registered with, and the CLI's client rebuilds a
 * MeteorError with that code (an unregistered code stays E_INTERNAL).
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { ApiClient } from "../../cli/_api.ts";
import {
  type ErrorCode,
  isMeteorError,
  MeteorError,
  registerErrorCodes,
  unregisterErrorCodes,
} from "../../core/errors.ts";
import type { Plugin } from "../../core/plugin.ts";
import { createApp, statusOf } from "../../server.ts";
import { BASE, fakePlugin, startTestNode, TEST_TOKEN } from "./_helpers.ts";

declare module "../../core/errors.ts" {
  interface ErrorCodeMap {
    /** The test plugin's registered code. */
    E_CODES_TEST_GONE: true;
  }
}

/** A plugin whose GET /v1/codes/fail?code=... throws a MeteorError with that code. */
function failing(): Plugin {
  const app = new Hono();
  app.get("/fail", (c) => {
    throw new MeteorError(c.req.query("code") as ErrorCode, "Cannot serve: test failure");
  });
  return {
    ...fakePlugin("codes"),
    start: () =>
      Promise.resolve({
        routes: { app, openapi: { "/fail": { get: { responses: {} } } } },
        stop: () => Promise.resolve(),
      }),
  };
}

Deno.test("a plugin's registered error code keeps its status on the API and its code in the CLI client", async () => {
  registerErrorCodes("codes", { E_CODES_TEST_GONE: { status: 410, description: "Gone" } });
  const node = await startTestNode([failing()]);
  try {
    assert.equal(statusOf("E_CODES_TEST_GONE"), 410);
    assert.equal(statusOf("E_NOT_FOUND"), 404, "core codes keep theirs");
    const app = createApp(node);
    const client = new ApiClient(BASE, TEST_TOKEN, {
      fetch: (input, init) => Promise.resolve(app.request(input as string, init)),
    });
    const cases: [string, number, string][] = [
      ["E_CODES_TEST_GONE", 410, "E_CODES_TEST_GONE"],
      ["E_NOT_FOUND", 404, "E_NOT_FOUND"],
      ["E_CODES_TEST_UNREGISTERED", 500, "E_INTERNAL"],
    ];
    for (const [thrown, status, seen] of cases) {
      const res = await app.request(`${BASE}/v1/codes/fail?code=${thrown}`, {
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
      });
      assert.equal(res.status, status, thrown);
      assert.equal((await res.json()).error.code, thrown);
      await assert.rejects(client.request("GET", `/v1/codes/fail?code=${thrown}`), (err) => {
        assert.ok(isMeteorError(err), thrown);
        assert.equal(err.code, seen, thrown);
        assert.equal(err.message, "Cannot serve: test failure");
        return true;
      });
    }
  } finally {
    await node.stop();
    unregisterErrorCodes("codes");
  }
  assert.equal(statusOf("E_CODES_TEST_GONE"), 500, "unregistered again");
});
