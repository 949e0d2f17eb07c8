import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { silentLogger } from "../../core/logger.ts";
import { apiClientFor } from "../../cli/_api.ts";
import { type RunningDaemon, startDaemon } from "../../cli/daemon.ts";
import { idCommand } from "../../cli/id.ts";
import { inboxCommand } from "../../cli/inbox.ts";
import { sendCommand } from "../../cli/send.ts";
import { freePorts, meteorProcess, printedOk } from "../_cli.ts";
import { waitFor } from "./_daemon.ts";

/**
 * A home whose config keeps everything on 127.0.0.1, then its daemon; with
 * `anyPort` it listens on ports chosen at start, which only the daemon knows.
 */
async function daemon(anyPort = false): Promise<RunningDaemon> {
  const home = await Deno.makeTempDir({ prefix: "meteor-cli-" });
  const [api, tcp, ws] = anyPort ? [freePorts(1)[0], 0, 0] : freePorts(3);
  const config = {
    version: 1,
    api: { host: "127.0.0.1", port: api },
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`, `/ip4/127.0.0.1/tcp/${ws}/ws`], bootstrap: [] },
    plugins: ["p2p"],
    pluginConfig: { p2p: { retryMs: 250 } },
  };
  await Deno.writeTextFile(`${home}/config.json`, JSON.stringify(config));
  return await startDaemon({ home, logger: silentLogger() });
}

Deno.test({
  name: "meteor send and meteor inbox deliver and list a message between two real daemons",
  fn: async () => {
    const alice = await daemon();
    const bob = await daemon();
    try {
      const clientA = await apiClientFor(alice.home);
      const clientB = await apiClientFor(bob.home);
      const idB = await clientB.request<{ document: string }>("GET", "/v1/id");
      const idA = await clientA.request<{ meteorId: string }>("GET", "/v1/id");
      await clientA.request("POST", "/v1/contacts", { name: "bob", id: idB.document });
      await clientB.request("POST", "/v1/contacts", { name: "alice", id: idA.meteorId });

      const sent = JSON.parse(
        await printedOk(() =>
          sendCommand.run(["--home", alice.home, "--wait", "--json", "bob", "hello", "bob"])
        ),
      );
      assert.equal(sent.status, "delivered");
      assert.equal(typeof sent.deliveredAt, "number");

      const listed = JSON.parse(
        await printedOk(() => inboxCommand.run(["--home", bob.home, "--json"])),
      );
      assert.equal(listed.messages.length, 1);
      assert.equal(listed.messages[0].text, "hello bob");
      assert.equal(listed.messages[0].contact, "alice");
      assert.equal(listed.messages[0].id, sent.id);

      const text = await printedOk(() => inboxCommand.run(["--home", bob.home, "--from", "alice"]));
      assert.match(text, /alice: hello bob$/);

      // A sender cannot forge inbox lines or drive the terminal; --json keeps the exact text.
      const forged = "fake\n2026-01-01T00:00:00Z  bank: \x1b[31mpay now\r\t\x00\x7f\x9b\u202e!";
      await printedOk(() => sendCommand.run(["--home", alice.home, "--wait", "bob", forged]));
      const lines = (await printedOk(() => inboxCommand.run(["--home", bob.home]))).split("\n");
      assert.equal(lines.length, 2);
      assert.ok(
        lines[1].endsWith(
          "alice: fake\\n2026-01-01T00:00:00Z  bank: \\x1b[31mpay now\\r\\t\\x00\\x7f\\x9b\\u202e!",
        ),
        lines[1],
      );
      const exact = JSON.parse(
        await printedOk(() => inboxCommand.run(["--home", bob.home, "--json"])),
      );
      assert.equal(exact.messages[1].text, forged);
      const queued = await printedOk(() => sendCommand.run(["--home", bob.home, "alice", "hi"]));
      assert.match(queued, /^Queued message /);
    } finally {
      await alice.stop();
      await bob.stop();
      await Deno.remove(alice.home, { recursive: true });
      await Deno.remove(bob.home, { recursive: true });
    }
  },
});

Deno.test({
  name: "meteor id's document carries the daemon's addresses, so contacts added by ID get mail",
  fn: async () => {
    // Ports chosen at start: only the running daemon can say where it listens.
    const one = await daemon(true);
    const two = await daemon(true);
    const homes = [one.home, two.home];
    try {
      const id = async (home: string) =>
        JSON.parse(await printedOk(() => idCommand.run(["--home", home, "--json"])));
      const [idOne, idTwo] = [await id(one.home), await id(two.home)];
      assert.deepEqual(idOne.addresses, one.addresses());
      assert.ok(
        idOne.addresses.length === 2 && idOne.addresses[0].endsWith(`/p2p/${idOne.peerId}`),
      );
      const [clientOne, clientTwo] = [await apiClientFor(one.home), await apiClientFor(two.home)];
      // Both know each other by MeteorID only: "one" cannot reach "two" and says why.
      await clientOne.request("POST", "/v1/contacts", { name: "two", id: idTwo.meteorId });
      await clientTwo.request("POST", "/v1/contacts", { name: "one", id: idOne.meteorId });
      await assert.rejects(
        sendCommand.run(["--home", one.home, "--wait", "--timeout", "1", "two", "hi two"]),
        (err) =>
          isMeteorError(err, "E_TIMEOUT") &&
          err.message.includes(`no known address for "two" (${idTwo.meteorId})`) &&
          err.message.includes("(E_NO_ADDRESS)"),
      );
      // "two" learns where "one" is from its document; both messages then arrive.
      await clientTwo.request("DELETE", "/v1/contacts/one");
      await clientTwo.request("POST", "/v1/contacts", { name: "one", id: idOne.document });
      await printedOk(() => sendCommand.run(["--home", two.home, "--wait", "one", "hi one"]));
      const inbox = async (home: string) =>
        JSON.parse(await printedOk(() => inboxCommand.run(["--home", home, "--json"]))).messages;
      const got = await waitFor("hi two", async () => (await inbox(two.home))[0]);
      assert.deepEqual([got.text, got.contact], ["hi two", "one"]);
      assert.equal((await inbox(one.home))[0].text, "hi one");
    } finally {
      await one.stop();
      await two.stop();
      for (const home of homes) await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("meteor send and meteor inbox report usage errors and a stopped daemon", async () => {
  const cases: [() => Promise<number>, string][] = [
    [() => sendCommand.run(["alice"]), "E_USAGE"],
    [() => sendCommand.run(["alice", ""]), "E_USAGE"],
    [() => sendCommand.run(["--timeout", "0", "alice", "x"]), "E_USAGE"],
    [() => inboxCommand.run(["--limit", "ten"]), "E_USAGE"],
    [() => inboxCommand.run(["extra"]), "E_USAGE"],
  ];
  for (const [run, code] of cases) {
    await assert.rejects(run(), (err) => isMeteorError(err, code as "E_USAGE"));
  }
  const home = await Deno.makeTempDir({ prefix: "meteor-cli-" });
  try {
    await assert.rejects(
      inboxCommand.run(["--home", home]),
      (err) => isMeteorError(err, "E_NOT_INITIALIZED"),
    );
    const [api] = freePorts(1);
    await Deno.writeTextFile(`${home}/config.json`, JSON.stringify({ api: { port: api } }));
    await Deno.writeTextFile(`${home}/api-token`, "t".repeat(43));
    await Deno.chmod(`${home}/api-token`, 0o600);
    await assert.rejects(
      sendCommand.run(["--home", home, "alice", "x"]),
      (err) => isMeteorError(err, "E_UNREACHABLE"),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("meteor send refuses empty and non-UTF-8 stdin before asking the daemon", async () => {
  const home = await Deno.makeTempDir({ prefix: "meteor-cli-" });
  try {
    const cases: [Uint8Array | string, RegExp][] = [
      ["", /the message is empty \[E_USAGE\]/],
      ["\n", /the message is empty \[E_USAGE\]/],
      [new Uint8Array([0x68, 0x69, 0xff, 0xfe]), /input is not UTF-8 text \[E_MALFORMED\]/],
    ];
    for (const [stdin, expected] of cases) {
      const run = await meteorProcess(["send", "--home", `${home}/none`, "alice", "-"], stdin);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, expected);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
