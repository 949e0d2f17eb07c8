/**
 * UnixFS files on either backend (docs/ipfs.md §2): adding with Kubo's
 * `ipfs add --cid-version=1` settings (CIDv1, raw leaves, 256 KiB chunks, a
 * balanced DAG of at most 174 links per node, SHA-256), and reading back
 * with every block checked against its CID before any byte of it is used.
 *
 * @module
 */
import { unixfs } from "@helia/unixfs";
import * as dagPb from "@ipld/dag-pb";
import { UnixFS } from "ipfs-unixfs";
import { CID } from "multiformats/cid";
import { constantTimeEqual } from "../../core/bytes.ts";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import type { BlockReadOptions, BlockStore } from "./backend.ts";
import "./errors.ts";

/** The chunk size of the importer, in bytes (Kubo's default, `size-262144`). */
export const CHUNK_BYTES = 256 * 1024;
/** The multihash code of SHA-256, the only hash accepted. */
const SHA2_256 = 0x12;
/** The multicodecs a file's blocks may have: raw (leaves) and dag-pb (nodes). */
const CODECS = new Set([0x55, 0x70]);

/**
 * The importer settings. The `unixfs-v0-2015` profile (IPIP-499) is Kubo's
 * layout: 256 KiB fixed-size chunks and a balanced DAG of 174 links per
 * node, links before data; CIDv1 with raw leaves is `--cid-version=1`.
 * @helia/unixfs sets its own chunker and layout (1 MiB, 1024 links), so they
 * are cleared for the profile's to apply.
 */
const IMPORT_OPTIONS = {
  profile: "unixfs-v0-2015",
  cidVersion: 1,
  rawLeaves: true,
  chunker: undefined,
  layout: undefined,
} as const;

