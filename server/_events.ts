/**
 * GET /v1/events: a WebSocket that streams every event of the node's bus,
 * one JSON text message `{ name, detail, at }` per event. The socket closes
 * when the client goes, when it reads too slowly, or when the node stops.
 *
 * @module
 */
import type { Context } from "hono";
import { toBase64 } from "../core/bytes.ts";
import { MeteorError } from "../core/errors.ts";
import type { ApiNode } from "../server.ts";
import { EVENTS_PROTOCOL } from "./_guard.ts";

/** A client that lets this much pile up unsent is closed (1013, try again later). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Event details are JSON; bytes, if a plugin emits any, travel as base64. */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? toBase64(value) : value;
}

/** The handler for GET /v1/events. */
export function eventsHandler(node: ApiNode) {
  return (c: Context): Response => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new MeteorError("E_MALFORMED", "Cannot open event stream: not a WebSocket upgrade");
    }
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",")
      .map((p) => p.trim()).filter((p) => p !== "");
    if (offered.length > 0 && !offered.includes(EVENTS_PROTOCOL)) {
      throw new MeteorError(
        "E_MALFORMED",
        `Cannot open event stream: offer the subprotocol "${EVENTS_PROTOCOL}"`,
      );
    }
    let upgrade: { socket: WebSocket; response: Response };
    try {
      upgrade = Deno.upgradeWebSocket(
        c.req.raw,
        offered.length > 0 ? { protocol: EVENTS_PROTOCOL } : {},
      );
    } catch (err) {
      // RFC 6455 §4.2.1: Deno refuses a handshake without Connection: Upgrade,
      // Sec-WebSocket-Key or Sec-WebSocket-Version 13; the client is at fault.
      throw new MeteorError(
        "E_MALFORMED",
        "Cannot open event stream: not a valid WebSocket handshake",
        { cause: err },
      );
    }
    const { socket, response } = upgrade;
    const done = new AbortController();
    const signal = AbortSignal.any([done.signal, node.signal]);
    const close = (code: number, reason: string) => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close(code, reason);
      }
    };
    socket.onopen = () => {
      node.events.onAny((event) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return close(1013, "reading too slowly");
        socket.send(JSON.stringify(event, replacer));
      }, { signal });
    };
    socket.onclose = () => done.abort();
    socket.onerror = () => done.abort();
    node.signal.addEventListener("abort", () => close(1001, "node stopping"), {
      once: true,
      signal: done.signal,
    });
    return response;
  };
}
