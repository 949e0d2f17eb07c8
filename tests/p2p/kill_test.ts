/**
 * Daemons killed with SIGKILL (cli.ts subprocesses on 127.0.0.1) lose
 * nothing the API answered 202 for: single messages and batches, the sender
 * killed mid-burst, the receiver killed mid-delivery; after restarts every
 * accepted message is in the receiver's inbox exactly once.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { formatMeteorId } from "../../core/identity/mod.ts";
import { freePorts } from "../_cli.ts";

const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const NOBODY = formatMeteorId(new Uint8Array(32).fill(9));
/** Messages the two-daemon test sends at full speed; then slowly, so that it ends in bounded time. */
const FAST_SENT = 3_000;

/** The first line of `stream`, as JSON. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<{ api: string }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the daemon exited before its first line: ${text}`);
    text += value;
  }
  reader.releaseLock();
  return JSON.parse(text.slice(0, text.indexOf("\n")));
}

/** A daemon subprocess and its API. */
interface Daemon {
  child: Deno.ChildProcess;
  api: string;
  headers: Record<string, string>;
  /** Kills it with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
}

/**
 * Writes the config of a home whose p2p plugin listens on `tcp`, retries
 * every 200 ms and keeps every delivered message (for the final count).
 */
async function makeHome(home: string, tcp: number): Promise<void> {
  await Deno.mkdir(home, { mode: 0o700 });
  await Deno.writeTextFile(
    `${home}/config.json`,
    JSON.stringify({
      api: { host: "127.0.0.1", port: 0 },
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`], bootstrap: [] },
      plugins: ["p2p"],
      pluginConfig: { p2p: { retryMs: 200, retryMaxMs: 400, keepDelivered: 1_000_000 } },
    }),
  );
}

/** Starts `meteor daemon` on `home` and waits for its API. */
async function spawnDaemon(home: string): Promise<Daemon> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, "daemon", "--home", home, "--json", "--log-level", "error"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  };
  try {
    const { api } = await firstLine(child.stdout);
    const token = (await Deno.readTextFile(`${home}/api-token`)).trim();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    return { child, api, headers, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}

/** Calls a daemon's API and returns the JSON answer; throws unless the status is `expect`. */
async function call(d: Daemon, method: string, path: string, body?: unknown, expect = 200) {
  const res = await fetch(`${d.api}${path}`, {
    method,
    headers: d.headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== expect) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  }
  return json;
}

/**
 * POSTs `body` to /v1/messages and records the ids of a 202 in `accepted`;
 * a request the kill cut off counts as not accepted.
 */
async function post(d: Daemon, body: unknown, accepted: string[]): Promise<void> {
  const res = await fetch(`${d.api}/v1/messages`, {
    method: "POST",
    headers: d.headers,
    body: JSON.stringify(body),
  }).catch(() => null);
  if (res?.status !== 202) return void await res?.body?.cancel();
  const json = await res.json().catch(() => null);
  if (json === null) return; // cut off inside the answer: not acknowledged
  for (const q of Array.isArray(json) ? json : [json]) accepted.push(q.id);
}

/** Resolves once `check` holds, polling; fails after `ms`. */
async function waitUntil(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The rows of `sql` in the database at `path`, opened read-only for one query. */
function query<T>(path: string, sql: string): T[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

Deno.test({
  name:
    "every message the API answered 202 for is in the outbox after the daemon is killed with SIGKILL",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "meteor-kill-" });
    const home = `${root}/home`;
    await makeHome(home, freePorts(1)[0]);
    const daemon = await spawnDaemon(home);
    const guard = setTimeout(() => daemon.kill(), 60_000);
    try {
      const accepted: string[] = [];
      // Many requests in flight, single messages and batches, so that several share one
      // commit; kill in the middle.
      const burst = Array.from({ length: 400 }, (_, i) =>
        post(
          daemon,
          i % 4 === 0
            ? Array.from({ length: 10 }, (_, j) => ({ to: NOBODY, text: `b${i}.${j}` }))
            : { to: NOBODY, text: `m${i}` },
          accepted,
        ));
      await waitUntil("100 accepted messages", 30_000, () => accepted.length >= 100);
      await daemon.kill();
      await Promise.all(burst);
      const stored = new Set(
        query<{ id: string }>(`${home}/plugins/p2p/p2p.db`, "SELECT id FROM outbox").map((r) =>
          r.id
        ),
      );
      const lost = accepted.filter((id) => !stored.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${accepted.length} acknowledged messages lost`);
      assert.ok(accepted.length >= 100);
    } finally {
      clearTimeout(guard);
      await daemon.kill();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "batches survive SIGKILL of the receiver mid-delivery and of the sender mid-burst: " +
    "after restarts every accepted message is in the inbox exactly once",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "meteor-kill-" });
    const [homeA, homeB] = [`${root}/a`, `${root}/b`];
    const [tcpA, tcpB] = freePorts(2);
    await makeHome(homeA, tcpA);
    await makeHome(homeB, tcpB);
    const running: Daemon[] = [];
    const start = async (home: string) => {
      const d = await spawnDaemon(home);
      running.push(d);
      return d;
    };
    const guard = setTimeout(() => running.forEach((d) => d.kill()), 120_000);
    const inboxOf = `${homeB}/plugins/p2p/p2p.db`;
    const outboxOf = `${homeA}/plugins/p2p/p2p.db`;
    const inboxCount = () => query<{ n: number }>(inboxOf, "SELECT count(*) AS n FROM inbox")[0].n;
    try {
      let a = await start(homeA);
      let b = await start(homeB);
      const idA = await call(a, "GET", "/v1/id");
      const idB = await call(b, "GET", "/v1/id");
      await call(a, "POST", "/v1/contacts", { name: "b", id: idB.document }, 201);
      await call(b, "POST", "/v1/contacts", { name: "a", id: idA.document }, 201);
      const accepted: string[] = [];
      let sent = 0;
      let stop = false;
      // Four clients POSTing batches of 20 as fast as A answers (after FAST_SENT, one
      // batch every 100 ms each), until told to stop.
      const client = async () => {
        while (!stop) {
          const batch = Array.from({ length: 20 }, () => ({ to: "b", text: `t${sent++}` }));
          await post(a, batch, accepted);
          if (sent >= FAST_SENT) await new Promise((r) => setTimeout(r, 100));
        }
      };
      const clients = Array.from({ length: 4 }, client);
      // The receiver dies three times with messages arriving (some stored, some
      // acknowledged, some neither), and is restarted at once.
      for (let round = 0; round < 3; round++) {
        const before = inboxCount();
        await waitUntil("B's inbox growing", 30_000, () => inboxCount() >= before + 300);
        await b.kill();
        b = await start(homeB);
      }
      // The sender dies mid-burst, with requests in flight and messages unacknowledged.
      const before = inboxCount();
      await waitUntil("B's inbox growing", 30_000, () => inboxCount() >= before + 300);
      await a.kill();
      stop = true;
      await Promise.all(clients);
      a = await start(homeA);
      assert.ok(accepted.length >= 1200, `${accepted.length} accepted`);
      // Delivered after the restarts: nothing pending at A, everything accepted in B's inbox.
      await waitUntil("A's outbox delivered", 60_000, () => {
        const [{ n }] = query<{ n: number }>(
          outboxOf,
          "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL",
        );
        return n === 0;
      });
      const inbox = query<{ id: string }>(inboxOf, "SELECT id FROM inbox").map((r) => r.id);
      const outbox = new Set(
        query<{ id: string }>(outboxOf, "SELECT id FROM outbox").map((r) => r.id),
      );
      assert.equal(new Set(inbox).size, inbox.length, "no message twice in the inbox");
      const inInbox = new Set(inbox);
      const lost = accepted.filter((id) => !inInbox.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${accepted.length} accepted messages lost`);
      assert.deepEqual(inbox.filter((id) => !outbox.has(id)), [], "nothing A never queued");
      assert.equal(new Set(accepted).size, accepted.length);
    } finally {
      clearTimeout(guard);
      for (const d of running) await d.kill();
      await Deno.remove(root, { recursive: true });
    }
  },
});
