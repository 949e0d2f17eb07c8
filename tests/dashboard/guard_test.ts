/**
 * The page's cookie session at the local API's gate (server/_guard.ts,
 * docs/api.md §Browser sessions), against a real daemon on loopback: the
 * page's files need nothing, every API call needs the token or a session,
 * a login code works once and not after its expiry, the session counts only
 * from the page (its header or a WebSocket with Origin) and never from
 * another origin or at another node.
 */
import assert from "node:assert/strict";
import { homePaths } from "../../core/home.ts";
import { ageRecipient as ageRecipientOf, formatMeteorId } from "../../core/identity/mod.ts";
import { readApiToken } from "../../core/api_token.ts";
import { LOGIN_CODE_MS, loginCode, PAGE_HEADER } from "../../server/_guard.ts";
import { meteor } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";
import { sessionCookie, startDashboardDaemon } from "./_dashboard.ts";

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

function login(url: string, code: string): Promise<Response> {
  return fetch(`${url}/v1/login`, { method: "POST", headers: { "x-meteor-login": code } });
}

Deno.test("dashboard guard: login codes, cookie sessions, origins", () =>
  withTempDir(async (root) => {
    const a = await startDashboardDaemon(`${root}/a`, 41);
    const b = await startDashboardDaemon(`${root}/b`, 42);
    try {
      const token = await readApiToken(homePaths(a.home).apiToken);
      const page = { [PAGE_HEADER]: "1" };

      // The page's files are served without credentials; the API is not.
      const html = await fetch(`${a.url}/v1/dashboard`);
      assert.equal(html.status, 200);
      assert.match(html.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      const text = await html.text();
      assert.ok(
        !text.includes(formatMeteorId(a.node.keys.meteorId)),
        "the page alone says nothing",
      );
      assert.ok(!text.includes(ageRecipientOf(a.node.keys.publicKeys)), "nor the age recipient");
      assert.equal(await status(`${a.url}/v1/dashboard/app.js`), 200);
      assert.equal(await status(`${a.url}/v1/id`), 401);
      assert.equal(await status(`${a.url}/v1/dashboard/identity`), 401);
      assert.equal(await status(`${a.url}/v1/id`, { headers: page }), 401);

      // A wrong, expired, or other node's code gets nothing.
      assert.equal((await login(a.url, "1.2.3")).status, 401);
      const expired = loginCode(token, Date.now() - LOGIN_CODE_MS - 1);
      assert.equal((await login(a.url, expired)).status, 401);
      const otherToken = await readApiToken(homePaths(b.home).apiToken);
      assert.equal((await login(a.url, loginCode(otherToken))).status, 401);

      // A good code works once and sets the session cookie.
      const code = loginCode(token);
      const first = await login(a.url, code);
      assert.equal(first.status, 204);
      const setCookie = first.headers.get("set-cookie") ?? "";
      assert.match(setCookie, new RegExp(`^meteor_session_${new URL(a.url).port}=`));
      for (const attribute of ["HttpOnly", "SameSite=Strict", "Path=/"]) {
        assert.ok(setCookie.includes(attribute), `${attribute} in ${setCookie}`);
      }
      assert.ok(!setCookie.includes(token), "the cookie is not the token");
      assert.equal((await login(a.url, code)).status, 401, "a code works once");
      const cookie = sessionCookie(first);

      // The session counts from the page only, and only on this origin.
      assert.equal(await status(`${a.url}/v1/id`, { headers: { cookie, ...page } }), 200);
      assert.equal(await status(`${a.url}/v1/id`, { headers: { cookie } }), 401);
      const own = await fetch(`${a.url}/v1/dashboard/identity`, { headers: { cookie, ...page } });
      assert.equal(own.status, 200);
      const { ageRecipient, qrSvg } = await own.json();
      assert.ok(ageRecipient.startsWith("age1pq1"));
      assert.equal(ageRecipient, ageRecipientOf(a.node.keys.publicKeys));
      assert.match(qrSvg, /^<svg .*<path fill="#000" d="M/);
      assert.equal(
        await status(`${a.url}/v1/contacts`, {
          method: "POST",
          headers: {
            cookie,
            ...page,
            origin: "http://evil.example",
            "content-type": "application/json",
          },
          body: JSON.stringify({ name: "x", id: "meteor1x" }),
        }),
        403,
      );
      assert.equal(
        await status(`${a.url}/v1/id`, {
          headers: { cookie: "meteor_session_1=" + cookie.split("=")[1], ...page },
        }),
        401,
      );
      const bPort = new URL(b.url).port;
      const moved = `meteor_session_${bPort}=${cookie.split("=")[1]}`;
      assert.equal(await status(`${b.url}/v1/id`, { headers: { cookie: moved, ...page } }), 401);
      // `meteor open --print` prints a link whose code logs in, once.
      const printed = await meteor("open", "--home", a.home, "--print");
      assert.equal(printed.code, 0, printed.stderr);
      const link = new URL(printed.stdout.trim());
      assert.equal(`${link.origin}${link.pathname}`, `${a.url}/v1/dashboard`);
      const printedCode = link.hash.replace(/^#login=/, "");
      assert.equal((await login(a.url, printedCode)).status, 204);
      assert.equal((await login(a.url, printedCode)).status, 401);

      assert.equal(
        await status(`${a.url}/v1/id`, {
          headers: { cookie, ...page, authorization: "Bearer mtk_x" },
        }),
        401,
        "a wrong token is not rescued by a cookie",
      );
    } finally {
      await b.stop();
      await a.stop();
    }
  }));
