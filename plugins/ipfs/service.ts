/**
 * What the routes and transfers do with files (docs/ipfs.md §4): put
 * (encrypt, add, pin, record), open (fetch with every block verified,
 * decrypt), pins, unpin and gc, on whichever backend runs.
 *
 * @module
 */
import { decryptStream, encryptStream, type Identity, type Recipient } from "../../core/age/mod.ts";
import type { EventBus } from "../../core/events.ts";
import type { CID } from "multiformats/cid";
import type { IpfsBackend } from "./backend.ts";
import { addFile, catFile, readError } from "./files.ts";
import type { IpfsTables } from "./store.ts";

declare module "../../core/events.ts" {
  interface MeteorEventMap {
    /** Bytes of a put or get went through (every 8 MiB, and once at the end). */
    "ipfs:progress": { op: "put" | "get"; cid: string | null; bytes: number; done: boolean };
  }
}

/** Progress events come at most once per this many bytes. */
const PROGRESS_STEP = 8 * 1024 * 1024;

/** What a put came to. */
export interface PutResult {
  /** The root CID. */
  cid: string;
  /** Plaintext bytes. */
  size: number;
  /** Bytes stored (the age file when encrypted). */
  stored: number;
  /** Whether it was encrypted. */
  encrypted: boolean;
}

/** A pinned root as GET /v1/pins lists it. */
export interface PinEntry {
  cid: string;
  /** Plaintext bytes, when this node added it (else null). */
  size: number | null;
  /** Whether this node added it encrypted (null when it did not add it). */
  encrypted: boolean | null;
}

/**
 * An AbortSignal that aborts when `touch()` is not called for `ms`: a fetch
 * is bounded by how long it waits for the next block, not by its size.
 */
export function idleSignal(ms: number, outer?: AbortSignal) {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), ms);
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    touch() {
      clearTimeout(timer);
      if (!controller.signal.aborted) timer = setTimeout(() => controller.abort(), ms);
    },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** Counts bytes through, emitting progress events. */
function counter(
  events: EventBus,
  op: "put" | "get",
  cid: string | null,
  onBytes?: () => void,
): { stream: TransformStream<Uint8Array, Uint8Array>; bytes(): number } {
  let bytes = 0;
  let next = PROGRESS_STEP;
  return {
    bytes: () => bytes,
    stream: new TransformStream({
      transform(chunk, controller) {
        bytes += chunk.length;
        onBytes?.();
        if (bytes >= next) {
          next = bytes + PROGRESS_STEP;
          events.emit("ipfs:progress", { op, cid, bytes, done: false });
        }
        controller.enqueue(chunk);
      },
      flush() {
        events.emit("ipfs:progress", { op, cid, bytes, done: true });
      },
    }),
  };
}

/** The file operations of one running plugin. */
export class IpfsService {
  readonly #backend: IpfsBackend;
  readonly #tables: IpfsTables;
  readonly #identity: Identity;
  readonly #events: EventBus;
  readonly #fetchTimeoutMs: number;

  /** Files on `backend`, recorded in `tables`, decrypted with `identity`. */
  constructor(options: {
    backend: IpfsBackend;
    tables: IpfsTables;
    identity: Identity;
    events: EventBus;
    fetchTimeoutMs: number;
  }) {
    this.#backend = options.backend;
    this.#tables = options.tables;
    this.#identity = options.identity;
    this.#events = options.events;
    this.#fetchTimeoutMs = options.fetchTimeoutMs;
  }

  /** The backend's kind. */
  get kind(): "helia" | "kubo" {
    return this.#backend.kind;
  }

  /**
   * Adds `content`, encrypted to `recipients` with age unless `plain`, then
   * pins and records it.
   */
  async put(
    content: ReadableStream<Uint8Array>,
    options: { plain: boolean; recipients: readonly Recipient[] },
  ): Promise<PutResult> {
    const plaintext = counter(this.#events, "put", null);
    let stored = content.pipeThrough(plaintext.stream);
    if (!options.plain) stored = await encryptStream(stored, options.recipients);
    const { cid, bytes } = await addFile(this.#backend.blocks, stored);
    await this.#backend.pin(cid);
    const result = {
      cid: cid.toString(),
      size: plaintext.bytes(),
      stored: bytes,
      encrypted: !options.plain,
    };
    this.#tables.recordAdded({ ...result, addedAt: Date.now() });
    return result;
  }

  /**
   * The content of `cid`, decrypted unless `plain`. Resolves once the first
   * blocks arrived and (when decrypting) the age header verified, so that a
   * missing CID (E_TIMEOUT after `fetchTimeoutMs` without a block), a wrong
   * recipient (E_NO_MATCHING_IDENTITY) or a bad header fails before any byte
   * is returned; the stream errors later on a refused block (E_CID_MISMATCH)
   * or ciphertext (E_DECRYPT_FAILED), after only verified plaintext.
   */
  async open(
    cid: CID,
    options: { plain: boolean; signal?: AbortSignal },
  ): Promise<ReadableStream<Uint8Array>> {
    const idle = idleSignal(this.#fetchTimeoutMs, options.signal);
    const text = cid.toString();
    const progress = counter(this.#events, "get", text, idle.touch);
    const guard = new TransformStream<Uint8Array, Uint8Array>({ flush: idle.clear });
    let stored = catFile(this.#backend.blocks, cid, idle.signal).pipeThrough(progress.stream);
    try {
      if (!options.plain) stored = await decryptStream(stored, [this.#identity]);
      else stored = await firstPieceReady(stored);
    } catch (err) {
      idle.clear();
      throw readError(cid, err, idle.signal);
    }
    return stored.pipeThrough(guard);
  }

  /** Pins `cid` (fetching what is missing, each block bounded by the fetch timeout). */
  async pin(cid: CID): Promise<void> {
    const idle = idleSignal(this.#fetchTimeoutMs);
    try {
      await this.#backend.pin(cid, { signal: idle.signal });
    } catch (err) {
      throw readError(cid, err, idle.signal);
    } finally {
      idle.clear();
    }
  }

  /** The pinned roots, with what this node recorded when it added them. */
  async pins(): Promise<PinEntry[]> {
    const list: PinEntry[] = [];
    for await (const { cid } of this.#backend.pins()) {
      const added = this.#tables.added(cid.toString());
      list.push({
        cid: cid.toString(),
        size: added?.size ?? null,
        encrypted: added?.encrypted ?? null,
      });
    }
    return list.sort((a, b) => a.cid < b.cid ? -1 : 1);
  }

  /** Unpins `cid` (E_NOT_FOUND when it is not pinned). */
  unpin(cid: CID): Promise<void> {
    return this.#backend.unpin(cid);
  }

  /** Removes every unpinned block; resolves to how many (null when the backend does not say). */
  gc(): Promise<number | null> {
    return this.#backend.gc();
  }
}

/** `stream` once its first piece (or its end) has arrived, so that a fetch failure rejects here. */
async function firstPieceReady(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
