import assert from "node:assert/strict";
import { startDaemon } from "../p2p/_daemon.ts";
import { content, get, ipfsSpec, put } from "./_ipfs.ts";

Deno.test({
  name:
    "POST/GET /v1/files round-trip 0 B, small and multi-chunk files, encrypted and --plain; pins survive a restart",
  fn: async () => {
    const spec = await ipfsSpec(51);
    let d = await startDaemon(spec);
    try {
      const cids: string[] = [];
      for (const size of [0, 5, 256 * 1024 + 1, 1024 * 1024 + 3]) {
        const bytes = content(size);
        const enc = await put(d, bytes);
        assert.equal(enc.status, 201, JSON.stringify(enc.body));
        assert.equal(enc.body.size, size);
        assert.equal(enc.body.encrypted, true);
        assert.ok((enc.body.stored as number) > size, "the age file is larger than the plaintext");
        assert.deepEqual((await get(d, enc.body.cid as string)).bytes, bytes);
        const plain = await put(d, bytes, "?plain=true");
        assert.equal(plain.body.encrypted, false);
        assert.equal(plain.body.stored, size);
        assert.deepEqual((await get(d, plain.body.cid as string, "?plain=true")).bytes, bytes);
        // The same plaintext encrypted twice gives different CIDs (a fresh file key each time).
        assert.notEqual((await put(d, bytes)).body.cid, enc.body.cid);
        cids.push(enc.body.cid as string, plain.body.cid as string);
      }
      // A plain file read without --plain is not an age file.
      const notAge = await get(d, cids[3]);
      assert.equal(notAge.error?.code, "E_HEADER_INVALID");
      const pins = (await (await d.api("/v1/pins")).json()).pins as { cid: string }[];
      for (const cid of cids) assert.ok(pins.some((p) => p.cid === cid), `pinned ${cid}`);
      await d.stop();
      d = await startDaemon(spec);
      const again = (await (await d.api("/v1/pins")).json()).pins as {
        cid: string;
        size: number;
      }[];
      assert.deepEqual(again.map((p) => p.cid).sort(), pins.map((p) => p.cid).sort());
      assert.deepEqual((await get(d, cids[6])).bytes, content(1024 * 1024 + 3));
      // Unpin then gc removes the blocks; the CID then times out (nobody has it).
      assert.equal((await d.api(`/v1/pins/${cids[7]}`, { method: "DELETE" })).status, 204);
      assert.equal((await d.api(`/v1/pins/${cids[7]}`, { method: "DELETE" })).status, 404);
      const gc = await (await d.api("/v1/ipfs/gc", { method: "POST" })).json();
      assert.equal(gc.removed, 5, "the 4 leaves and the root of the unpinned file");
      const started = Date.now();
      const gone = await get(d, cids[7], "?plain=true");
      assert.equal(gone.error?.code, "E_TIMEOUT");
      assert.ok(Date.now() - started < 10_000, "bounded by fetchTimeoutMs");
      assert.deepEqual((await get(d, cids[6])).bytes, content(1024 * 1024 + 3), "others kept");
    } finally {
      await d.stop();
      await Deno.remove(spec.home, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "GET /v1/files breaks off at a tampered ciphertext chunk (decryption refuses it) and refuses a tampered block on disk (E_CID_MISMATCH)",
  fn: async () => {
    const spec = await ipfsSpec(52);
    const d = await startDaemon(spec);
    try {
      const bytes = content(600 * 1024, 5);
      const enc = await put(d, bytes);
      // The same age file with one payload byte flipped, added as a new file: its blocks are
      // valid, the CID is new, and decryption refuses the chunk.
      const stored = (await get(d, enc.body.cid as string, "?plain=true")).bytes;
      stored[stored.length - 100] ^= 1;
      const tampered = await put(d, stored, "?plain=true");
      const res = await d.api(`/v1/files/${tampered.body.cid}`);
      assert.equal(res.status, 200, "the header verifies; the payload fails while streaming");
      await assert.rejects(res.arrayBuffer());
      // A block altered on disk: refused by its CID.
      const blocksDir = `${spec.home}/plugins/ipfs/blocks`;
      let altered = 0;
      for await (const path of walk(blocksDir)) {
        const block = await Deno.readFile(path);
        if (block.length !== 256 * 1024) continue;
        block[10] ^= 1;
        await Deno.writeFile(path, block);
        altered++;
      }
      assert.ok(altered > 0);
      const bad = await d.api(`/v1/files/${enc.body.cid}?plain=true`);
      assert.equal(bad.status, 502, "the first leaf is checked before the answer starts");
      assert.equal((await bad.json()).error.code, "E_CID_MISMATCH");
    } finally {
      await d.stop();
      await Deno.remove(spec.home, { recursive: true });
    }
  },
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}
