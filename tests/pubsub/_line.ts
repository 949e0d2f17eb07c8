/**
 * Networks of test daemons running the pubsub plugin: a line (daemon i
 * bootstraps only to daemon i - 1, no full mesh) or any other set of
 * bootstrap links, with helpers to subscribe, publish and collect the
 * `pubsub:message` events each one delivers.
 *
 * @module
 */
import pubsub from "../../plugins/pubsub/mod.ts";
import type { DeliveredMessage } from "../../plugins/pubsub/mod.ts";
import {
  type DaemonSpec,
  daemonSpec,
  startDaemon,
  type TestDaemon,
  waitFor,
} from "../p2p/_daemon.ts";

/** A daemon of the line and what it delivered. */
export interface LineDaemon {
  spec: DaemonSpec;
  daemon: TestDaemon;
  /** Every `pubsub:message` it emitted, in order. */
  received: DeliveredMessage[];
}

/** Starts (or restarts) one daemon of a line with the pubsub plugin. */
export async function startLineDaemon(
  spec: DaemonSpec,
  received: DeliveredMessage[] = [],
): Promise<LineDaemon> {
  const daemon = await startDaemon({ ...spec, plugins: () => [pubsub()] });
  daemon.node.events.on("pubsub:message", (m) => void received.push(m));
  return { spec, daemon, received };
}

/** The bootstrap address of a running daemon, with its PeerId (as a user writes one). */
export function bootstrapAddress(d: LineDaemon): string {
  return `/ip4/127.0.0.1/tcp/${d.spec.ports.tcp}/p2p/${d.daemon.keys.peerId}`;
}

/**
 * Starts `n` daemons, seeds from `seed`; daemon i bootstraps to the earlier
 * daemons `links(i)` names (each < i). `retryMs` is the p2p retry period.
 */
export async function startNetwork(
  n: number,
  seed: number,
  links: (i: number) => readonly number[],
  retryMs?: number,
): Promise<LineDaemon[]> {
  const daemons: LineDaemon[] = [];
  for (let i = 0; i < n; i++) {
    const spec = { ...await daemonSpec(seed + i), retryMs };
    spec.bootstrap = links(i).map((j) => bootstrapAddress(daemons[j]));
    daemons.push(await startLineDaemon(spec));
  }
  return daemons;
}

/** Starts `n` daemons, daemon i bootstrapping to daemon i - 1, seeds from `seed`. */
export function startLine(n: number, seed: number): Promise<LineDaemon[]> {
  return startNetwork(n, seed, (i) => i === 0 ? [] : [i - 1]);
}

/** Stops every daemon and removes its home. */
export async function stopLine(line: readonly LineDaemon[]): Promise<void> {
  for (const d of line) await d.daemon.stop().catch(() => {});
  for (const d of line) await Deno.remove(d.spec.home, { recursive: true }).catch(() => {});
}

/** Calls the daemon's API and returns the parsed JSON, failing on an unexpected status. */
export async function call<T = Record<string, unknown>>(
  d: LineDaemon,
  method: string,
  path: string,
  json?: unknown,
  status = 200,
): Promise<T> {
  const res = await d.daemon.api(path, { method, json });
  const text = await res.text();
  if (res.status !== status) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** How many peers `d`'s gossipsub mesh holds for `topic` (GET /v1/topics). */
export async function meshPeers(d: LineDaemon, topic: string): Promise<number> {
  const { topics } = await call<{ topics: { topic: string; meshPeers: number }[] }>(
    d,
    "GET",
    "/v1/topics",
  );
  return topics.find((t) => t.topic === topic)?.meshPeers ?? 0;
}

/**
 * Subscribes every daemon to `topic` and waits until daemon i has at least
 * `meshed(i)` peers in its gossipsub mesh for it; by default its line
 * neighbours (one at the ends, two inside).
 */
export async function subscribeAll(
  daemons: readonly LineDaemon[],
  topic: string,
  meshed: (i: number) => number = (i) => i === 0 || i === daemons.length - 1 ? 1 : 2,
): Promise<void> {
  const path = `/v1/topics/${encodeURIComponent(topic)}`;
  for (const d of daemons) await call(d, "POST", `${path}/subscribe`);
  await waitFor("every daemon meshed on the topic", async () => {
    for (const [i, d] of daemons.entries()) {
      if (await meshPeers(d, topic) < meshed(i)) return false;
    }
    return true;
  });
}

/** Publishes `text` on `topic` from `d`. */
export function publish(d: LineDaemon, topic: string, text: string) {
  return call<{ msgId: string; recipients: number }>(
    d,
    "POST",
    `/v1/topics/${encodeURIComponent(topic)}`,
    { text },
    202,
  );
}

export { waitFor };
