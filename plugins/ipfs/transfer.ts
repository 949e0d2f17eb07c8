/**
 * Sending files to peers (docs/ipfs.md §6). The sender adds the file
 * encrypted to the peer (and itself), pins it and queues an outbox item; an
 * `ipfs/file` record `{id, cid, name, size}` goes over the Meteor session and
 * is sent again, with backoff, until the peer answers `ipfs/ack {id, done:
 * true}`. The receiver records the offer once, answers `done: false`, fetches
 * the blocks by bitswap (each verified), decrypts, saves the file and pins
 * it, then answers `done: true` (with `error` when it cannot ever succeed).
 * Both tables are durable: a restart of either side resumes.
 *
 * @module
 */
import type { Hono } from "hono";
import { basename } from "node:path";
import { fromUtf8, utf8 } from "../../core/bytes.ts";
import type { Recipient } from "../../core/age/mod.ts";
import { resolvePeerName } from "../../core/contacts.ts";
import { isMeteorError, MeteorError } from "../../core/errors.ts";
import type { EventBus } from "../../core/events.ts";
import { formatMeteorId } from "../../core/identity/mod.ts";
import type { Logger } from "../../core/logger.ts";
import type { PluginCounters } from "../../core/plugin.ts";
import type { Contacts } from "../../core/store/mod.ts";
import { readJsonBody } from "../../server/json_body.ts";
import type { RecordChannel } from "../p2p/mod.ts";
import { parseCid } from "./files.ts";
import type { ExtraRoutes } from "./routes.ts";
import type { IpfsService } from "./service.ts";
import type { IpfsTables, ReceivedRow } from "./store.ts";

declare module "../../core/events.ts" {
  interface MeteorEventMap {
    /** A file a peer sent was fetched, decrypted and saved (or failed for good, with `error`). */
    "ipfs:received": {
      from: string;
      id: string;
      cid: string;
      name: string;
      size: number;
      path: string | null;
      error: string | null;
    };
    /** A peer acknowledged a sent file as saved (or failed for good, with `error`). */
    "ipfs:delivered": { to: string; id: string; cid: string; error: string | null };
  }
}

/** The record that offers a file. */
export const FILE_RECORD = "ipfs/file";
/** The record that acknowledges one. */
export const ACK_RECORD = "ipfs/ack";
/** The longest retry period, in ms. */
const MAX_BACKOFF_MS = 60_000;
/** The longest file name kept, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;
/** Errors a later fetch may not have: the blocks did not come, the peer was not there. */
const TRANSIENT = new Set(["E_TIMEOUT", "E_NOT_FOUND", "E_UNREACHABLE", "E_NO_ADDRESS", "E_IO"]);

/** A file offer on the wire. */
interface Offer {
  id: string;
  cid: string;
  name: string;
  size: number;
}

/** A safe file name from what a peer sent: its last path part, no control characters. */
export function safeName(name: string): string {
  // deno-lint-ignore no-control-regex
  let clean = basename(name.replaceAll("\\", "/")).replace(/[\x00-\x1f\x7f]/g, "").trim();
  if (clean === "" || clean === "." || clean === "..") clean = "file";
  while (utf8(clean).length > MAX_NAME_BYTES) clean = clean.slice(0, -1);
  return clean;
}

function parseOffer(payload: Uint8Array): Offer {
  const offer = JSON.parse(fromUtf8(payload)) as Partial<Offer>;
  if (
    typeof offer.id !== "string" || !/^[0-9a-f]{32}$/.test(offer.id) ||
    typeof offer.cid !== "string" || typeof offer.name !== "string" ||
    !Number.isSafeInteger(offer.size) || (offer.size as number) < 0
  ) {
    throw new MeteorError("E_MALFORMED", "Cannot read file offer: bad fields");
  }
  parseCid(offer.cid);
  return offer as Offer;
}

function backoff(retryMs: number, attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(attempts, 16));
}

/** What the transfers are built from. */
export interface TransferOptions {
  service: IpfsService;
  tables: IpfsTables;
  records: RecordChannel;
  contacts: Contacts;
  events: EventBus;
  logger: Logger;
  counters: PluginCounters;
  /** A peer's age recipient (its X-Wing key, from its verified identity document). */
  keyOf(meteorId: Uint8Array): Promise<Recipient>;
  /** Where received files are saved. */
  saveDir: string;
  /** The first retry period, in ms. */
  retryMs: number;
}

/** The outbox and the received files of one running plugin. */
export class Transfers {
  readonly #o: TransferOptions;
  readonly #stopping = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tick: Promise<void> = Promise.resolve();
  #removers: (() => void)[] = [];
  #figures = { filesSent: 0, filesDelivered: 0, filesReceived: 0, fetchFailures: 0 };

  /** Transfers with `options`; call {@link start}. */
  constructor(options: TransferOptions) {
    this.#o = options;
  }

