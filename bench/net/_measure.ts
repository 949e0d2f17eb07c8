/**
 * The harness's measurements over a running {@link Cluster}: connections,
 * direct messages with every one accounted for, DHT resolves, pubsub
 * delivery and latency, IPFS transfers, and the identity each node presents
 * across restarts. Each loop is bounded in count and in time.
 *
 * @module
 */
import { median, percentile } from "../_stats.ts";
import { type Cluster, type Node, pool } from "./_cluster.ts";

/** Polls `check` every `everyMs` until it is true or `ms` have passed; resolves to the last result. */
export async function until(check: () => Promise<boolean>, ms: number, everyMs = 500) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() + everyMs > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A random integer in [0, n). */
const randomBelow = (n: number) => Math.floor(Math.random() * n);

/** `count` distinct random indices below `n`, never those in `not`. */
export function pick(n: number, count: number, not: readonly number[] = []): number[] {
  const pool = Array.from({ length: n }, (_, i) => i).filter((i) => !not.includes(i));
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

/** `count` random ordered pairs of distinct nodes below `n`. */
function randomPairs(n: number, count: number): [number, number][] {
  return Array.from({ length: count }, () => {
    const [a, b] = pick(n, 2);
    return [a, b] as [number, number];
  });
}

/** Distinct peer connections, as each node's GET /v1/peers reports them. */
export async function connections(cluster: Cluster): Promise<{ pairs: number; degree: number[] }> {
  const pairs = new Set<string>();
  const byPeerId = new Map(cluster.nodes.map((n) => [n.peerId, n.index]));
  const degree = await pool(cluster.nodes, 8, async (node) => {
    const { body } = await node.api.request("GET", "/v1/peers").catch(() => ({ body: null }));
    const peers: string[] = (body?.peers ?? []).map((p: { peerId?: string } | string) =>
      typeof p === "string" ? p : p.peerId ?? ""
    );
    for (const peer of peers) {
      const j = byPeerId.get(peer);
      if (j !== undefined) pairs.add([node.index, j].sort((a, b) => a - b).join("-"));
    }
    return peers.length;
  });
  return { pairs: pairs.size, degree };
}

/** Makes every node a contact of every other (their signed documents, with addresses). */
export async function addContacts(cluster: Cluster): Promise<void> {
  const docs = await pool(cluster.nodes, 8, async (n) => {
    const { body } = await n.api.request("GET", "/v1/id");
    return body.document as string;
  });
  await pool(cluster.nodes, 4, async (node) => {
    for (const other of cluster.nodes) {
      if (other === node) continue;
      const { status } = await node.api.request("POST", "/v1/contacts", {
        name: `n${other.index}`,
        id: docs[other.index],
      });
      if (status !== 201 && status !== 409) {
        throw new Error(`Cannot add contact n${other.index} on node ${node.index}: ${status}`);
      }
    }
  });
}

/** The direct-message account. */
export interface MessageTotals {
  sent: number;
  refused: number;
  acknowledged: number;
  delivered: number;
  duplicates: number;
  lost: number;
  /** ms from the heal to the last acknowledgement seen (null when some never came). */
  settleMs: number | null;
}

/** One message the harness sent: its text is unique to this run. */
interface Sent {
  from: number;
  to: number;
  id: string;
  text: string;
}

/** The direct-message workload: one text per ordered pair and round. */
export class Messages {
  readonly sent: Sent[] = [];
  refused = 0;
  readonly #tag = crypto.randomUUID().slice(0, 8);

  constructor(readonly cluster: Cluster) {}

  /** Sends round `round` for the pairs whose sender is in `senders` (queued durably). */
  async send(round: number, senders: readonly number[]): Promise<void> {
    const n = this.cluster.nodes.length;
    await pool(senders, 4, async (i) => {
      const node = this.cluster.nodes[i];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const text = `net:${this.#tag}:${round}:${i}:${j}`;
        const to = this.cluster.nodes[j].meteorId;
        const { status, body } = await node.api.request("POST", "/v1/messages", { to, text })
          .catch(() => ({ status: 0, body: null }));
        if (status === 202) this.sent.push({ from: i, to: j, id: body.id, text });
        else this.refused++;
      }
    });
  }

  /** The ids of sent messages whose sender has an acknowledgement for them. */
  async acknowledged(): Promise<Set<string>> {
    const acked = new Set<string>();
    await pool(this.cluster.nodes, 8, async (node) => {
      if (!node.running) return;
      const { body } = await node.api.request("GET", "/v1/outbox?limit=1000")
        .catch(() => ({ body: null }));
      for (const m of body?.messages ?? []) if (m.deliveredAt !== null) acked.add(m.id);
    });
    return acked;
  }

  /** Waits (at most `ms`) for every acknowledgement, then reads every inbox. */
  async settle(ms: number): Promise<MessageTotals> {
    const start = Date.now();
    let acked = new Set<string>();
    const done = await until(
      async () => {
        acked = await this.acknowledged();
        return this.sent.every((m) => acked.has(m.id));
      },
      ms,
      1000,
    );
    const settleMs = done ? Date.now() - start : null;
    const seen = new Map<string, number>();
    await pool(this.cluster.nodes, 8, async (node) => {
      const { body } = await node.api.request("GET", "/v1/inbox?limit=1000")
        .catch(() => ({ body: null }));
      for (const m of body?.messages ?? []) {
        if (typeof m.text === "string" && m.text.startsWith(`net:${this.#tag}:`)) {
          seen.set(m.text, (seen.get(m.text) ?? 0) + 1);
        }
      }
    });
    const delivered = this.sent.filter((m) => seen.has(m.text)).length;
    const duplicates = [...seen.values()].reduce((sum, c) => sum + c - 1, 0);
    return {
      sent: this.sent.length,
      refused: this.refused,
      acknowledged: this.sent.filter((m) => acked.has(m.id)).length,
      delivered,
      duplicates,
      lost: this.sent.length - delivered,
      settleMs,
    };
  }
}

