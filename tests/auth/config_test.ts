/** validateAuthConfig() defaults and refusals; the public mount's document and page headers. */
import assert from "node:assert/strict";
import { validateAuthConfig } from "../../plugins/auth/config.ts";
import { withTempDir } from "../_temp.ts";
import { startAuthDaemon } from "./_auth.ts";

Deno.test("validateAuthConfig() fills the defaults and keeps a given origin", () => {
  const c = validateAuthConfig({ listen: "127.0.0.1:8443" });
  assert.equal(c.origin, "http://127.0.0.1:8443");
  assert.equal(c.sessionTtlSeconds, 43_200);
  assert.equal(c.rateLimit.failuresPerIdentity, 10);
  const d = validateAuthConfig({
    listen: "[::1]:0",
    origin: "https://login.example",
    rateLimit: { windowSeconds: 5 },
  });
  assert.deepEqual([d.origin, d.rateLimit.windowSeconds, d.rateLimit.challengesPerAddress], [
    "https://login.example",
    5,
    120,
  ]);
});

Deno.test("validateAuthConfig() refuses what is wrong, naming the key", () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /pluginConfig\.auth"/],
    [{}, /pluginConfig\.auth\.listen"/],
    [{ listen: "8443" }, /\.listen"/],
    [{ listen: "127.0.0.1:0" }, /\.origin" must be set/],
    [{ listen: "127.0.0.1:1", origin: "https://a.example/path" }, /\.origin"/],
    [{ listen: "127.0.0.1:1", origin: "ftp://a.example" }, /\.origin"/],
    [{ listen: "127.0.0.1:1", extra: 1 }, /\.extra" must be absent/],
    [{ listen: "127.0.0.1:1", rateLimit: { nope: 1 } }, /\.rateLimit\.nope"/],
    [{ listen: "127.0.0.1:1", rateLimit: { windowSeconds: 0 } }, /\.rateLimit\.windowSeconds"/],
    [{ listen: "127.0.0.1:1", sessionTtlSeconds: 1.5 }, /\.sessionTtlSeconds"/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => validateAuthConfig(raw),
      { code: "E_BAD_CONFIG", message },
      JSON.stringify(raw),
    );
  }
});

Deno.test("the auth mount documents its routes under /auth/v1 and serves the page with a strict CSP", () =>
  withTempDir(async (root) => {
    const server = await startAuthDaemon(`${root}/server`);
    try {
      const doc = await (await fetch(`${server.origin}/auth/v1/openapi.json`)).json();
      for (
        const path of [
          "/auth/v1",
          "/auth/v1/register",
          "/auth/v1/login",
          "/auth/v1/requests/{id}/events",
        ]
      ) {
        assert.ok(doc.paths[path], path);
      }
      const page = await fetch(`${server.origin}/auth/v1`);
      assert.match(page.headers.get("content-type")!, /^text\/html/);
      assert.match(
        page.headers.get("content-security-policy")!,
        /^default-src 'none'; script-src 'nonce-[0-9a-f]{32}'/,
      );
      assert.equal(page.headers.get("x-frame-options"), "DENY");
      assert.match(await page.text(), /<title>Meteor login<\/title>/);
      const unknown = await fetch(`${server.origin}/auth/v1/nope`);
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    } finally {
      await server.stop();
    }
  }, "meteor-auth-config-"));
