/**
 * The part of `helia` and `@helia/bitswap` the embedded backend uses, typed
 * here: their own declarations reach @types/node (through
 * @multiformats/dns), whose `Event` then clashes with the Web one the rest
 * of Meteor is typed with. helia.ts imports both with `@ts-types` pointing
 * at this file.
 *
 * @module
 */
import type { Datastore } from "interface-datastore";
import type { CID } from "multiformats/cid";
import type { BlockStore } from "./backend.ts";

/** Abort options. */
export interface AbortOptions {
  signal?: AbortSignal;
}

/** A pin. */
export interface Pin {
  cid: CID;
}

/** Helia's pins (helia/dist/src/pins.d.ts). */
export interface Pins {
  add(cid: CID, options?: AbortOptions): AsyncGenerator<CID, void, undefined>;
  rm(cid: CID, options?: AbortOptions): AsyncGenerator<CID, void, undefined>;
  ls(options?: AbortOptions): AsyncGenerator<Pin, void, undefined>;
  isPinned(cid: CID, options?: AbortOptions): Promise<boolean>;
}

/** A Helia node (the fields the backend uses). */
export interface Helia {
  blockstore: BlockStore;
  pins: Pins;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  gc(options?: AbortOptions & { onProgress?(event: { type: string }): void }): Promise<void>;
}

/** helia's createHeliaLight: a node with no routing and no block broker. */
export declare function createHeliaLight(init?: {
  /** An interface-blockstore Blockstore (blockstore-fs). */
  blockstore?: object;
  datastore?: Datastore;
}): Helia;

/** @helia/bitswap's mixin: adds the bitswap block broker to a node that has `libp2p`. */
export declare function withBitswap<H extends Helia>(helia: H): H;
