/**
 * Direct-message records carried as session application data
 * (docs/protocol.md §7): a message (id, send time, UTF-8 text), the
 * acknowledgement of a stored message, or one acknowledgement of several
 * messages stored in one commit.
 *
 * @module
 */
import { concat, fromUtf8, utf8 } from "../../core/bytes.ts";
import { MeteorError } from "../../core/errors.ts";
import { MAX_DATA_LENGTH } from "./session/mod.ts";

/** The longest message text, in UTF-8 bytes (§7); the shortest is 1 byte. */
export const MAX_TEXT_BYTES = 16 * 1024;

const TYPE_MESSAGE = 0x01;
const TYPE_ACK = 0x02;
const TYPE_PLUGIN = 0x03;
const TYPE_ACKS = 0x04;
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A plugin's record type: `<plugin>/<name>`, ASCII, at most 64 bytes
 * (docs/protocol.md §7.3).
 */
export const RECORD_TYPE = /^[a-z][a-z0-9-]{0,31}\/[a-z0-9][a-z0-9/_-]{0,30}$/;

/** A decoded record. */
export type DirectRecord =
  | { type: "message"; id: string; sentAt: number; text: string }
  | { type: "ack"; id: string }
  | { type: "acks"; ids: string[] }
  | { type: "plugin"; recordType: string; payload: Uint8Array };

function malformed(state: string): MeteorError {
  return new MeteorError("E_MALFORMED", `Cannot decode record: ${state}`);
}

function encodeId(id: string): Uint8Array {
  if (!MESSAGE_ID.test(id)) throw new RangeError("message id must be 1 to 64 of A-Z a-z 0-9 _ -");
  return concat(new Uint8Array([id.length]), utf8(id));
}

/** Encodes a record: `type || u8(len(id)) || id || rest` (§7), or a plugin record (§7.3). */
export function encodeRecord(record: DirectRecord): Uint8Array {
  if (record.type === "plugin") {
    if (!RECORD_TYPE.test(record.recordType)) {
      throw new RangeError("record type must be <plugin>/<name> (docs/protocol.md §7.3)");
    }
    return concat(
      new Uint8Array([TYPE_PLUGIN, record.recordType.length]),
      utf8(record.recordType),
      record.payload,
    );
  }
  if (record.type === "ack") return concat(new Uint8Array([TYPE_ACK]), encodeId(record.id));
  if (record.type === "acks") {
    if (record.ids.length === 0) throw new RangeError("an acks record names at least one id");
    return concat(new Uint8Array([TYPE_ACKS]), ...record.ids.map(encodeId));
  }
  const text = utf8(record.text);
  if (text.length === 0) {
    throw new MeteorError("E_MALFORMED", "Cannot send message: the text is empty");
  }
  if (!Number.isSafeInteger(record.sentAt) || record.sentAt < 0) {
    throw new RangeError("sentAt must be an integer from 0 to 2^53 - 1");
  }
  if (text.length > MAX_TEXT_BYTES) {
    throw new MeteorError("E_TOO_LARGE", `Cannot send message: text over ${MAX_TEXT_BYTES} bytes`);
  }
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(record.sentAt));
  return concat(new Uint8Array([TYPE_MESSAGE]), encodeId(record.id), time, text);
}

/**
 * Decodes a record.
 *
 * @throws {MeteorError} E_MALFORMED for anything but a well-formed record
 */
export function decodeRecord(bytes: Uint8Array): DirectRecord {
  if (bytes.length < 3) throw malformed("too short");
  if (bytes[0] === TYPE_PLUGIN) return decodePluginRecord(bytes);
  if (bytes[0] === TYPE_ACKS) return { type: "acks", ids: decodeIds(bytes) };
  const idLength = bytes[1];
  const idEnd = 2 + idLength;
  if (bytes.length < idEnd) throw malformed("truncated id");
  const id = String.fromCharCode(...bytes.subarray(2, idEnd));
  if (!MESSAGE_ID.test(id)) throw malformed("bad id");
  if (bytes[0] === TYPE_ACK && bytes.length === idEnd) return { type: "ack", id };
  if (bytes[0] !== TYPE_MESSAGE || bytes.length < idEnd + 8) throw malformed("bad type or length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const time = view.getBigUint64(idEnd);
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("sentAt past 2^53 - 1");
  const sentAt = Number(time);
  const body = bytes.subarray(idEnd + 8);
  if (body.length === 0) throw malformed("empty text");
  if (body.length > MAX_TEXT_BYTES) throw malformed("text too long");
  try {
    return { type: "message", id, sentAt, text: fromUtf8(body) };
  } catch {
    throw malformed("text is not UTF-8");
  }
}

/** The ids of `0x04 || (u8(len(id)) || id)+` (§7), to the record's last byte. */
function decodeIds(bytes: Uint8Array): string[] {
  const ids: string[] = [];
  for (let at = 1; at < bytes.length;) {
    const end = at + 1 + bytes[at];
    if (end > bytes.length) throw malformed("truncated id");
    const id = String.fromCharCode(...bytes.subarray(at + 1, end));
    if (!MESSAGE_ID.test(id)) throw malformed("bad id");
    ids.push(id);
    at = end;
  }
  return ids;
}

/**
 * Acks records acknowledging `ids` in order, as few as fit: each at most
 * `maxBytes` (a data frame's 65,536 by default, §5). One id gives a plain
 * ack record (0x02), which every version of the protocol reads.
 */
export function encodeAcks(ids: readonly string[], maxBytes = MAX_DATA_LENGTH): Uint8Array[] {
  if (ids.length === 1) return [encodeRecord({ type: "ack", id: ids[0] })];
  const records: Uint8Array[] = [];
  let run: string[] = [];
  let size = 1;
  for (const id of ids) {
    if (run.length > 0 && size + 1 + id.length > maxBytes) {
      records.push(encodeRecord({ type: "acks", ids: run }));
      run = [];
      size = 1;
    }
    run.push(id);
    size += 1 + id.length;
  }
  if (run.length > 0) records.push(encodeRecord({ type: "acks", ids: run }));
  return records;
}

/** `0x03 || u8(len(type)) || type || payload` (§7.3). */
function decodePluginRecord(bytes: Uint8Array): DirectRecord {
  const end = 2 + bytes[1];
  if (bytes.length < end) throw malformed("truncated record type");
  const recordType = String.fromCharCode(...bytes.subarray(2, end));
  if (!RECORD_TYPE.test(recordType)) throw malformed("bad record type");
  return { type: "plugin", recordType, payload: bytes.slice(end) };
}
