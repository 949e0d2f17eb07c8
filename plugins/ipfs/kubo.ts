/**
 * The Kubo backend: blocks and pins of a Kubo node through kubo-rpc-client,
 * behind the same {@link IpfsBackend} as Helia. Files are still built and
 * read by this plugin (files.ts): blocks go to Kubo with `block/put` and come
 * back with `block/get`, each verified here, so the CIDs and checks are the
 * same on both backends.
 *
 * @module
 */
import { create } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import { MeteorError } from "../../core/errors.ts";
import type { IpfsBackend } from "./backend.ts";

const RAW = 0x55;

/** Connects to the Kubo RPC API at `url` (checked with `id`); E_UNREACHABLE when it does not answer. */
export async function connectKubo(url: string): Promise<IpfsBackend> {
  const kubo = create({ url });
  try {
    await kubo.id({ signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new MeteorError(
      "E_UNREACHABLE",
      `Cannot reach Kubo at ${url}: ${(err as Error).message}`,
    );
  }
  const asCid = (cid: { toString(): string }) => CID.parse(cid.toString());
  return {
    kind: "kubo",
    blocks: {
      async *get(cid, options) {
        yield await kubo.block.get(cid as never, { signal: options?.signal });
      },
      async put(cid, block, options) {
        const stored = await kubo.block.put(block, {
          format: cid.code === RAW ? "raw" : "dag-pb",
          mhtype: "sha2-256",
          version: 1,
          signal: options?.signal,
        } as never);
        return asCid(stored);
      },
      async has(cid, options) {
        try {
          await kubo.block.stat(cid as never, { offline: true, signal: options?.signal } as never);
          return true;
        } catch {
          return false;
        }
      },
    },
    async pin(cid, options) {
      await kubo.pin.add(cid as never, { signal: options?.signal });
    },
    async unpin(cid) {
      try {
        await kubo.pin.rm(cid as never);
      } catch (err) {
        if (/not pinned/i.test((err as Error).message)) {
          throw new MeteorError("E_NOT_FOUND", `Cannot unpin ${cid}: it is not pinned`);
        }
        throw err;
      }
    },
    async *pins() {
      for await (const pin of kubo.pin.ls({ type: "recursive" })) yield { cid: asCid(pin.cid) };
    },
    async isPinned(cid) {
      for await (const pin of kubo.pin.ls({ type: "recursive" })) {
        if (asCid(pin.cid).equals(cid)) return true;
      }
      return false;
    },
    async gc() {
      let removed = 0;
      for await (const r of kubo.repo.gc()) if (!r.err) removed++;
      return removed;
    },
    stop: () => Promise.resolve(),
  };
}
