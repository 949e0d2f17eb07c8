import assert from "node:assert/strict";
import { silentLogger } from "../../core/logger.ts";
import { isMeteorError } from "../../core/errors.ts";
import { apiClientFor } from "../../cli/_api.ts";
import { type RunningDaemon, startDaemon } from "../../cli/daemon.ts";
import {
  filesCommand,
  getCommand,
  pinsCommand,
  putCommand,
  sendFileCommand,
  unpinCommand,
} from "../../plugins/ipfs/commands.ts";
import { inboxCommand } from "../../cli/inbox.ts";
import { freePorts, printedOk } from "../_cli.ts";
import { eventLog } from "./_events.ts";
import { content } from "./_ipfs.ts";

async function daemon(): Promise<RunningDaemon> {
  const home = await Deno.makeTempDir({ prefix: "meteor-ipfs-cli-" });
  const [api, tcp, ws] = freePorts(3);
  const config = {
    version: 1,
    api: { host: "127.0.0.1", port: api },
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`, `/ip4/127.0.0.1/tcp/${ws}/ws`], bootstrap: [] },
    plugins: ["p2p", "ipfs"],
    pluginConfig: { p2p: { retryMs: 250 }, ipfs: { retryMs: 200, fetchTimeoutMs: 3000 } },
  };
  await Deno.writeTextFile(`${home}/config.json`, JSON.stringify(config));
  return await startDaemon({ home, logger: silentLogger() });
}

Deno.test({
  name:
    "meteor put/get/pins/unpin, send-file --wait/files/inbox between two real daemons, with their events on /v1/events",
  fn: async () => {
    const alice = await daemon();
    const bob = await daemon();
    const work = await Deno.makeTempDir({ prefix: "meteor-ipfs-files-" });
    const aliceEvents = await eventLog(alice);
    const bobEvents = await eventLog(bob);
    try {
      const bytes = content(300 * 1024, 3);
      await Deno.writeFile(`${work}/in.bin`, bytes);
      const put = JSON.parse(
        await printedOk(() => putCommand.run(["--home", alice.home, "--json", `${work}/in.bin`])),
      );
      assert.deepEqual([put.size, put.encrypted], [bytes.length, true]);
      await printedOk(() =>
        getCommand.run(["--home", alice.home, put.cid, "-o", `${work}/out.bin`])
      );
      assert.deepEqual(await Deno.readFile(`${work}/out.bin`), bytes);
      const pins = JSON.parse(
        await printedOk(() => pinsCommand.run(["--home", alice.home, "--json"])),
      );
      assert.ok(pins.pins.some((p: { cid: string }) => p.cid === put.cid));
      // A CID nobody has: E_TIMEOUT, and no output file.
      const plain = JSON.parse(
        await printedOk(() =>
          putCommand.run(["--home", alice.home, "--json", "--plain", `${work}/in.bin`])
        ),
      );
      await printedOk(() => unpinCommand.run(["--home", alice.home, plain.cid]));
      await (await apiClientFor(alice.home)).request("POST", "/v1/ipfs/gc");
      await assert.rejects(
        getCommand.run(["--home", alice.home, "--plain", plain.cid, "-o", `${work}/gone.bin`]),
        (err) => isMeteorError(err, "E_TIMEOUT"),
      );
      await assert.rejects(Deno.stat(`${work}/gone.bin`), Deno.errors.NotFound);

      const clientA = await apiClientFor(alice.home);
      const clientB = await apiClientFor(bob.home);
      const idB = await clientB.request<{ document: string }>("GET", "/v1/id");
      const idA = await clientA.request<{ document: string }>("GET", "/v1/id");
      await clientA.request("POST", "/v1/contacts", { name: "bob", id: idB.document });
      await clientB.request("POST", "/v1/contacts", { name: "alice", id: idA.document });
      const sent = JSON.parse(
        await printedOk(() =>
          sendFileCommand.run(["--home", alice.home, "--wait", "--json", "bob", `${work}/in.bin`])
        ),
      );
      assert.equal(sent.delivered, true);
      const files = JSON.parse(
        await printedOk(() => filesCommand.run(["--home", bob.home, "--json"])),
      );
      assert.equal(files.files.length, 1);
      assert.deepEqual(
        [files.files[0].name, files.files[0].size, files.files[0].cid, files.files[0].from],
        [
          "in.bin",
          bytes.length,
          sent.cid,
          (await clientA.request<{ meteorId: string }>("GET", "/v1/id")).meteorId,
        ],
      );
      assert.deepEqual(await Deno.readFile(files.files[0].path), bytes);
      const inbox = JSON.parse(
        await printedOk(() => inboxCommand.run(["--home", bob.home, "--json"])),
      );
      const entry = inbox.messages.find((m: { kind: string }) => m.kind === "file");
      assert.deepEqual(
        [entry?.file, entry?.contact, entry?.from],
        [{ cid: sent.cid, name: "in.bin", size: bytes.length }, "alice", files.files[0].from],
      );
      const aliceId = files.files[0].from;
      const bobId = (await clientB.request<{ meteorId: string }>("GET", "/v1/id")).meteorId;
      const detailsOf = (log: typeof aliceEvents, name: string) =>
        log.events.filter((e) => e.name === name).map((e) => e.detail as Record<string, unknown>);
      // The WebSocket carried the progress of each put and get, the arrival and the delivery.
      const puts = detailsOf(aliceEvents, "ipfs:progress").filter((d) => d.op === "put");
      assert.deepEqual(puts.at(-1), { op: "put", cid: null, bytes: bytes.length, done: true });
      assert.ok(
        detailsOf(aliceEvents, "ipfs:progress").some((d) =>
          d.op === "get" && d.cid === put.cid && d.done
        ),
        "the local get",
      );
      const gets = detailsOf(bobEvents, "ipfs:progress").filter((d) => d.cid === sent.cid);
      assert.equal(gets.at(-1)?.done, true, "the receiver's fetch");
      assert.ok((gets.at(-1)?.bytes as number) > bytes.length, "it counts the age file fetched");
      assert.deepEqual(detailsOf(bobEvents, "ipfs:received"), [{
        from: aliceId,
        id: sent.id,
        cid: sent.cid,
        name: "in.bin",
        size: bytes.length,
        path: files.files[0].path,
        error: null,
      }]);
      assert.deepEqual(detailsOf(aliceEvents, "ipfs:delivered"), [
        { to: bobId, id: sent.id, cid: sent.cid, error: null },
      ]);
      const line = await printedOk(() => inboxCommand.run(["--home", bob.home]));
      assert.match(line, new RegExp(`alice: file in\\.bin \\(${bytes.length} B, ${sent.cid}\\)`));
    } finally {
      await aliceEvents.close();
      await bobEvents.close();
      await alice.stop();
      await bob.stop();
      for (const dir of [alice.home, bob.home, work]) await Deno.remove(dir, { recursive: true });
    }
  },
});
