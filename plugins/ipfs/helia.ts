/**
 * The embedded backend: a Helia node on the node's one libp2p host (the
 * p2p plugin's shared view, whose start() and stop() do nothing), with
 * bitswap as its only block broker (no HTTP gateways, no delegated routing:
 * nothing leaves the Meteor network), blocks in blockstore-fs and pins in a
 * SQLite datastore, both under the plugin's folder.
 *
 * @module
 */
// @ts-types="./_helia.d.ts"
import { withBitswap } from "@helia/bitswap";
import { FsBlockstore } from "blockstore-fs";
// @ts-types="./_helia.d.ts"
import { createHeliaLight } from "helia";
import type { Libp2p } from "libp2p";
import type { DatabaseSync } from "node:sqlite";
import { MeteorError } from "../../core/errors.ts";
import { SqliteDatastore } from "../p2p/mod.ts";
import type { CID } from "multiformats/cid";
import type { IpfsBackend } from "./backend.ts";

/** What the Helia backend is built from. */
export interface HeliaOptions {
  /** The shared host (P2PApi.libp2p). */
  libp2p: Libp2p;
  /** The folder of blockstore-fs. */
  blocksDir: string;
  /** The plugin database holding the datastore table (pins). */
  db: DatabaseSync;
}

/** Starts Helia on the shared host; its stop() releases Helia and the blockstore only. */
export async function startHelia(options: HeliaOptions): Promise<IpfsBackend> {
  const blockstore = new FsBlockstore(options.blocksDir);
  await blockstore.open();
  const helia = createHeliaLight({ blockstore, datastore: new SqliteDatastore(options.db) });
  // Helia 7's libp2p mixin always creates a host of its own: give it the
  // shared one instead, which bitswap reads from its components.
  Object.defineProperty(helia, "libp2p", { value: options.libp2p, enumerable: true });
  withBitswap(helia);
  await helia.start();
  return {
    kind: "helia",
    blocks: helia.blockstore,
    async pin(cid, { signal } = {}) {
      if (await helia.pins.isPinned(cid, { signal })) return;
      for await (const _ of helia.pins.add(cid, { signal })) {
        // Each yielded CID is a block now held by the pin.
      }
    },
    async unpin(cid: CID) {
      if (!(await helia.pins.isPinned(cid))) {
        throw new MeteorError("E_NOT_FOUND", `Cannot unpin ${cid}: it is not pinned`);
      }
      for await (const _ of helia.pins.rm(cid)) {
        // Each yielded CID is a block the pin no longer holds.
      }
    },
    async *pins() {
      for await (const pin of helia.pins.ls()) yield { cid: pin.cid };
    },
    isPinned: (cid) => helia.pins.isPinned(cid),
    async gc() {
      let removed = 0;
      await helia.gc({ onProgress: (e) => void (e.type === "helia:gc:deleted" && removed++) });
      return removed;
    },
    async stop() {
      await helia.stop();
      await blockstore.close();
    },
  };
}