/** DHT resolves between random pairs. */
export interface DhtTotals {
  lookups: number;
  found: number;
  hopsP50: number | null;
  hopsMax: number | null;
  msP50: number | null;
}

/** Resolves `lookups` random MeteorIDs through random nodes (GET /v1/resolve). */
export async function dhtResolves(cluster: Cluster, lookups: number): Promise<DhtTotals> {
  const hops: number[] = [];
  const ms: number[] = [];
  await pool(randomPairs(cluster.nodes.length, lookups), 4, async ([a, b]) => {
    const target = cluster.nodes[b].meteorId;
    const start = Date.now();
    const { status, body } = await cluster.nodes[a].api.request("GET", `/v1/resolve/${target}`)
      .catch(() => ({ status: 0, body: null }));
    if (status === 200 && body.peerId === cluster.nodes[b].peerId) {
      hops.push(body.hops);
      ms.push(Date.now() - start);
    }
  });
  return {
    lookups,
    found: hops.length,
    hopsP50: hops.length ? median(hops) : null,
    hopsMax: hops.length ? Math.max(...hops) : null,
    msP50: ms.length ? median(ms) : null,
  };
}

/** Pubsub delivery over one topic every node subscribes to. */
export interface PubsubTotals {
  /** The fewest gossipsub mesh peers a node had on the topic when the publishing began. */
  meshPeersMin: number;
  published: number;
  expected: number;
  received: number;
  ratio: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Every node publishes `each` messages on one topic; counts who got what, and how late. */
export async function pubsubDelivery(
  cluster: Cluster,
  each: number,
  waitMs: number,
): Promise<PubsubTotals> {
  const topic = `net-${crypto.randomUUID().slice(0, 8)}`;
  const nodes = cluster.nodes;
  await pool(
    nodes,
    8,
    (n) => n.api.request("POST", `/v1/topics/${topic}/subscribe`).catch(() => {}),
  );
  // Gossipsub needs a heartbeat or two to graft a mesh.
  let meshes: number[] = [];
  await until(
    async () => {
      meshes = await pool(nodes, 8, async (n) => {
        const { body } = await n.api.request("GET", "/v1/topics").catch(() => ({ body: null }));
        return body?.topics?.find((t: { topic: string }) => t.topic === topic)?.meshPeers ?? 0;
      });
      return meshes.every((m) => m > 0);
    },
    20_000,
    1000,
  );
  await pool(nodes, 8, (n) => n.api.arrivals().catch(() => []));
  let published = 0;
  for (let k = 0; k < each; k++) {
    await pool(nodes, 8, async (n) => {
      const { status } = await n.api.request("POST", `/v1/topics/${topic}`, {
        text: `ps:${n.index}:${k}`,
      }).catch(() => ({ status: 0 }));
      if (status === 202) published++;
    });
  }
  const expected = published * (nodes.length - 1);
  const got = new Map<number, Set<string>>();
  const latencies: number[] = [];
  await until(
    async () => {
      await pool(nodes, 8, async (n) => {
        const set = got.get(n.index) ?? new Set();
        got.set(n.index, set);
        for (const a of await n.api.arrivals().catch(() => [])) {
          if (a.topic !== topic || set.has(a.text)) continue;
          set.add(a.text);
          latencies.push(a.at - a.sentAt);
        }
      });
      return latencies.length >= expected;
    },
    waitMs,
    500,
  );
  return {
    meshPeersMin: Math.min(...meshes),
    published,
    expected,
    received: latencies.length,
    ratio: expected ? latencies.length / expected : 0,
    p50Ms: latencies.length ? percentile(latencies, 50) : null,
    p99Ms: latencies.length ? percentile(latencies, 99) : null,
  };
}

/** One IPFS transfer that did not come back with the bytes. */
export interface IpfsFailure {
  from: number;
  to: number;
  /** HTTP status of the get (0: the harness's request timed out or failed). */
  status: number;
  /** The error code or message the get answered with. */
  error: string;
  /** Whether the fetching node listed the holder among its peers just before the get. */
  connected: boolean;
  ms: number;
}

/** IPFS transfers between random pairs. */
export interface IpfsTotals {
  transfers: number;
  ok: number;
  bytes: number;
  msP50: number | null;
  failures: IpfsFailure[];
}

/** Whether node `b` lists node `a` among its connected peers. */
async function isConnected(cluster: Cluster, a: number, b: number): Promise<boolean> {
  const { body } = await cluster.nodes[b].api.request("GET", "/v1/peers")
    .catch(() => ({ body: null }));
  return (body?.peers ?? []).some((p: { peerId?: string } | string) =>
    (typeof p === "string" ? p : p.peerId) === cluster.nodes[a].peerId
  );
}

/** Node a adds `bytes` of random text (plain), node b fetches it by CID; checks they match. */
export async function ipfsTransfers(
  cluster: Cluster,
  transfers: number,
  bytes: number,
): Promise<IpfsTotals> {
  const ms: number[] = [];
  const failures: IpfsFailure[] = [];
  for (const [a, b] of randomPairs(cluster.nodes.length, transfers)) {
    const data = Array.from(
      crypto.getRandomValues(new Uint8Array(bytes / 2)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join("");
    const put = await cluster.nodes[a].api.request("POST", "/v1/files?plain=true", data, true)
      .catch(() => ({ status: 0, body: null }));
    const connected = await isConnected(cluster, a, b);
    const start = Date.now();
    const got = put.status !== 201
      ? { status: put.status, body: put.body }
      : await cluster.nodes[b].api.request("GET", `/v1/files/${put.body.cid}?plain=true`)
        .catch((err) => ({ status: 0, body: (err as Error).message }));
    if (got.status === 200 && got.body === data) {
      ms.push(Date.now() - start);
      continue;
    }
    const error = put.status !== 201
      ? `put ${put.status}`
      : got.status === 200
      ? "different bytes"
      : typeof got.body === "string"
      ? got.body.slice(0, 120)
      : String(got.body?.code ?? got.body?.error ?? "");
    failures.push({ from: a, to: b, status: got.status, error, connected, ms: Date.now() - start });
  }
  return { transfers, ok: ms.length, bytes, msP50: ms.length ? median(ms) : null, failures };
}

/** Round trips of GET /v1/health through the harness's API clients. */
export interface ApiLatency {
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * `rounds` GET /v1/health on every node at once: the time a node and the
 * harness take to answer anything, the load baseline of the latencies above.
 */
export async function apiLatency(cluster: Cluster, rounds: number): Promise<ApiLatency> {
  const ms: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await pool(cluster.nodes, 8, async (n) => {
      const start = Date.now();
      const { status } = await n.api.request("GET", "/v1/health").catch(() => ({ status: 0 }));
      if (status === 200) ms.push(Date.now() - start);
    });
  }
  return {
    samples: ms.length,
    p50Ms: ms.length ? percentile(ms, 50) : null,
    p99Ms: ms.length ? percentile(ms, 99) : null,
  };
}

/** The identities the nodes presented across restarts. */
export interface IdentityTotals {
  /** The nodes restarted (each once per round). */
  nodes: number[];
  /** Rounds that ran. */
  restarts: number;
  checks: number;
  identical: number;
}

/**
 * Restarts each of `nodes` (default every node) `restarts` times, SIGKILL
 * and SIGTERM alternately, and compares the MeteorID and PeerId of GET /v1/id
 * after each restart with the first ones and with `meteor init`'s; starts no
 * new round after `ms` (the report says how many rounds ran).
 */
export async function identityAcrossRestarts(
  cluster: Cluster,
  restarts: number,
  ms: number,
  nodes: readonly Node[] = cluster.nodes,
): Promise<IdentityTotals> {
  const deadline = Date.now() + ms;
  const first = new Map<Node, string>();
  const present = async (n: Node) => {
    const { body } = await n.api.request("GET", "/v1/id");
    return `${body.meteorId} ${body.peerId}`;
  };
  for (const n of nodes) first.set(n, await present(n));
  let checks = 0;
  let identical = 0;
  let round = 0;
  for (; round < restarts && Date.now() < deadline; round++) {
    await pool(nodes, 4, async (n) => {
      checks++;
      // A node that fails to come back counts as not identical.
      const now = await n.restart(round % 2 === 0 ? "SIGKILL" : "SIGTERM")
        .then(() => present(n)).catch(() => "");
      if (now === first.get(n) && now === `${n.meteorId} ${n.peerId}`) identical++;
    });
  }
  return { nodes: nodes.map((n) => n.index), restarts: round, checks, identical };
}
