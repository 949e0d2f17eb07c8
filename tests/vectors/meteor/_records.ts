/**
 * The record vectors (docs/protocol.md §7, §11): direct-message records
 * byte for byte (message, ack, acks, plugin record) and malformed ones with
 * the error a receiver counts them under. Records carry no randomness: the
 * bytes follow from the fields alone.
 *
 * @module
 */
import { concat, toHex, utf8 } from "../../../core/bytes.ts";
import { type DirectRecord, encodeRecord } from "../../../plugins/p2p/_records.ts";

/** Well-formed records and what they decode to. */
const VALID: [string, DirectRecord][] = [
  ["message", { type: "message", id: "m-1", sentAt: 1_767_225_600_000, text: "hello, Meteor" }],
  ["ack", { type: "ack", id: "m-1" }],
  ["acks of one id", { type: "acks", ids: ["m-1"] }],
  ["acks of two ids", { type: "acks", ids: ["m-1", "m-22"] }],
  ["acks naming an id twice", { type: "acks", ids: ["a", "a"] }],
  ["acks of two UUIDs", {
    type: "acks",
    ids: ["0f4c2d2e-5a5b-4c3e-9d1e-000000000000", "0f4c2d2e-5a5b-4c3e-9d1e-000000000001"],
  }],
  ["acks with a 64-character id", { type: "acks", ids: ["x".repeat(64)] }],
  ["plugin record", { type: "plugin", recordType: "ipfs/file", payload: utf8("cid") }],
];

/** Malformed records: each is dropped and counted under `error`. */
const MALFORMED: [string, Uint8Array][] = [
  ["acks with no id", new Uint8Array([0x04])],
  ["acks with an empty id", new Uint8Array([0x04, 0x00, 0x00])],
  [
    "acks whose second id is cut short",
    concat(new Uint8Array([0x04, 1]), utf8("a"), new Uint8Array([3]), utf8("bc")),
  ],
  ["acks with a space in an id", concat(new Uint8Array([0x04, 3]), utf8("a b"))],
  ["acks with a 65-character id", concat(new Uint8Array([0x04, 65]), utf8("x".repeat(65)))],
  ["ack with a trailing byte", concat(new Uint8Array([0x02, 3]), utf8("m-1"), new Uint8Array(1))],
  ["unknown type 0x05", concat(new Uint8Array([0x05, 3]), utf8("m-1"))],
];

/** A record as JSON: a plugin record's payload in hex. */
function recordJson(record: DirectRecord): Record<string, unknown> {
  return record.type === "plugin" ? { ...record, payload: toHex(record.payload) } : record;
}

/** The vectors of records.json: `record` (the decoded fields) and `bytes`, or `bytes` and `error`. */
export function recordVectors(): Record<string, unknown>[] {
  return [
    ...VALID.map(([name, record]) => ({
      name,
      record: recordJson(record),
      bytes: toHex(encodeRecord(record)),
    })),
    ...MALFORMED.map(([name, bytes]) => ({ name, bytes: toHex(bytes), error: "E_MALFORMED" })),
  ];
}
