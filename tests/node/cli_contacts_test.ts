import assert from "node:assert/strict";
import { ApiClient, apiClientFor } from "../../cli/_api.ts";
import {
  contactsAddCommand,
  contactsListCommand,
  contactsRemoveCommand,
} from "../../cli/contacts.ts";
import { startDaemon } from "../../cli/daemon.ts";
import { fromBase64 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  deriveKeys,
  DOCUMENT_TEXT_PREFIX,
  formatDocument,
  formatMeteorId,
} from "../../core/identity/mod.ts";
import { captured, initTestHome, meteor, meteorProcess, withTempHome } from "../_cli.ts";
import { memoryLogger } from "./_helpers.ts";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

Deno.test("ApiClient.request() maps API answers and failures to MeteorErrors", async () => {
  const cases: [() => Promise<Response>, string][] = [
    [
      () =>
        Promise.resolve(
          json({ error: { code: "E_NOT_FOUND", message: "Cannot find contact" } }, 404),
        ),
      "E_NOT_FOUND",
    ],
    [
      () => Promise.resolve(json({ error: { code: "E_UNAUTHORIZED", message: "no" } }, 401)),
      "E_UNAUTHORIZED",
    ],
    [
      () => Promise.resolve(json({ error: { code: "E_MADE_UP", message: "x" } }, 400)),
      "E_INTERNAL",
    ],
    [() => Promise.resolve(json({ nothing: true }, 500)), "E_INTERNAL"],
    [() => Promise.resolve(new Response("<html>", { status: 502 })), "E_MALFORMED"],
    [() => Promise.reject(new TypeError("connection refused")), "E_UNREACHABLE"],
  ];
  for (const [answer, code] of cases) {
    const client = new ApiClient("http://127.0.0.1:1/", "mtk_token", { fetch: answer });
    await assert.rejects(
      client.request("GET", "/v1/x"),
      (err) => isMeteorError(err, code as "E_INTERNAL"),
    );
  }
  const slow = new ApiClient("http://127.0.0.1:1", "t", {
    timeoutMs: 10,
    fetch: (_url, init) =>
      new Promise((_, reject) =>
        init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason))
      ),
  });
  await assert.rejects(slow.request("GET", "/v1/x"), (err) => isMeteorError(err, "E_TIMEOUT"));

  const seen: [string, RequestInit | undefined][] = [];
  const ok = new ApiClient("http://127.0.0.1:1/", "mtk_token", {
    fetch: (url, init) => {
      seen.push([String(url), init]);
      return Promise.resolve(
        seen.length === 1 ? json({ a: 1 }) : new Response(null, { status: 204 }),
      );
    },
  });
  assert.deepEqual(await ok.request("POST", "/v1/contacts", { name: "x" }), { a: 1 });
  assert.equal(await ok.request("DELETE", "/v1/contacts/x"), undefined);
  assert.equal(seen[0][0], "http://127.0.0.1:1/v1/contacts");
  assert.deepEqual(seen[0][1]?.headers, {
    authorization: "Bearer mtk_token",
    "content-type": "application/json",
  });
  assert.equal(seen[0][1]?.body, '{"name":"x"}');
  assert.equal(
    await new ApiClient("http://127.0.0.1:1", "t", { fetch: () => Promise.reject(new TypeError()) })
      .running(),
    false,
  );
  // The liveness probe presents the token too: the API refuses every request without it.
  const probe = new ApiClient("http://127.0.0.1:1", "mtk_token", {
    fetch: (_url, init) => {
      const token = new Headers(init?.headers).get("authorization") === "Bearer mtk_token";
      return Promise.resolve(new Response(null, { status: token ? 200 : 401 }));
    },
  });
  assert.equal(await probe.running(), true);
});

