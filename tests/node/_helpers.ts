/**
 * Shared fixtures for the node tests: test plugins that record their
 * lifecycle, and a registry host over an in-memory store.
 *
 * @module
 */
import { defaultConfig, type NodeConfig } from "../../core/config.ts";
import { EventBus } from "../../core/events.ts";
import { deriveKeys, type NodeKeys } from "../../core/identity/mod.ts";
import { createLogger, type Logger } from "../../core/logger.ts";
import type { Plugin, PluginContext, PluginInstance } from "../../core/plugin.ts";
import { MeteorNode } from "../../core/node.ts";
import type { RegistryHost } from "../../core/registry.ts";
import { openDatabase, openStore } from "../../core/store/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import { p2pRoutes } from "../../plugins/p2p/routes.ts";
import { type MessageStore, messageStore, P2P_MIGRATIONS } from "../../plugins/p2p/store/mod.ts";

let keys: Promise<NodeKeys> | undefined;

/** Keys of a fixed test seed (all bytes 7), derived once. */
export function testKeys(): Promise<NodeKeys> {
  keys ??= deriveKeys(new Uint8Array(32).fill(7));
  return keys;
}

/** A logger that collects its lines. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: "debug", sink: (l) => lines.push(l) }), lines };
}

/** A registry host with an in-memory store; `close()` releases it. */
export async function testHost(
  config: Record<string, unknown> = {},
): Promise<RegistryHost & { close(): void; lines: string[] }> {
  const { logger, lines } = memoryLogger();
  const store = openStore(":memory:");
  return {
    keys: await testKeys(),
    logger,
    events: new EventBus(),
    store,
    config,
    dataDir: (name) => Promise.resolve(`/nowhere/plugins/${name}`),
    close: () => store.close(),
    lines,
  };
}

/** Options for {@link fakePlugin}. */
export interface FakeOptions {
  needs?: string[];
  provides?: string[];
  /** Lifecycle events are pushed here as "start:<name>" / "stop:<name>". */
  log?: string[];
  /** start() rejects with this. */
  failStart?: Error;
  /** stop() rejects with this. */
  failStop?: Error;
  /** stop() never settles. */
  hangStop?: boolean;
  /** Receives the context at start. */
  onContext?: (context: PluginContext) => void;
  /** Validates config. */
  validate?: (raw: unknown) => unknown;
}

/** A plugin that records its lifecycle; its api is `{ name }`. */
export function fakePlugin(name: string, options: FakeOptions = {}): Plugin {
  const log = options.log ?? [];
  return {
    name,
    version: "1.0.0",
    needs: options.needs ?? [],
    provides: options.provides,
    configSchema: { validate: options.validate ?? ((raw) => raw) },
    start(context): Promise<PluginInstance> {
      options.onContext?.(context);
      if (options.failStart) return Promise.reject(options.failStart);
      log.push(`start:${name}`);
      return Promise.resolve({
        api: { name },
        stop() {
          log.push(`stop:${name}`);
          if (options.hangStop) return new Promise<void>(() => {});
          return options.failStop ? Promise.reject(options.failStop) : Promise.resolve();
        },
      });
    },
  };
}

/** The port test apps pretend to listen on. */
export const TEST_PORT = 7701;
/** The token of test nodes. */
export const TEST_TOKEN = "mtk_test-token-0123456789abcdef";
/** The base URL of test apps. */
export const BASE = `http://127.0.0.1:${TEST_PORT}`;

/** A started MeteorNode over an in-memory store, listening (notionally) on TEST_PORT. */
export async function startTestNode(
  plugins: Plugin[] = [],
  config: Partial<NodeConfig> = {},
): Promise<MeteorNode & { lines: string[] }> {
  const { logger, lines } = memoryLogger();
  const node = new MeteorNode({
    keys: await testKeys(),
    config: { ...defaultConfig({ api: TEST_PORT, p2pTcp: 0, p2pWs: 0 }), plugins: [], ...config },
    token: TEST_TOKEN,
    store: openStore(":memory:"),
    plugins,
    dataDir: (name) => Promise.resolve(`/nowhere/plugins/${name}`),
    logger,
    version: "0.0.0-test",
  });
  await node.start();
  node.listening(TEST_PORT);
  return Object.assign(node, { lines });
}

/** Headers of an authorised request. */
export function auth(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${TEST_TOKEN}`, ...extra };
}

/**
 * A plugin that serves the p2p plugin's routes (GET /v1/inbox, ...) over
 * `messages`, with no network: sending is refused, nothing waits.
 */
export function messageRoutesPlugin(messages: MessageStore): Plugin {
  const noNetwork = () => {
    throw new MeteorError("E_UNREACHABLE", "Cannot send message: no network in this test");
  };
  return {
    name: "p2p",
    version: "0.0.0-test",
    needs: [],
    uses: ["contacts"],
    configSchema: { validate: () => undefined },
    start: (context) =>
      Promise.resolve({
        routes: p2pRoutes(
          {
            send: noNetwork,
            sendAll: noNetwork,
            waiting: () => null,
          },
          messages,
          context.contacts,
        ),
        stop: () => Promise.resolve(),
      }),
  };
}

/** The p2p plugin's tables in memory. */
export function memoryMessages(): MessageStore {
  return messageStore(openDatabase(":memory:", { migrations: P2P_MIGRATIONS }));
}
