/**
 * The one small interface both IPFS backends implement (Helia embedded,
 * Kubo over its RPC API): a block store the UnixFS importer and the
 * verifying reader run on, and pins. Everything above it (CID settings,
 * verification, encryption, transfers) is the same code for both, so the
 * same bytes give the same CID whichever backend stores them.
 *
 * @module
 */
import type { CID } from "multiformats/cid";

/** Options of a block read. */
export interface BlockReadOptions {
  /** Aborts the read (a fetch from peers waits for this). */
  signal?: AbortSignal;
}

/** A block store: get (locally, or from peers when missing), put, has. */
export interface BlockStore {
  /** The block's bytes, in one or more pieces; fetched from peers when missing. */
  get(cid: CID, options?: BlockReadOptions): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Stores a block under `cid` (its hash is the caller's to get right). */
  put(cid: CID, block: Uint8Array, options?: BlockReadOptions): Promise<CID>;
  /** Whether the block is stored here. */
  has(cid: CID, options?: BlockReadOptions): Promise<boolean>;
}

/** A pinned root. */
export interface PinInfo {
  /** The root CID. */
  cid: CID;
}

/** An IPFS backend. */
export interface IpfsBackend {
  /** Which backend: "helia" or "kubo". */
  readonly kind: "helia" | "kubo";
  /** Its blocks. */
  readonly blocks: BlockStore;
  /** Pins `cid` and every block below it (fetching what is missing). */
  pin(cid: CID, options?: BlockReadOptions): Promise<void>;
  /** Unpins `cid`; E_NOT_FOUND when it is not pinned. */
  unpin(cid: CID): Promise<void>;
  /** The pinned roots. */
  pins(): AsyncIterable<PinInfo>;
  /** Whether `cid` is pinned as a root. */
  isPinned(cid: CID): Promise<boolean>;
  /** Deletes every block no pin holds; resolves to how many were removed (null when unknown). */
  gc(): Promise<number | null>;
  /** Releases it (the Helia node, open files); never stops the shared libp2p host. */
  stop(): Promise<void>;
}
