/**
 * Typed records over Meteor sessions (docs/protocol.md §7.3): other plugins
 * send bytes to a MeteorID under a record type of their own
 * (`<plugin>/<name>`) and handle the records of their types, end-to-end
 * encrypted by the session, without protocols of their own. Sending is best
 * effort on the live session: a plugin that needs durability keeps its own
 * queue and acknowledgements.
 *
 * @module
 */
import { toHex } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import { encodeRecord, RECORD_TYPE } from "./_records.ts";
import type { Channels } from "./channels.ts";
import { MAX_DATA_LENGTH, type Session } from "./session/mod.ts";

/** A received record. */
export interface ReceivedRecord {
  /** The sender's MeteorID (authenticated by the session). */
  from: Uint8Array;
  /** The record type. */
  type: string;
  /** The payload. */
  payload: Uint8Array;
}

/** Handles one record; a rejection is logged and counted, the session carries on. */
export type RecordHandler = (record: ReceivedRecord) => void | Promise<void>;

/** The typed channel a plugin receives, scoped to its own record types. */
export interface RecordChannel {
  /**
   * Sends `payload` to `meteorId` as a record of `type` over its Meteor
   * session, opening one when needed; resolves once it is written.
   *
   * @throws {MeteorError} E_NO_ADDRESS, E_UNREACHABLE, E_HANDSHAKE, E_TIMEOUT
   * when no session can be opened; E_TOO_LARGE over the session's data limit
   */
  send(meteorId: Uint8Array, type: string, payload: Uint8Array): Promise<void>;
  /** Handles records of `type` (one handler per type); returns what removes it. */
  handle(type: string, handler: RecordHandler): () => void;
}

/** The header of a plugin record: kind byte and type length byte. */
const HEADER_BYTES = 2;

/**
 * Every plugin's record handlers, and the scoped channels handed out.
 *
 * @example
 * ```ts ignore
 * const records = new PluginRecords(channels, counts, debug);
 * const ipfs = records.scoped("ipfs");
 * ipfs.handle("ipfs/file", ({ from, payload }) => ...);
 * ```
 */
export class PluginRecords {
  readonly #channels: Channels;
  readonly #counts: Record<string, number>;
  readonly #debug: (what: string, err: unknown) => void;
  readonly #handlers = new Map<string, RecordHandler>();

  /** Records sent on `channels`; figures go to `counts`. */
  constructor(
    channels: Channels,
    counts: Record<string, number>,
    debug: (what: string, err: unknown) => void,
  ) {
    this.#channels = channels;
    this.#counts = counts;
    this.#debug = debug;
  }

  /** The channel of plugin `plugin`: it sends and handles `<plugin>/...` types only. */
  scoped(plugin: string): RecordChannel {
    const check = (type: string) => {
      if (!RECORD_TYPE.test(type) || !type.startsWith(`${plugin}/`)) {
        throw new MeteorError(
          "E_PLUGIN",
          `Cannot use record type "${type}": plugin "${plugin}" may use "${plugin}/<name>" only`,
        );
      }
    };
    return Object.freeze({
      send: async (meteorId: Uint8Array, type: string, payload: Uint8Array) => {
        check(type);
        if (payload.length + HEADER_BYTES + type.length > MAX_DATA_LENGTH) {
          throw new MeteorError(
            "E_TOO_LARGE",
            `Cannot send record: over ${MAX_DATA_LENGTH} bytes with its header`,
          );
        }
        const channel = await this.#channels.to(toHex(meteorId));
        channel.session.send(encodeRecord({ type: "plugin", recordType: type, payload }));
        this.#counts.recordsOut++;
        await channel.framed.drained();
      },
      handle: (type: string, handler: RecordHandler) => {
        check(type);
        if (this.#handlers.has(type)) {
          throw new MeteorError(
            "E_PLUGIN",
            `Cannot handle record type "${type}": it has a handler`,
          );
        }
        this.#handlers.set(type, handler);
        return () => {
          if (this.#handlers.get(type) === handler) this.#handlers.delete(type);
        };
      },
    });
  }

  /** Hands a received record to its handler; one nobody handles is counted and dropped. */
  deliver(session: Session, type: string, payload: Uint8Array): void {
    const handler = this.#handlers.get(type);
    if (!handler) {
      this.#counts.recordsUnhandled++;
      return;
    }
    this.#counts.recordsIn++;
    const from = session.peer.meteorId.slice();
    Promise.resolve()
      .then(() => handler({ from, type, payload }))
      .catch((err) => {
        this.#counts.recordHandlerFailures++;
        this.#debug(`record handler for ${type}`, err);
      });
  }
}
