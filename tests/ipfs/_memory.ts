/**
 * An in-memory block store for the IPFS tests (the backend interface's
 * shape), whose blocks a test can read and tamper with.
 *
 * @module
 */
import type { CID } from "multiformats/cid";
import type { BlockStore } from "../../plugins/ipfs/backend.ts";

/** A Map of blocks by CID text, as a {@link BlockStore}. */
export class MemoryBlocks implements BlockStore {
  /** The blocks, by CID text. */
  readonly map = new Map<string, Uint8Array>();

  /** The block, or NotFoundError as interface-store names it. */
  *get(cid: CID): Iterable<Uint8Array> {
    const block = this.map.get(cid.toString());
    if (block === undefined) throw Object.assign(new Error("not found"), { name: "NotFoundError" });
    yield block;
  }

  /** Stores a copy. */
  put(cid: CID, block: Uint8Array): Promise<CID> {
    this.map.set(cid.toString(), block.slice());
    return Promise.resolve(cid);
  }

  /** Whether it holds the block. */
  has(cid: CID): Promise<boolean> {
    return Promise.resolve(this.map.has(cid.toString()));
  }
}
