/**
 * A line of test daemons running the pubsub plugin: daemon i bootstraps only
 * to daemon i - 1 (no full mesh), with helpers to subscribe, publish and
 * collect the `pubsub:message` events each one delivers.
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

/** Starts `n` daemons, daemon i bootstrapping to daemon i - 1, seeds from `seed`. */
export async function startLine(n: number, seed: number): Promise<LineDaemon[]> {
  const line: LineDaemon[] = [];
  for (let i = 0; i < n; i++) {
    const spec = await daemonSpec(seed + i);
    if (i > 0) spec.bootstrap = [`/ip4/127.0.0.1/tcp/${line[i - 1].spec.ports.tcp}`];
    line.push(await startLineDaemon(spec));
  }
  return line;
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

/**
 * Subscribes every daemon to `topic` and waits until each has its line
 * neighbours (one at the ends, two inside) in its gossipsub mesh.
 */
export async function subscribeAll(line: readonly LineDaemon[], topic: string): Promise<void> {
  const path = `/v1/topics/${encodeURIComponent(topic)}`;
  for (const d of line) await call(d, "POST", `${path}/subscribe`);
  await waitFor("every daemon meshed on the topic", async () => {
    for (const [i, d] of line.entries()) {
      const neighbours = i === 0 || i === line.length - 1 ? 1 : 2;
      const { topics } = await call<{ topics: { topic: string; meshPeers: number }[] }>(
        d,
        "GET",
        "/v1/topics",
      );
      if ((topics.find((t) => t.topic === topic)?.meshPeers ?? 0) < neighbours) return false;
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
