import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { isMeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { BusEvent } from "../../core/events.ts";
import { startDaemon } from "../../cli/daemon.ts";
import { EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../../server.ts";
import { memoryLogger } from "./_helpers.ts";

const ECHO = fromFileUrl(new URL("../../examples/echo-plugin.ts", import.meta.url));
const CLI = fromFileUrl(new URL("../../cli.ts", import.meta.url));
/** A MeteorID that is not the test node's own (any 32 bytes form one). */
const FRIEND = formatMeteorId(new Uint8Array(32).fill(9));

/** A temp home whose config runs no built-in plugin and the given custom ones. */
async function tempHome(config: Record<string, unknown> = {}): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "meteor-daemon-" });
  const home = `${root}/home`;
  await Deno.mkdir(home, { mode: 0o700 });
  const full = { api: { host: "127.0.0.1", port: 0 }, plugins: [], ...config };
  await Deno.writeTextFile(homePaths(home).config, JSON.stringify(full));
  return home;
}

async function removeHome(home: string): Promise<void> {
  await Deno.remove(`${home}/..`, { recursive: true });
}

/** Resolves with the next message, or rejects after `ms`. */
function nextMessage(socket: WebSocket, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message in time")), ms);
    socket.addEventListener("message", (e) => {
      clearTimeout(timer);
      resolve(String(e.data));
    }, { once: true });
  });
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("socket failed")), { once: true });
  });
}

function closed(socket: WebSocket): Promise<CloseEvent> {
  return new Promise((resolve) =>
    socket.addEventListener("close", (e) => resolve(e), { once: true })
  );
}

Deno.test("startDaemon() initialises a fresh home, loads the example plugin through config and serves it", async () => {
  const home = await tempHome({ customPlugins: [ECHO], pluginConfig: { echo: { prefix: "> " } } });
  const { logger } = memoryLogger();
  let meteorId = "";
  try {
    const daemon = await startDaemon({ home, logger });
    try {
      assert.ok(daemon.initialized, "the home had no keystore");
      meteorId = daemon.initialized.meteorId;
      assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const token = (await Deno.readTextFile(homePaths(home).apiToken)).trim();
      assert.equal(token, daemon.node.token);
      if (Deno.build.os !== "windows") {
        assert.equal((await Deno.stat(homePaths(home).apiToken)).mode! & 0o777, 0o600);
      }
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const echo = await fetch(`${daemon.url}/v1/echo`, {
        method: "POST",
        headers,
        body: JSON.stringify({ text: "hi" }),
      });
      assert.deepEqual(await echo.json(), { text: "> hi", count: 1 });
      const stats = await (await fetch(`${daemon.url}/v1/stats`, { headers })).json();
      assert.equal(stats.plugins.echo.stats.echoes, 1);
      assert.equal(stats.plugins.echo.counters.messagesIn, 1);
      const id = await (await fetch(`${daemon.url}/v1/id`, { headers })).json();
      assert.equal(id.meteorId, daemon.initialized.meteorId);
      assert.ok((await Deno.stat(`${home}/plugins/echo`)).isDirectory);
    } finally {
      await daemon.stop();
      await daemon.stop();
    }
    const again = await startDaemon({ home, logger });
    try {
      assert.equal(again.initialized, null);
      assert.equal(formatMeteorId(again.node.keys.meteorId), meteorId);
    } finally {
      await again.stop();
    }
  } finally {
    await removeHome(home);
  }
});

