/**
 * The harness's nodes: real `meteor daemon` processes, each with its own home
 * (made with `meteor init`), started in its network namespace or on
 * 127.0.0.1, killed with SIGKILL or stopped with SIGTERM, and restarted on
 * the same home and ports.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { agentApi, directApi, type NodeApi } from "./_api.ts";
import { NetNamespaces } from "./_netns.ts";

/** The project root (cli.ts lives there). */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** How long a daemon may take to print its startup line (minutes, on a loaded 2-core machine). */
const START_MS = 240_000;
/** How long closing the cluster may take before every process left is killed. */
const CLOSE_MS = 60_000;

/** How the nodes are connected at start: which earlier nodes node i bootstraps to. */
export type Scenario = "mesh" | "ring" | "star" | "line";

/** The nodes node `i` of `n` bootstraps to. */
export function bootstrapOf(scenario: Scenario, i: number, n: number): number[] {
  if (i === 0) return [];
  switch (scenario) {
    case "mesh":
      return Array.from({ length: i }, (_, j) => j);
    case "star":
      return [0];
    case "line":
      return [i - 1];
    case "ring":
      return i === n - 1 && n > 2 ? [i - 1, 0] : [i - 1];
  }
}

/** What the cluster is built from. */
export interface ClusterOptions {
  nodes: number;
  scenario: Scenario;
  /** The namespaces, or null for loopback. */
  net: NetNamespaces | null;
  /** Where the homes go. */
  dir: string;
  /** The command that runs meteor; default deno run -A cli.ts. */
  meteor?: string[];
}

/** One node of the cluster. */
export class Node {
  api!: NodeApi;
  meteorId = "";
  peerId = "";
  /** The plugins its config.json names. */
  plugins: string[] = [];
  #daemon: Deno.ChildProcess | undefined;
  #log: Deno.FsFile | undefined;

  constructor(
    readonly index: number,
    readonly home: string,
    readonly host: string,
    readonly ports: { api: number; tcp: number; ws: number },
    readonly cluster: Cluster,
  ) {}

  /** The node's TCP multiaddr with its PeerId. */
  get address(): string {
    return `/ip4/${this.host}/tcp/${this.ports.tcp}/p2p/${this.peerId}`;
  }

  /** Whether its daemon runs. */
  get running(): boolean {
    return this.#daemon !== undefined;
  }

  /** Starts the daemon and waits for its startup line; resolves to that line. */
  async start(): Promise<Record<string, unknown>> {
    if (this.#daemon) throw new Error(`Cannot start node ${this.index}: it runs`);
    const argv = [
      ...this.cluster.prefix(this.index),
      ...this.cluster.meteor,
      "daemon",
      "--home",
      this.home,
      "--json",
      "--log-level",
      "warn",
    ];
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.cluster.track(child);
    this.#daemon = child;
    this.#log ??= await Deno.open(`${this.home}/daemon.log`, { append: true, create: true });
    child.stderr.pipeTo(this.#log.writable, { preventClose: true }).catch(() => {});
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), START_MS);
    try {
      while (!text.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) {
          const { code } = await child.status;
          await new Promise((r) => setTimeout(r, 200)); // its stderr's last lines reach the log
          const log = await Deno.readTextFile(`${this.home}/daemon.log`).catch(() => "");
          throw new Error(
            `Cannot start node ${this.index}: its daemon exited (${code}); it printed ${
              JSON.stringify(text.slice(-600))
            }; its log ends: ${log.slice(-600).trim()}`,
          );
        }
        text += value;
      }
    } finally {
      clearTimeout(timer);
    }
    // Keep draining stdout ({"event":"stopped"} at exit).
    (async () => {
      while (!(await lines.read()).done);
    })().catch(() => {});
    const started = JSON.parse(text.slice(0, text.indexOf("\n")));
    await this.api.listen();
    return started;
  }

  /** Ends the daemon: SIGKILL (a crash) or SIGTERM (a clean stop). */
  async stop(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const child = this.#daemon;
    if (!child) return;
    this.#daemon = undefined;
    await this.api.close().catch(() => {});
    // An agent ends with its stream; the next start gets a fresh one.
    if (this.cluster.net) await this.openApi();
    try {
      child.kill(signal);
    } catch { /* already ended */ }
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await child.status;
    clearTimeout(timer);
  }

  /** Kills (SIGKILL) or stops and starts the daemon again on the same home. */
  async restart(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** Opens the API client (an agent in the namespace, or direct on loopback). */
  async openApi(): Promise<void> {
    const token = (await Deno.readTextFile(`${this.home}/api-token`)).trim();
    const base = `http://127.0.0.1:${this.ports.api}`;
    if (!this.cluster.net) {
      this.api = directApi(base, token);
      return;
    }
    const argv = [
      ...this.cluster.prefix(this.index),
      Deno.execPath(),
      "run",
      "--allow-net",
      `${ROOT}bench/net/_agent.ts`,
      base,
      token,
    ];
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.cluster.track(child);
    this.api = agentApi(child);
  }

  /** Stops the daemon and the API client for good. */
  async close(): Promise<void> {
    await this.stop("SIGTERM");
    await this.api?.close().catch(() => {});
    this.#log?.close();
    this.#log = undefined;
  }
}

