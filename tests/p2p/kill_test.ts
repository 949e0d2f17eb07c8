import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { formatMeteorId } from "../../core/identity/mod.ts";
import { freePorts } from "../_cli.ts";

const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const NOBODY = formatMeteorId(new Uint8Array(32).fill(9));

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

Deno.test({
  name:
    "every message the API answered 202 for is in the outbox after the daemon is killed with SIGKILL",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "meteor-kill-" });
    const home = `${root}/home`;
    await Deno.mkdir(home, { mode: 0o700 });
    const [tcp] = freePorts(1);
    await Deno.writeTextFile(
      `${home}/config.json`,
      JSON.stringify({
        api: { host: "127.0.0.1", port: 0 },
        p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`] },
        plugins: ["p2p"],
      }),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", CLI, "daemon", "--home", home, "--json", "--log-level", "error"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    try {
      const { api } = await firstLine(child.stdout);
      const token = (await Deno.readTextFile(`${home}/api-token`)).trim();
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const accepted: string[] = [];
      // Many requests in flight, so that several share one commit; kill in the middle.
      const send = async (i: number) => {
        const res = await fetch(`${api}/v1/messages`, {
          method: "POST",
          headers,
          body: JSON.stringify({ to: NOBODY, text: `m${i}` }),
        }).catch(() => null);
        if (res?.status === 202) accepted.push((await res.json()).id);
        else await res?.body?.cancel();
      };
      const burst = Array.from({ length: 400 }, (_, i) => send(i));
      const deadline = Date.now() + 30_000;
      while (accepted.length < 100 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill("SIGKILL");
      await Promise.all(burst);
      await child.status;
      await child.stdout.cancel().catch(() => {});
      const db = new DatabaseSync(`${home}/plugins/p2p/p2p.db`);
      try {
        const stored = new Set(
          (db.prepare("SELECT id FROM outbox").all() as { id: string }[]).map((r) => r.id),
        );
        const lost = accepted.filter((id) => !stored.has(id));
        assert.deepEqual(
          lost,
          [],
          `${lost.length} of ${accepted.length} acknowledged messages lost`,
        );
        assert.ok(accepted.length >= 100);
      } finally {
        db.close();
      }
    } finally {
      clearTimeout(guard);
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await Deno.remove(root, { recursive: true });
    }
  },
});