Deno.test("GET /v1/events streams bus events over a real WebSocket, authenticated by subprotocol", async () => {
  const home = await tempHome();
  const { logger } = memoryLogger();
  try {
    const daemon = await startDaemon({ home, logger });
    try {
      const ws = daemon.url.replace("http:", "ws:") + "/v1/events";
      const token = daemon.node.token;
      const socket = new WebSocket(ws, [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
      await opened(socket);
      assert.equal(socket.protocol, EVENTS_PROTOCOL);
      const message = nextMessage(socket);
      daemon.node.events.emit("peer:connect", { peerId: "12D3KooWTest", meteorId: "meteor1x" });
      const event = JSON.parse(await message) as BusEvent;
      assert.equal(event.name, "peer:connect");
      assert.deepEqual(event.detail, { peerId: "12D3KooWTest", meteorId: "meteor1x" });
      assert.equal(typeof event.at, "number");

      const refused = [
        [EVENTS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}x`],
        [EVENTS_PROTOCOL],
        [`${TOKEN_PROTOCOL_PREFIX}${token}`],
      ];
      for (const protocols of refused) {
        const bad = new WebSocket(ws, protocols);
        const badClosed = closed(bad);
        await assert.rejects(opened(bad));
        await badClosed;
      }
      const plain = await fetch(daemon.url + "/v1/events", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(plain.status, 400);
      await plain.body?.cancel();

      const bye = closed(socket);
      await daemon.stop();
      assert.equal((await bye).code, 1001);
    } finally {
      await daemon.stop();
    }
  } finally {
    await removeHome(home);
  }
});

Deno.test("startDaemon() fails cleanly, naming the cause, on a bad plugin or a busy port", async () => {
  const { logger } = memoryLogger();
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ plugins: ["nope"] }, "E_PLUGIN", /"nope"/],
    [{ customPlugins: ["missing-plugin.ts"] }, "E_PLUGIN", /missing-plugin\.ts/],
    [{ customPlugins: [ECHO, ECHO] }, "E_PLUGIN", /"echo"/],
    [{ pluginConfig: { echo: { prefix: 5 } }, customPlugins: [ECHO] }, "E_BAD_CONFIG", /"echo"/],
  ];
  for (const [config, code, message] of cases) {
    const home = await tempHome(config);
    try {
      await assert.rejects(startDaemon({ home, logger }), (err) => {
        assert.ok(isMeteorError(err, code as "E_PLUGIN"), String(err));
        assert.match(err.message, message);
        return true;
      });
    } finally {
      await removeHome(home);
    }
  }
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const home = await tempHome({
    api: { host: "127.0.0.1", port: (busy.addr as Deno.NetAddr).port },
  });
  try {
    await assert.rejects(
      startDaemon({ home, logger }),
      (err) => isMeteorError(err, "E_ADDR_IN_USE"),
    );
    // The store was closed again: a second open works and sees a clean database.
    await assert.rejects(
      startDaemon({ home, logger }),
      (err) => isMeteorError(err, "E_ADDR_IN_USE"),
    );
  } finally {
    busy.close();
    await removeHome(home);
  }
});

Deno.test("startDaemon() holds the home's lock: a second daemon is E_LOCKED, a stale lock is replaced", async () => {
  const home = await tempHome();
  const lock = homePaths(home).lock;
  const { logger } = memoryLogger();
  try {
    const first = await startDaemon({ home, logger });
    try {
      assert.equal(await Deno.readTextFile(lock), `${Deno.pid}\n`);
      await assert.rejects(startDaemon({ home, logger }), (err) => {
        assert.ok(isMeteorError(err, "E_LOCKED"), String(err));
        assert.equal(
          err.message,
          `Cannot start the daemon: another daemon (PID ${Deno.pid}) runs for ${home}`,
        );
        return true;
      });
      // The command fails at once with one line, from another process.
      const second = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", CLI, "daemon", "--home", home],
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(second.stderr);
      assert.equal(second.code, 1);
      assert.match(
        stderr,
        /^meteor daemon: Cannot start the daemon: another daemon .*\[E_LOCKED\]\n$/,
      );
    } finally {
      await first.stop();
    }
    assert.equal(await Deno.stat(lock).then(() => true, () => false), false, "released on stop");
    // A lock left by a process that has ended is replaced.
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(lock, `${dead.pid}\n`);
    const again = await startDaemon({ home, logger });
    assert.equal(await Deno.readTextFile(lock), `${Deno.pid}\n`);
    await again.stop();
  } finally {
    await removeHome(home);
  }
});

Deno.test("startDaemon() warns when the API token file is readable by others", {
  ignore: Deno.build.os === "windows",
}, async () => {
  const home = await tempHome();
  const { logger, lines } = memoryLogger();
  try {
    await (await startDaemon({ home, logger })).stop();
    assert.ok(!lines.some((l) => l.includes("readable by other users")));
    await Deno.chmod(homePaths(home).apiToken, 0o644);
    await (await startDaemon({ home, logger })).stop();
    assert.ok(lines.some((l) => l.includes("readable by other users")));
    assert.ok(!lines.some((l) => l.includes("mtk_")), "the token itself is never logged");
  } finally {
    await removeHome(home);
  }
});

/** Reads lines from a child's stdout. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    /** The next line, or undefined at the end of the stream. */
    async next(): Promise<string | undefined> {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) {
          const rest = buffered;
          buffered = "";
          return rest === "" ? undefined : rest;
        }
        buffered += value;
      }
      const at = buffered.indexOf("\n");
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return line;
    },
    release: () => reader.releaseLock(),
  };
}

Deno.test(
  "meteor daemon runs as a process, keeps state across restarts and exits 0 on SIGTERM and SIGINT",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const home = await tempHome();
    try {
      for (const [run, signal] of (["SIGTERM", "SIGINT"] as const).entries()) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", CLI, "daemon", "--home", home, "--json", "--log-json"],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const lines = lineReader(child.stdout);
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        try {
          const started = JSON.parse((await lines.next())!);
          assert.equal(started.event, "started");
          assert.equal(started.initialized, run === 0);
          assert.match(started.meteorId, /^meteor1/);
          const anonymous = await fetch(`${started.api}/v1/health`);
          assert.equal(anonymous.status, 401);
          await anonymous.body?.cancel();
          const headers = {
            authorization: `Bearer ${(await Deno.readTextFile(`${home}/api-token`)).trim()}`,
          };
          const health = await fetch(`${started.api}/v1/health`, { headers });
          assert.deepEqual(await health.json(), { status: "ok" });
          if (run === 0) {
            const add = (name: string, id: string) =>
              fetch(`${started.api}/v1/contacts`, {
                method: "POST",
                headers,
                body: JSON.stringify({ name, id }),
              });
            const self = await add("self", started.meteorId);
            assert.equal(self.status, 400);
            assert.equal((await self.json()).error.code, "E_BAD_ID");
            const added = await add("friend", FRIEND);
            assert.equal(added.status, 201);
            await added.body?.cancel();
          } else {
            const contacts = await (await fetch(`${started.api}/v1/contacts`, { headers })).json();
            assert.deepEqual(contacts.contacts.map((c: { name: string }) => c.name), ["friend"]);
          }
          child.kill(signal);
          const last = await lines.next();
          assert.deepEqual(JSON.parse(last!), { event: "stopped" });
          assert.equal(await lines.next(), undefined);
          const status = await child.status;
          const stderr = await new Response(child.stderr).text();
          assert.equal(status.code, 0, stderr);
          assert.match(stderr, new RegExp(`stopping.*${signal}`));
          // --log-json: stderr is JSON lines only (Deno.serve printed a plain-text warning
          // about request.signal once a request with a body had been served).
          for (const line of stderr.split("\n").filter((l) => l !== "")) {
            assert.doesNotThrow(() => JSON.parse(line), line);
          }
          const refused = await fetch(`${started.api}/v1/health`).then(() => false, () => true);
          assert.ok(refused, "the API still answers after exit");
        } finally {
          clearTimeout(timer);
          lines.release();
        }
      }
    } finally {
      await removeHome(home);
    }
  },
);