/** Runs `meteor init` for a home; resolves to its MeteorID and PeerId. */
async function init(meteor: string[], home: string) {
  const { code, stdout, stderr } = await new Deno.Command(meteor[0], {
    args: [...meteor.slice(1), "init", "--home", home, "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`Cannot init ${home}: ${new TextDecoder().decode(stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(stdout)) as { meteorId: string; peerId: string };
}

/** Runs `fn` over `items`, `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The nodes of one run. */
export class Cluster {
  readonly nodes: Node[] = [];
  readonly meteor: string[];
  readonly #children = new Set<Deno.ChildProcess>();

  private constructor(readonly options: ClusterOptions) {
    this.meteor = options.meteor ?? [Deno.execPath(), "run", "--allow-all", `${ROOT}cli.ts`];
  }

  /** The namespace the harness net has for these nodes, if any. */
  get net(): NetNamespaces | null {
    return this.options.net;
  }

  /** The command prefix that runs a process in node `i`'s namespace. */
  prefix(i: number): string[] {
    return this.options.net ? ["ip", "netns", "exec", this.options.net.node(i)] : [];
  }

  /**
   * Makes every home (meteor init), then writes each config.json: listen
   * addresses on the node's own address, the scenario's bootstrap peers,
   * fast outbox retries. Starts nothing.
   */
  static async create(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    const homes = Array.from({ length: options.nodes }, (_, i) => `${options.dir}/node${i}`);
    const ids = await pool(homes, 4, (home) => init(cluster.meteor, home));
    for (let i = 0; i < options.nodes; i++) {
      const config = JSON.parse(await Deno.readTextFile(`${homes[i]}/config.json`));
      const tcp = Number(/tcp\/(\d+)/.exec(config.p2p.listen[0])![1]);
      const ws = Number(/tcp\/(\d+)/.exec(config.p2p.listen[1])![1]);
      const ports = options.net
        ? { api: 7701, tcp: 4001, ws: 4002 }
        : { api: config.api.port as number, tcp, ws };
      const host = options.net ? NetNamespaces.address(i) : "127.0.0.1";
      const node = new Node(i, homes[i], host, ports, cluster);
      node.meteorId = ids[i].meteorId;
      node.peerId = ids[i].peerId;
      cluster.nodes.push(node);
    }
    for (const node of cluster.nodes) {
      const path = `${node.home}/config.json`;
      const config = JSON.parse(await Deno.readTextFile(path));
      config.api.port = node.ports.api;
      node.plugins = config.plugins;
      config.p2p.listen = [
        `/ip4/${node.host}/tcp/${node.ports.tcp}`,
        `/ip4/${node.host}/tcp/${node.ports.ws}/ws`,
      ];
      config.p2p.bootstrap = bootstrapOf(options.scenario, node.index, options.nodes)
        .map((j) => cluster.nodes[j].address);
      config.pluginConfig = {
        ...config.pluginConfig,
        p2p: { retryMs: 1000, retryMaxMs: 4000 },
        dht: { resolveTimeoutMs: 15_000 },
      };
      config.cipher = { path: "cpu" };
      await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
      await node.openApi();
    }
    return cluster;
  }

  /** Starts every daemon, `limit` at a time. */
  async start(limit = 4): Promise<void> {
    await pool(this.nodes, limit, (node) => node.start());
  }

  /** Remembers a daemon or agent until it exits, so that {@link close} can kill what is left. */
  track(child: Deno.ChildProcess): void {
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
  }

  /**
   * Stops every daemon and agent; whatever has not exited after CLOSE_MS
   * (a start still under way, a hung agent) gets SIGKILL.
   */
  async close(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      pool(this.nodes, 8, (node) => node.close().catch(() => {})),
      new Promise((r) => timer = setTimeout(r, CLOSE_MS)),
    ]);
    clearTimeout(timer);
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
    }
    await Promise.all([...this.#children].map((c) => c.status));
  }
}
