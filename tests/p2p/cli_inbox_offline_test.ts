import assert from "node:assert/strict";
import { silentLogger } from "../../core/logger.ts";
import { apiClientFor } from "../../cli/_api.ts";
import { startDaemon } from "../../cli/daemon.ts";
import { inboxCommand } from "../../cli/inbox.ts";
import { captureLog, freePorts } from "../_cli.ts";

async function home(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "meteor-cli-" });
  const [api, tcp] = freePorts(2);
  const config = {
    version: 1,
    api: { host: "127.0.0.1", port: api },
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`], bootstrap: [] },
    plugins: ["p2p"],
    pluginConfig: { p2p: { retryMs: 250 } },
  };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  return dir;
}

Deno.test({
  name: "meteor inbox reads p2p.db read-only when the daemon is not running",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const homes = [await home(), await home()];
    try {
      const [alice, bob] = [
        await startDaemon({ home: homes[0], logger: silentLogger() }),
        await startDaemon({ home: homes[1], logger: silentLogger() }),
      ];
      const [a, b] = [await apiClientFor(homes[0]), await apiClientFor(homes[1])];
      const idA = await a.request<{ document: string }>("GET", "/v1/id");
      const idB = await b.request<{ document: string }>("GET", "/v1/id");
      await a.request("POST", "/v1/contacts", { name: "bob", id: idB.document });
      await b.request("POST", "/v1/contacts", { name: "alice", id: idA.document });
      const { id } = await a.request<{ id: string }>("POST", "/v1/messages", {
        to: "bob",
        text: "read me offline",
      });
      const signal = AbortSignal.timeout(15_000);
      while (
        (await a.request<{ deliveredAt: number | null }>("GET", `/v1/outbox/${id}`)).deliveredAt ===
          null
      ) {
        assert.ok(!signal.aborted, "delivered in time");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await alice.stop();
      await bob.stop();
      assert.equal(await b.running(), false);
      const { lines, result } = await captureLog(() =>
        inboxCommand.run(["--home", homes[1], "--json", "--from", "alice"])
      );
      assert.equal(result, 0);
      const [got, ...rest] = JSON.parse(lines.join("\n")).messages;
      assert.deepEqual([got.id, got.text, got.contact, rest.length], [
        id,
        "read me offline",
        "alice",
        0,
      ]);
    } finally {
      for (const dir of homes) await Deno.remove(dir, { recursive: true });
    }
  },
});
