import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import type { IpfsBackend } from "../../plugins/ipfs/backend.ts";
import { addFile, catFile } from "../../plugins/ipfs/files.ts";
import { connectKubo } from "../../plugins/ipfs/kubo.ts";
import { freePorts } from "../_cli.ts";
import { content } from "./_ipfs.ts";

/** The backend contract: what files.ts and the service rely on, on any backend. */
async function contract(backend: IpfsBackend): Promise<void> {
  const bytes = content(256 * 1024 * 3 + 5, 11);
  const { cid } = await addFile(backend.blocks, ReadableStream.from([bytes]));
  assert.equal(await backend.blocks.has(cid), true);
  await backend.pin(cid);
  assert.equal(await backend.isPinned(cid), true);
  const pins: string[] = [];
  for await (const p of backend.pins()) pins.push(p.cid.toString());
  assert.ok(pins.includes(cid.toString()));
  const back = await new Response(catFile(backend.blocks, cid, AbortSignal.timeout(10_000)))
    .arrayBuffer();
  assert.deepEqual(new Uint8Array(back), bytes);
  await backend.unpin(cid);
  await assert.rejects(backend.unpin(cid), (err) => isMeteorError(err, "E_NOT_FOUND"));
  await backend.gc();
  assert.equal(await backend.blocks.has(cid), false);
}

const KUBO_API = Deno.env.get("KUBO_API");

Deno.test("the Kubo backend passes the backend contract against a real Kubo (KUBO_API)", async () => {
  if (KUBO_API === undefined) {
    console.log(
      "skipped: set KUBO_API to a Kubo RPC URL (http://127.0.0.1:5001) to run the contract " +
        "against a real Kubo; no Kubo binary can be installed on this machine",
    );
    return;
  }
  const backend = await connectKubo(KUBO_API);
  try {
    assert.equal(backend.kind, "kubo");
    await contract(backend);
  } finally {
    await backend.stop();
  }
});

Deno.test("connectKubo() to an RPC URL nobody answers is E_UNREACHABLE", async () => {
  const [port] = freePorts(1);
  await assert.rejects(
    connectKubo(`http://127.0.0.1:${port}`),
    (err) => isMeteorError(err, "E_UNREACHABLE"),
  );
});