/** Parses a CID given by a caller: E_MALFORMED unless a CIDv0/v1 of a raw or dag-pb SHA-256 block. */
export function parseCid(text: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch {
    throw new MeteorError("E_MALFORMED", "Cannot parse CID: not a CID in text form");
  }
  if (!CODECS.has(cid.code) || cid.multihash.code !== SHA2_256) {
    throw new MeteorError(
      "E_MALFORMED",
      "Cannot read CID: only raw and dag-pb blocks hashed with SHA-256 are files here",
    );
  }
  return cid;
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/**
 * `blocks` with every block read checked against its CID: a block whose
 * SHA-256 is not the CID's digest is refused (E_CID_MISMATCH), whether it was
 * on disk or came from a peer; an unsupported CID is E_MALFORMED.
 */
export function verifiedBlocks(blocks: BlockStore): BlockStore {
  return {
    async *get(cid, options) {
      if (!CODECS.has(cid.code) || cid.multihash.code !== SHA2_256) {
        throw new MeteorError(
          "E_MALFORMED",
          `Cannot read block ${cid}: not a raw or dag-pb SHA-256 block`,
        );
      }
      const pieces: Uint8Array[] = [];
      let length = 0;
      for await (const piece of blocks.get(cid, options)) {
        pieces.push(piece);
        length += piece.length;
      }
      const block = pieces.length === 1 ? pieces[0] : new Uint8Array(length);
      if (pieces.length !== 1) {
        let at = 0;
        for (const piece of pieces) block.set(piece, (at += piece.length) - piece.length);
      }
      if (!constantTimeEqual(await sha256(block), cid.multihash.digest)) {
        throw new MeteorError(
          "E_CID_MISMATCH",
          `Cannot read block ${cid}: its hash is not its CID`,
        );
      }
      yield block;
    },
    put: (cid, block, options) => blocks.put(cid, block, options),
    has: (cid, options) => blocks.has(cid, options),
  };
}

/** What an added file came to. */
export interface Added {
  /** The root CID. */
  cid: CID;
  /** The bytes added (the stored content, ciphertext when encrypted). */
  bytes: number;
}

/** Adds `content` as a UnixFS file with the Kubo settings; resolves to its root. */
export async function addFile(
  blocks: BlockStore,
  content: ReadableStream<Uint8Array>,
  options: BlockReadOptions = {},
): Promise<Added> {
  let bytes = 0;
  const counted = content.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  const fs = unixfs({ blockstore: blocks as never });
  const cid = await fs.addByteStream(counted, { ...IMPORT_OPTIONS, signal: options.signal });
  return { cid: CID.asCID(cid) ?? CID.parse(cid.toString()), bytes };
}

/** Maps what a read failed with to E_TIMEOUT, E_CID_MISMATCH, E_MALFORMED or E_NOT_FOUND. */
export function readError(cid: CID, err: unknown, signal?: AbortSignal): MeteorError {
  if (isMeteorError(err)) return err;
  const cause = (err as { errors?: unknown[] })?.errors?.find((e) => isMeteorError(e));
  if (isMeteorError(cause)) return cause;
  if (signal?.aborted) {
    return new MeteorError("E_TIMEOUT", `Cannot fetch ${cid}: no peer sent its blocks in time`);
  }
  const name = (err as Error)?.name;
  if (name === "NotFoundError" || name === "BlockNotFoundWhileOfflineError") {
    return new MeteorError("E_NOT_FOUND", `Cannot fetch ${cid}: no such block here`);
  }
  if (name === "InvalidMultihashError") {
    return new MeteorError(
      "E_CID_MISMATCH",
      `Cannot fetch ${cid}: a peer sent a block that is not its CID`,
    );
  }
  return new MeteorError("E_MALFORMED", `Cannot read ${cid}: not a UnixFS file`, { cause: err });
}

/** Leaves fetched ahead of the reader: bitswap asks for this many at once, 2 MiB in memory. */
export const READ_AHEAD = 8;
/** The deepest DAG read (a balanced DAG of 174 links is 5 deep at 1 TiB). */
const MAX_DEPTH = 16;
const RAW = 0x55;

function notAFile(cid: CID, state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot read ${cid}: not a UnixFS file (${state})`);
}

/**
 * The pieces of the UnixFS file `root` in order (UnixFS spec, "file"): the
 * bytes held in dag-pb nodes, and the CIDs of raw leaves, which the caller
 * fetches. The nodes are read (and verified) as the walk reaches them;
 * `declare` gets the root's file size, for the caller to check at the end.
 */
async function* filePieces(
  read: (cid: CID) => Promise<Uint8Array>,
  root: CID,
  declare: (size: bigint) => void,
): AsyncGenerator<Uint8Array | CID> {
  let declared = false;
  async function* walk(cid: CID, depth: number): AsyncGenerator<Uint8Array | CID> {
    if (cid.code === RAW) {
      yield cid;
      return;
    }
    if (depth > MAX_DEPTH) throw notAFile(root, "too deep");
    const block = await read(cid); // Its errors (a timeout, a mismatch) are readError's to map.
    let node: dagPb.PBNode;
    let file: UnixFS;
    try {
      node = dagPb.decode(block);
      if (node.Data === undefined) throw new Error("no data");
      file = UnixFS.unmarshal(node.Data);
    } catch {
      throw notAFile(root, "a node does not decode");
    }
    if (file.type !== "file" && file.type !== "raw") throw notAFile(root, file.type);
    if (node.Links.length !== file.blockSizes.length) throw notAFile(root, "bad block sizes");
    if (!declared) declare(file.fileSize());
    declared = true;
    if (file.data !== undefined && file.data.length > 0) yield file.data;
    for (const link of node.Links) {
      yield* walk(CID.asCID(link.Hash) ?? CID.decode(link.Hash.bytes), depth + 1);
    }
  }
  yield* walk(root, 0);
}

/**
 * The bytes of the UnixFS file `cid`, every block verified. The stream is
 * pull-driven: it fetches at most {@link READ_AHEAD} leaves ahead of what
 * was read (in parallel, so a fetch from peers is not one round trip per
 * block, and fetching overlaps whatever reads the stream), so memory stays
 * bounded whatever the size. It errors with a MeteorError (see
 * {@link readError}) when a block is refused or does not arrive before
 * `signal` aborts.
 */
export function catFile(
  blocks: BlockStore,
  cid: CID,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const verified = verifiedBlocks(blocks);
  const read = async (c: CID): Promise<Uint8Array> => {
    for await (const block of verified.get(c, { signal })) return block;
    throw notAFile(cid, "a block read gave nothing");
  };
  let declared: bigint | null = null; // The root's file size (null: a raw leaf alone).
  let bytes = 0n;
  const pieces = filePieces(read, cid, (size) => (declared = size));
  const ahead: Promise<Uint8Array>[] = [];
  let walked = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (!walked && ahead.length < READ_AHEAD) {
          const next = await pieces.next();
          if (next.done) walked = true;
          else {
            const piece = next.value instanceof Uint8Array
              ? Promise.resolve(next.value)
              : read(next.value);
            piece.catch(() => {}); // Awaited in order below; never unhandled meanwhile.
            ahead.push(piece);
          }
        }
        if (ahead.length > 0) {
          const piece = await ahead.shift()!;
          bytes += BigInt(piece.length);
          controller.enqueue(piece);
        } else if (declared !== null && bytes !== declared) {
          throw notAFile(cid, "its size is not that of its blocks");
        } else controller.close();
      } catch (err) {
        ahead.length = 0;
        throw readError(cid, err, signal);
      }
    },
    async cancel(reason) {
      ahead.length = 0;
      await pieces.return(reason);
    },
  }, { highWaterMark: 0 });
}
