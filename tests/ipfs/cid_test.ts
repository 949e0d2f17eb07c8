import assert from "node:assert/strict";
import { addFile, catFile, CHUNK_BYTES, READ_AHEAD } from "../../plugins/ipfs/files.ts";
import { MemoryBlocks } from "./_memory.ts";

// An independent encoder of what `ipfs add --cid-version=1` stores, from the
// specs: CIDv1 (multiformats cid spec), dag-pb (ipld specs, "DAG-PB"), UnixFS
// (ipfs specs, "UnixFS": Data { Type = File, filesize, blocksizes }), with
// 256 KiB raw leaves under one balanced root (<= 174 links).

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function bytesField(tag: number, bytes: Uint8Array | number[]): number[] {
  return [tag, ...varint(bytes.length), ...bytes];
}

async function cidBytes(codec: number, block: Uint8Array): Promise<Uint8Array> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", block as Uint8Array<ArrayBuffer>),
  );
  return new Uint8Array([1, ...varint(codec), 0x12, 0x20, ...digest]);
}

/** RFC 4648 base32, lower case, no padding, with the multibase prefix "b". */
function base32(bytes: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0;
  let value = 0;
  let out = "b";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

async function expectedCid(content: Uint8Array): Promise<string> {
  const RAW = 0x55;
  const DAG_PB = 0x70;
  if (content.length <= CHUNK_BYTES) return base32(await cidBytes(RAW, content));
  const leaves: Uint8Array[] = [];
  for (let at = 0; at < content.length; at += CHUNK_BYTES) {
    leaves.push(content.subarray(at, at + CHUNK_BYTES));
  }
  assert.ok(leaves.length <= 174, "one level of links only in these vectors");
  const node: number[] = [];
  for (const leaf of leaves) {
    const link = [
      ...bytesField(0x0a, await cidBytes(RAW, leaf)), // PBLink.Hash
      ...bytesField(0x12, []), // PBLink.Name, ""
      0x18, // PBLink.Tsize
      ...varint(leaf.length),
    ];
    node.push(...bytesField(0x12, link)); // PBNode.Links
  }
  const data = [0x08, 0x02, 0x18, ...varint(content.length)]; // Type File, filesize
  for (const leaf of leaves) data.push(0x20, ...varint(leaf.length)); // blocksizes
  node.push(...bytesField(0x0a, data)); // PBNode.Data, after the links
  return base32(await cidBytes(DAG_PB, new Uint8Array(node)));
}

function content(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

const SIZES = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * 1024 * 1024];

for (const size of SIZES) {
  Deno.test(`addFile() gives Kubo's --cid-version=1 CID for ${size} bytes, and catFile() reads it back`, async () => {
    const blocks = new MemoryBlocks();
    const bytes = content(size);
    const added = await addFile(blocks, ReadableStream.from([bytes]));
    assert.equal(added.cid.toString(), await expectedCid(bytes));
    assert.equal(added.bytes, size);
    const back = new Uint8Array(
      await new Response(catFile(blocks, added.cid, AbortSignal.timeout(5000))).arrayBuffer(),
    );
    assert.deepEqual(back, bytes);
  });
}

Deno.test("addFile() of the empty file is Kubo's known CID for it", async () => {
  // `printf '' | ipfs add --cid-version=1 -q` (Kubo 0.x): the raw block of no bytes.
  const added = await addFile(new MemoryBlocks(), ReadableStream.from([]));
  assert.equal(added.cid.toString(), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
});

Deno.test("addFile() gives the same CID however the input is split into pieces", async () => {
  const bytes = content(CHUNK_BYTES * 2 + 17);
  const pieces = [bytes.subarray(0, 5), bytes.subarray(5, 300_001), bytes.subarray(300_001)];
  const one = await addFile(new MemoryBlocks(), ReadableStream.from([bytes]));
  const split = await addFile(new MemoryBlocks(), ReadableStream.from(pieces));
  assert.equal(split.cid.toString(), one.cid.toString());
});

Deno.test("catFile() refuses a tampered block with E_CID_MISMATCH", async () => {
  const blocks = new MemoryBlocks();
  const added = await addFile(blocks, ReadableStream.from([content(CHUNK_BYTES + 1)]));
  const leaf = [...blocks.map.keys()].find((k) => k !== added.cid.toString())!;
  blocks.map.get(leaf)![0] ^= 1;
  await assert.rejects(
    new Response(catFile(blocks, added.cid, AbortSignal.timeout(5000))).arrayBuffer(),
    (err: Error & { code?: string }) => err.code === "E_CID_MISMATCH",
  );
});

Deno.test("catFile() fetches at most READ_AHEAD leaves ahead of its reader, in parallel", async () => {
  const blocks = new MemoryBlocks();
  const bytes = content(40 * CHUNK_BYTES + 3);
  const added = await addFile(blocks, ReadableStream.from([bytes]));
  // Each block read waits until released, so the reads in flight can be counted.
  const asked: string[] = [];
  const waiting: (() => void)[] = [];
  const slow = {
    ...blocks,
    get: async function* (cid: Parameters<MemoryBlocks["get"]>[0]) {
      asked.push(cid.toString());
      await new Promise<void>((resolve) => waiting.push(resolve));
      yield* blocks.get(cid);
    },
  };
  const reader = catFile(slow as never, added.cid, AbortSignal.timeout(5000)).getReader();
  const first = reader.read();
  const settle = () => new Promise((r) => setTimeout(r, 20));
  await settle();
  waiting.shift()!(); // The root node.
  await settle();
  assert.equal(asked.length, 1 + READ_AHEAD, "the root, then READ_AHEAD leaves at once");
  waiting.splice(0).forEach((release) => release());
  assert.deepEqual((await first).value, bytes.subarray(0, CHUNK_BYTES));
  const second = reader.read();
  await settle();
  assert.equal(asked.length, 2 + READ_AHEAD, "the next read asks for one more leaf");
  assert.deepEqual((await second).value, bytes.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES));
  await reader.cancel();
  assert.ok(asked.length < 42, "never the whole file");
});

Deno.test("catFile() refuses a dag-pb node that is not a UnixFS file (E_MALFORMED)", async () => {
  const blocks = new MemoryBlocks();
  // A dag-pb node whose Data is a UnixFS Directory (Type = 1), hashed as it should be.
  const node = new Uint8Array([0x0a, 0x02, 0x08, 0x01]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", node));
  const { CID } = await import("multiformats/cid");
  const { create } = await import("multiformats/hashes/digest");
  const cid = CID.createV1(0x70, create(0x12, digest));
  await blocks.put(cid, node);
  await assert.rejects(
    new Response(catFile(blocks, cid, AbortSignal.timeout(5000))).arrayBuffer(),
    (err: Error & { code?: string }) => err.code === "E_MALFORMED",
  );
});
