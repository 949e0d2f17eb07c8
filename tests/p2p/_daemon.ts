/**
 * In-process Meteor daemons for the p2p integration tests: each has its own
 * temporary home (SQLite state), fixed loopback ports (so a restarted node is
 * found at its old addresses), the real plugin registry with the p2p plugin,
 * and the real API app, driven with app.request().
 *
 * @module
 */
import type { Libp2p } from "libp2p";
import { defaultConfig } from "../../core/config.ts";
import type { NodeCipher } from "../../core/crypto/node_cipher.ts";
import { deriveKeys, formatMeteorId, type NodeKeys } from "../../core/identity/mod.ts";
import { createLogger, silentLogger } from "../../core/logger.ts";
import { MeteorNode } from "../../core/node.ts";
import type { Plugin } from "../../core/plugin.ts";
import { openStore } from "../../core/store/mod.ts";
import { createApp } from "../../server.ts";
import p2p, { type P2PApi } from "../../plugins/p2p/mod.ts";
import { freePorts } from "../_cli.ts";

/** The API port the test apps pretend to listen on (Host checks). */
const API_PORT = 7999;
/** The token of every test daemon. */
export const TEST_TOKEN = "test-token-0123456789";

/** A running test daemon. */
export interface TestDaemon {
  node: MeteorNode;
  keys: NodeKeys;
  /** The MeteorID in text form. */
  id: string;
  /** The p2p plugin's api. */
  p2p: P2PApi<Libp2p>;
  /** Calls the local API with the token and a loopback Host. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** The app, for requests with other headers. */
  request(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** What a test daemon is made of; reused to restart it. */
export interface DaemonSpec {
  home: string;
  seed: number;
  ports: { tcp: number; ws: number };
  bootstrap?: string[];
  /** The node's batch cipher; default: none (every frame sealed per call). */
  cipher?: NodeCipher;
  /** The outbox retry period in ms; default 250. */
  retryMs?: number;
  /** More pluginConfig.p2p keys. */
  p2pConfig?: Record<string, unknown>;
  /** Plugins to run besides p2p. */
  plugins?: () => Plugin[];
  /** Their config sections (config.pluginConfig). */
  pluginConfig?: Record<string, unknown>;
}

/** A daemon spec with a fresh temporary home and free ports. */
export async function daemonSpec(seed: number): Promise<DaemonSpec> {
  const [tcp, ws] = freePorts(2);
  return { home: await Deno.makeTempDir({ prefix: "meteor-p2p-" }), seed, ports: { tcp, ws } };
}

/** Starts (or restarts) the daemon of `spec`. */
export async function startDaemon(spec: DaemonSpec): Promise<TestDaemon> {
  const keys = await deriveKeys(new Uint8Array(32).fill(spec.seed));
  const config = defaultConfig({ api: API_PORT, p2pTcp: spec.ports.tcp, p2pWs: spec.ports.ws });
  config.p2p.listen = [
    `/ip4/127.0.0.1/tcp/${spec.ports.tcp}`,
    `/ip4/127.0.0.1/tcp/${spec.ports.ws}/ws`,
  ];
  config.p2p.bootstrap = spec.bootstrap ?? [];
  config.pluginConfig = {
    ...spec.pluginConfig,
    p2p: { retryMs: spec.retryMs ?? 250, ...spec.p2pConfig },
  };
  const node = new MeteorNode({
    keys,
    config,
    token: TEST_TOKEN,
    cipher: spec.cipher,
    store: openStore(`${spec.home}/state.db`, { synchronous: "normal" }),
    plugins: [p2p(), ...spec.plugins?.() ?? []],
    dataDir: async (name) => {
      await Deno.mkdir(`${spec.home}/plugins/${name}`, { recursive: true });
      return `${spec.home}/plugins/${name}`;
    },
    logger: Deno.env.get("H6_DEBUG") ? createLogger({ level: "debug" }) : silentLogger(),
    version: "0.0.0-test",
  });
  await node.start();
  node.listening(API_PORT);
  const app = createApp(node);
  const request = (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.request(`http://127.0.0.1:${API_PORT}${path}`, init));
  const running = node.registry.running.find((r) => r.plugin.name === "p2p")!;
  return {
    node,
    keys,
    id: formatMeteorId(keys.meteorId),
    p2p: running.instance.apiFor!("test") as P2PApi<Libp2p>,
    request,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${TEST_TOKEN}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return request(path, { ...init, headers, body });
    },
    stop: () => node.stop(),
  };
}

/** The P2PNode behind a daemon (for its stats and libp2p host). */
export function p2pNodeOf(daemon: TestDaemon): { stats(): Record<string, number> } {
  const running = daemon.node.registry.running.find((r) => r.plugin.name === "p2p")!;
  return { stats: () => running.instance.stats!() as Record<string, number> };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  while (!signal.aborted) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
