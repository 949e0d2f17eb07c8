/**
 * The node's event bus: a typed wrapper around the Web standard EventTarget.
 * Plugins emit events ("message", "peer:connect", ...) and listen to each
 * other's; the local API streams every event to WebSocket clients as JSON.
 *
 * @module
 */

/** Detail of "peer:connect" and "peer:disconnect". */
export interface PeerEventDetail {
  /** The libp2p PeerId string. */
  peerId: string;
  /** The peer's MeteorID in text form, when known. */
  meteorId?: string;
}

/** Detail of "message": a direct message received and stored in the inbox. */
export interface MessageEventDetail {
  /** The inbox id of the message. */
  id: string;
  /** The sender's MeteorID in text form. */
  from: string;
  /** The message text (UTF-8). */
  text: string;
  /** When it was received, in milliseconds since the epoch. */
  receivedAt: number;
  /** The message's sequence number within its session. */
  seq: number;
}

/**
 * Every event the bus carries, by name. Names of the form "plugin:event"
 * that are not listed carry any JSON-safe detail, so a plugin can emit its
 * own events ("echo:count") without changing this file. A plugin types its
 * events by augmenting this interface in the module that declares it:
 *
 * ```ts ignore
 * declare module "../../core/events.ts" {
 *   interface MeteorEventMap {
 *     "echo:count": { count: number };
 *   }
 * }
 * ```
 */
export interface MeteorEventMap {
  /** A direct message arrived. */
  message: MessageEventDetail;
  /** A peer connected. */
  "peer:connect": PeerEventDetail;
  /** A peer disconnected. */
  "peer:disconnect": PeerEventDetail;
  /** A plugin's own event. */
  [name: `${string}:${string}`]: unknown;
}

/** A name the bus accepts. */
export type EventName = keyof MeteorEventMap & string;

/** One event as the bus delivers it to wildcard listeners and WebSocket clients. */
export interface BusEvent {
  /** The event name. */
  name: EventName;
  /** The event detail. */
  detail: unknown;
  /** When it was emitted, in milliseconds since the epoch. */
  at: number;
}

/**
 * A listener. It may be async: a returned promise that rejects is reported
 * to the bus's `onListenerError`, like a throw.
 */
export type Listener<T> = (value: T) => unknown;

/** Options for a listener. */
export interface ListenOptions {
  /** Removes the listener when aborted. */
  signal?: AbortSignal;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** The name the bus uses internally for its wildcard event. */
const ANY = "*";

const NAME = /^(message|[a-z0-9][a-z0-9-]*:[a-z0-9][a-z0-9:-]*)$/;

/**
 * A typed event bus. A listener that throws, or whose promise rejects, is
 * reported to `onListenerError` and never stops the other listeners or the
 * emitter.
 *
 * @example
 * ```ts
 * import { EventBus } from "./events.ts";
 * const bus = new EventBus();
 * bus.on("peer:connect", (detail) => console.log(detail.peerId));
 * bus.emit("peer:connect", { peerId: "12D3KooW..." });
 * ```
 */
export class EventBus {
  readonly #target = new EventTarget();
  readonly #onListenerError: (err: unknown, name: string) => void;

  /** Creates a bus; `onListenerError` receives what listeners throw or reject with. */
  constructor(onListenerError: (err: unknown, name: string) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /**
   * Emits an event to its listeners and to the wildcard listeners.
   * Throws TypeError for a name that is neither listed nor "plugin:event".
   */
  emit<K extends EventName>(name: K, detail: MeteorEventMap[K]): void {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new TypeError(`Cannot emit event: bad name ${JSON.stringify(name)}`);
    }
    const event: BusEvent = { name, detail, at: Date.now() };
    this.#target.dispatchEvent(new CustomEvent(name, { detail }));
    this.#target.dispatchEvent(new CustomEvent(ANY, { detail: event }));
  }

  /** Calls `listener` with the detail of each `name` event; returns a function that removes it. */
  on<K extends EventName>(
    name: K,
    listener: Listener<MeteorEventMap[K]>,
    options: ListenOptions = {},
  ): () => void {
    return this.#listen(name, (event) => listener(event.detail), options);
  }

  /** Calls `listener` for every event; returns a function that removes it. */
  onAny(listener: Listener<BusEvent>, options: ListenOptions = {}): () => void {
    return this.#listen(ANY, (event) => listener(event.detail), options);
  }

  #listen(
    name: string,
    call: Listener<CustomEvent>,
    { signal }: ListenOptions,
  ): () => void {
    // EventTarget reports a throwing listener as an uncaught error, and nobody
    // awaits an async listener's promise, so its rejection would be unhandled:
    // either would end the process. Hand both to the bus's error handler.
    const report = (err: unknown) => this.#onListenerError(err, name);
    const wrapped = (event: Event) => {
      try {
        const result = call(event as CustomEvent);
        if (isThenable(result)) Promise.resolve(result).catch(report);
      } catch (err) {
        report(err);
      }
    };
    const remove = () => this.#target.removeEventListener(name, wrapped);
    if (signal?.aborted) return remove;
    this.#target.addEventListener(name, wrapped);
    signal?.addEventListener("abort", remove, { once: true });
    return remove;
  }
}
