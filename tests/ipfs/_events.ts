/**
 * The events a real daemon sends on its WebSocket (GET /v1/events), as a
 * test records them.
 *
 * @module
 */
import type { BusEvent } from "../../core/events.ts";
import type { RunningDaemon } from "../../cli/daemon.ts";
import { EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../../server.ts";

/** Every event received on one open /v1/events socket, and its close. */
export interface EventLog {
  /** The events so far, in arrival order. */
  readonly events: BusEvent[];
  /** Closes the socket and resolves once it closed. */
  close(): Promise<void>;
}

/** Opens /v1/events on `daemon` (the token as subprotocol) and records what arrives. */
export async function eventLog(daemon: RunningDaemon): Promise<EventLog> {
  const socket = new WebSocket(daemon.url.replace("http:", "ws:") + "/v1/events", [
    EVENTS_PROTOCOL,
    `${TOKEN_PROTOCOL_PREFIX}${daemon.node.token}`,
  ]);
  const events: BusEvent[] = [];
  socket.addEventListener("message", (e) => events.push(JSON.parse(String(e.data))));
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("events socket failed")), {
      once: true,
    });
  });
  return {
    events,
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      await closed;
    },
  };
}