  /** Handles the records and starts the retry loop. */
  start(): void {
    this.#removers = [
      this.#o.records.handle(FILE_RECORD, ({ from, payload }) => this.#onOffer(from, payload)),
      this.#o.records.handle(ACK_RECORD, ({ from, payload }) => this.#onAck(from, payload)),
    ];
    this.#schedule(0);
  }

  /** Stops the loop and any fetch in flight (it resumes at the next start). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearTimeout(this.#timer);
    for (const remove of this.#removers) remove();
    await this.#tick.catch(() => {});
  }

  /** Figures for GET /v1/stats. */
  stats(): Record<string, number> {
    return { ...this.#figures };
  }

  #schedule(ms: number): void {
    if (this.#stopping.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#tick = this.#tick.then(() => this.#run()).finally(() =>
        this.#schedule(this.#o.retryMs)
      );
    }, ms);
  }

  async #run(): Promise<void> {
    const now = Date.now();
    for (const item of this.#o.tables.dueOutbox(now)) {
      if (this.#stopping.signal.aborted) return;
      this.#o.tables.retryOutbox(item.id, now + backoff(this.#o.retryMs, item.attempts));
      const offer: Offer = { id: item.id, cid: item.cid, name: item.name, size: item.size };
      await this.#o.records.send(item.recipient, FILE_RECORD, utf8(JSON.stringify(offer)))
        .then(() => this.#o.counters.add({ messagesOut: 1 }))
        .catch((err) => this.#o.logger.debug("file offer not sent", { code: err?.code }));
    }
    for (const row of this.#o.tables.duePending(now)) {
      if (this.#stopping.signal.aborted) return;
      await this.#fetch(row);
    }
  }

  /** Queues `cid` (added by this node) for `to`; resolves to the outbox id. */
  send(to: string, cidText: string, name: string | undefined): { id: string; to: string } {
    const cid = parseCid(cidText).toString();
    const added = this.#o.tables.added(cid);
    if (added === undefined) {
      throw new MeteorError("E_NOT_FOUND", `Cannot send file: this node did not put ${cid}`);
    }
    const recipient = resolvePeerName(this.#o.contacts, to, "send file");
    const id = Array.from(
      crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    this.#o.tables.enqueue({
      id,
      recipient,
      cid,
      name: safeName(name ?? cid),
      size: added.size,
      createdAt: Date.now(),
    });
    this.#figures.filesSent++;
    this.#schedule(0);
    return { id, to: formatMeteorId(recipient) };
  }

  async #ack(to: Uint8Array, id: string, done: boolean, error: string | null): Promise<void> {
    const ack = { id, done, ...(error === null ? {} : { error }) };
    await this.#o.records.send(to, ACK_RECORD, utf8(JSON.stringify(ack)));
  }

  async #onOffer(from: Uint8Array, payload: Uint8Array): Promise<void> {
    const offer = parseOffer(payload);
    this.#o.counters.add({ messagesIn: 1, bytesIn: payload.length });
    const row = this.#o.tables.receive({
      sender: from,
      id: offer.id,
      cid: offer.cid,
      name: safeName(offer.name),
      size: offer.size,
    }, Date.now());
    await this.#ack(from, row.id, row.state !== "pending", row.error);
    if (row.state === "pending") this.#schedule(0);
  }

  #onAck(from: Uint8Array, payload: Uint8Array): void {
    const ack = JSON.parse(fromUtf8(payload)) as { id?: unknown; done?: unknown; error?: unknown };
    if (typeof ack.id !== "string" || typeof ack.done !== "boolean") {
      throw new MeteorError("E_MALFORMED", "Cannot read file ack: bad fields");
    }
    const error = typeof ack.error === "string" ? ack.error.slice(0, 200) : null;
    if (!ack.done) {
      // The peer has the offer and is fetching: ask again only much later.
      this.#o.tables.retryOutbox(ack.id, Date.now() + MAX_BACKOFF_MS);
      return;
    }
    if (this.#o.tables.deliver(from, ack.id, error, Date.now())) {
      const item = this.#o.tables.outboxItem(ack.id)!;
      this.#figures.filesDelivered++;
      this.#o.events.emit("ipfs:delivered", {
        to: formatMeteorId(from),
        id: ack.id,
        cid: item.cid,
        error,
      });
    }
  }

  /** Fetches, decrypts and saves one received file; transient failures are retried later. */
  async #fetch(row: ReceivedRow): Promise<void> {
    const { sender, id } = row;
    // Telling the sender opens a session to it, so bitswap has a connection to ask on.
    await this.#ack(sender, id, false, null).catch(() => {});
    try {
      const cid = parseCid(row.cid);
      const plaintext = await this.#o.service.open(cid, {
        plain: false,
        signal: this.#stopping.signal,
      });
      const path = await saveFile(this.#o.saveDir, row.name, plaintext);
      await this.#o.service.pin(cid);
      this.#o.tables.settle(sender, id, { path });
      this.#figures.filesReceived++;
      this.#emitReceived(row, path, null);
      await this.#ack(sender, id, true, null).catch(() => {});
    } catch (err) {
      const code = isMeteorError(err) ? err.code : "E_INTERNAL";
      this.#figures.fetchFailures++;
      if (this.#stopping.signal.aborted || TRANSIENT.has(code)) {
        this.#o.tables.retryPending(
          sender,
          id,
          Date.now() + backoff(this.#o.retryMs, row.attempts),
          code,
        );
        return;
      }
      this.#o.tables.settle(sender, id, { error: code });
      this.#emitReceived(row, null, code);
      await this.#ack(sender, id, true, code).catch(() => {});
    }
  }

  #emitReceived(row: ReceivedRow, path: string | null, error: string | null): void {
    this.#o.events.emit("ipfs:received", {
      from: formatMeteorId(row.sender),
      id: row.id,
      cid: row.cid,
      name: row.name,
      size: row.size,
      path,
      error,
    });
  }

  /** The transfer routes: POST /v1/files/{cid}/send, GET /v1/files, GET /v1/files/sent/{id}. */
  routes(): ExtraRoutes {
    const json = (description: string) => ({
      description,
      content: { "application/json": { schema: { type: "object" } } },
    });
    const err = (description: string) => ({
      description,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
    return {
      install: (app: Hono) => {
        app.post("/files/:cid/send", async (c) => {
          const body = await readJsonBody(c, { maxBytes: 4096 });
          if (typeof body.to !== "string") {
            throw new MeteorError("E_MALFORMED", 'Cannot send file: "to" must be a string');
          }
          if (body.name !== undefined && typeof body.name !== "string") {
            throw new MeteorError("E_MALFORMED", 'Cannot send file: "name" must be a string');
          }
          return c.json(this.send(body.to, c.req.param("cid"), body.name as string), 202);
        });
        app.get("/files", (c) =>
          c.json({
            files: this.#o.tables.receivedFiles().map((r) => ({
              id: r.id,
              cid: r.cid,
              name: r.name,
              size: r.size,
              from: formatMeteorId(r.sender),
              receivedAt: r.receivedAt,
              state: r.state,
              path: r.path,
              error: r.error,
            })),
          }));
        app.get("/files/sent/:id", (c) => {
          const item = this.#o.tables.outboxItem(c.req.param("id"));
          if (!item) throw new MeteorError("E_NOT_FOUND", "Cannot find sent file: no such id");
          return c.json({
            id: item.id,
            to: formatMeteorId(item.recipient),
            cid: item.cid,
            name: item.name,
            size: item.size,
            attempts: item.attempts,
            delivered: item.deliveredAt !== null,
            deliveredAt: item.deliveredAt,
            error: item.error,
          });
        });
      },
      openapi: {
        "/files/{cid}/send": {
          post: {
            summary: "Sends a file this node put to a peer (contact name or MeteorID), durably",
            parameters: [{ name: "cid", in: "path", required: true, schema: { type: "string" } }],
            requestBody: {
              description: "The peer and the file name it sees",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["to"],
                    properties: { to: { type: "string" }, name: { type: "string" } },
                  },
                },
              },
            },
            responses: {
              "202": json("Queued: {id, to}"),
              "400": err("Malformed (E_MALFORMED, E_BAD_ID)"),
              "404": err("No such contact, or a CID this node did not put (E_NOT_FOUND)"),
            },
          },
        },
        "/files": {
          get: {
            summary: "Files peers sent to this node, newest first",
            responses: { "200": json("{files: [...]}") },
          },
        },
        "/files/sent/{id}": {
          get: {
            summary: "The state of a sent file",
            parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
            responses: { "200": json("The outbox item"), "404": err("No such id (E_NOT_FOUND)") },
          },
        },
      },
    };
  }
}

/**
 * Writes `plaintext` to a temporary file in `dir`, then links it to `name`
 * (or `name (1)`, `name (2)`, ... when taken): a failed fetch or decryption
 * leaves no file behind. Resolves to the path.
 */
async function saveFile(
  dir: string,
  name: string,
  plaintext: ReadableStream<Uint8Array>,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = await Deno.makeTempFile({ dir, prefix: ".meteor-", suffix: ".part" });
  try {
    const file = await Deno.open(temp, { write: true, truncate: true, mode: 0o600 });
    await plaintext.pipeTo(file.writable);
    for (let n = 0;; n++) {
      const dot = name.lastIndexOf(".");
      const stem = dot > 0 ? name.slice(0, dot) : name;
      const ext = dot > 0 ? name.slice(dot) : "";
      const path = `${dir}/${n === 0 ? name : `${stem} (${n})${ext}`}`;
      try {
        await Deno.link(temp, path);
        return path;
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
  } catch (err) {
    if (isMeteorError(err)) throw err;
    throw new MeteorError("E_IO", `Cannot save received file: ${(err as Error).message}`);
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}