Deno.test("apiClientFor() reads the port and token from the home, or says what is missing", () =>
  withTempHome(async (home) => {
    await initTestHome(home, 3);
    const empty = await Deno.makeTempDir();
    try {
      await assert.rejects(apiClientFor(empty), (err) => isMeteorError(err, "E_NOT_INITIALIZED"));
      const config = JSON.parse(await Deno.readTextFile(homePaths(home).config));
      const client = await apiClientFor(home);
      assert.equal(client.url, `http://127.0.0.1:${config.api.port}`);
      assert.equal(await client.running(), false);
      await assert.rejects(
        client.request("GET", "/v1/id"),
        (err) => isMeteorError(err, "E_UNREACHABLE"),
      );
      await Deno.writeTextFile(homePaths(home).config, JSON.stringify({ api: { port: 0 } }));
      await assert.rejects(apiClientFor(home), (err) => isMeteorError(err, "E_BAD_CONFIG"));
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  }));

Deno.test("meteor contacts works on the store without a daemon and through the API with one", () =>
  withTempHome(async (home) => {
    await initTestHome(home, 3);
    const alice = await deriveKeys(new Uint8Array(32).fill(1));
    const bob = await deriveKeys(new Uint8Array(32).fill(2));
    const aliceId = formatMeteorId(alice.meteorId);
    const bobDoc = formatDocument(await createDocument(bob));
    const add = (...args: string[]) =>
      captured(() => contactsAddCommand.run(["--home", home, "--json", ...args]));
    const list = async () =>
      JSON.parse((await captured(() => contactsListCommand.run(["--home", home, "--json"])))[0])
        .contacts;

    const added = JSON.parse((await add("alice", aliceId))[0]);
    assert.equal(added.via, "store");
    assert.deepEqual({ ...added.contact, addedAt: 0 }, {
      name: "alice",
      meteorId: aliceId,
      hasDocument: false,
      addedAt: 0,
    });
    const docFile = `${home}/bob.json`;
    await Deno.writeTextFile(
      docFile,
      JSON.stringify({ meteorId: formatMeteorId(bob.meteorId), document: bobDoc }),
    );
    assert.equal(JSON.parse((await add("bob", docFile))[0]).contact.hasDocument, true);
    assert.deepEqual((await list()).map((c: { name: string }) => c.name), ["alice", "bob"]);
    // The all-upper-case form a QR code carries (docs/identity.md §3).
    const carolId = formatMeteorId(new Uint8Array(32).fill(7));
    const upper = JSON.parse((await add("up", carolId.toUpperCase()))[0]);
    assert.equal(upper.contact.meteorId, carolId);
    await captured(() => contactsRemoveCommand.run(["--home", home, "up"]));

    const failures: [string[], string][] = [
      [["alice", aliceId], "E_EXISTS"],
      [["carol", "meteor1qqqq"], "E_BAD_ID"],
      [["carol", `${home}/no-such-file`], "E_BAD_ID"],
      [["carol"], "E_USAGE"],
      [["bad\nname", formatMeteorId(new Uint8Array(32))], "E_MALFORMED"],
    ];
    for (const [args, code] of failures) {
      await assert.rejects(
        add(...args),
        (err) => isMeteorError(err, code as "E_USAGE"),
        args.join(" "),
      );
    }
    await captured(() => contactsRemoveCommand.run(["--home", home, "bob"]));
    await assert.rejects(
      contactsRemoveCommand.run(["--home", home, "bob"]),
      (err) => isMeteorError(err, "E_NOT_FOUND"),
    );

    const { logger } = memoryLogger();
    const daemon = await startDaemon({ home, logger });
    try {
      const events: string[] = [];
      daemon.node.events.onAny((e) => events.push(e.name));
      const viaDaemon = JSON.parse((await add("bob", bobDoc))[0]);
      assert.equal(viaDaemon.via, "daemon");
      assert.deepEqual(events, ["contact:add"]);
      assert.deepEqual((await list()).map((c: { name: string }) => c.name), ["alice", "bob"]);
      await assert.rejects(add("bob", bobDoc), (err) => isMeteorError(err, "E_EXISTS"));
      const lines = await captured(() => contactsListCommand.run(["--home", home]));
      assert.match(lines.join("\n"), new RegExp(`alice +${aliceId} +not yet`));
    } finally {
      await daemon.stop();
    }
  }));

Deno.test("meteor contacts add reads what meteor id and meteor id --json print, and a binary document", () =>
  withTempHome(async (home) => {
    await initTestHome(home, 3);
    const bob = `${home}/bob`;
    await initTestHome(bob, 4);
    const text = await meteor("id", "--home", bob);
    const json = await meteor("id", "--home", bob, "--json");
    assert.deepEqual([text.code, json.code], [0, 0]);
    const { meteorId, document } = JSON.parse(json.stdout);
    const files: [string, string | Uint8Array][] = [
      ["id.txt", text.stdout + "\n"], // meteor id > id.txt
      ["id.json", json.stdout + "\n"], // meteor id --json > id.json
      ["doc.bin", fromBase64(document.slice(DOCUMENT_TEXT_PREFIX.length))],
    ];
    for (const [name, contents] of files) {
      const path = `${home}/${name}`;
      if (typeof contents === "string") await Deno.writeTextFile(path, contents);
      else await Deno.writeFile(path, contents);
      const added = await captured(() =>
        contactsAddCommand.run(["--home", home, "--json", "bob", path])
      );
      assert.deepEqual(JSON.parse(added[0]).contact.meteorId, meteorId, name);
      assert.equal(JSON.parse(added[0]).contact.hasDocument, true, name);
      await captured(() => contactsRemoveCommand.run(["--home", home, "bob"]));
    }
    // "-": the same from stdin (ssh bob meteor id | meteor contacts add bob -).
    const piped = await meteorProcess(["contacts", "add", "--home", home, "bob", "-"], text.stdout);
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(new TextDecoder().decode(piped.stdout), /Identity document verified/);
  }));

Deno.test("meteor contacts add refuses the node's own ID without a daemon too", () =>
  withTempHome(async (home) => {
    await initTestHome(home, 3);
    const own = formatMeteorId((await deriveKeys(new Uint8Array(32).fill(3))).meteorId);
    await assert.rejects(
      contactsAddCommand.run(["--home", home, "me", own]),
      (err) => isMeteorError(err, "E_BAD_ID") && err.message.includes("own MeteorID"),
    );
    const list = await captured(() => contactsListCommand.run(["--home", home, "--json"]));
    assert.deepEqual(JSON.parse(list[0]).contacts, []);
  }));
