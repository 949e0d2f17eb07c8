/**
 * The node's one libp2p host: TCP and WebSockets, Noise, Yamux, identify and
 * ping, the persistent datastore, and the services plugins contributed to
 * the `libp2p` extension point. The p2p plugin creates, starts and stops it;
 * other plugins get a {@link sharedHost} view whose start() and stop() do
 * nothing, so that a library built on it (Helia) cannot stop the node's host.
 *
 * @module
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import type { PrivateKey } from "@libp2p/interface";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import type { Datastore } from "interface-datastore";
import { createLibp2p, type Libp2p } from "libp2p";
import { MeteorError } from "../../core/errors.ts";
import type { Contribution } from "../../core/plugin.ts";
import { listenError } from "./_listen.ts";
import type { Libp2pExtension, ServiceFactory } from "./extension.ts";

/** Services every host runs; no plugin may contribute one under these names. */
const HOST_SERVICES: Readonly<Record<string, ServiceFactory>> = {
  identify: identify(),
  ping: ping(),
};

/** What the host is built from. */
export interface HostOptions {
  /** The host key (the node's Ed25519 key). */
  privateKey: PrivateKey;
  /** Multiaddrs to listen on. */
  listen: readonly string[];
  /** Where the peer store (and contributed services) keep their records. */
  datastore: Datastore;
  /** What plugins contributed to the `libp2p` point. */
  contributions: readonly Contribution<Libp2pExtension>[];
}

/** A started host and which plugin contributed each extra service. */
export interface Host {
  /** The started libp2p node. */
  libp2p: Libp2p;
  /** Contributed service names by plugin. */
  servicesOf: ReadonlyMap<string, readonly string[]>;
}

/** The union of the host's own services and the contributed ones; a name used twice is E_PLUGIN. */
function collectServices(contributions: readonly Contribution<Libp2pExtension>[]) {
  const services: Record<string, ServiceFactory> = { ...HOST_SERVICES };
  const owners = new Map<string, string>(Object.keys(HOST_SERVICES).map((n) => [n, "p2p"]));
  const servicesOf = new Map<string, string[]>();
  for (const { plugin, value } of contributions) {
    for (const [name, factory] of Object.entries(value.services ?? {})) {
      const owner = owners.get(name);
      if (owner !== undefined) {
        throw new MeteorError(
          "E_PLUGIN",
          `Cannot add libp2p service "${name}" of plugin "${plugin}": "${owner}" already adds it`,
        );
      }
      if (typeof factory !== "function") {
        throw new MeteorError(
          "E_PLUGIN",
          `Cannot add libp2p service "${name}" of plugin "${plugin}": not a service factory`,
        );
      }
      owners.set(name, plugin);
      services[name] = factory;
      servicesOf.set(plugin, [...servicesOf.get(plugin) ?? [], name]);
    }
  }
  return { services, servicesOf };
}

/**
 * Creates and starts the host.
 *
 * @throws {MeteorError} E_IO "Cannot listen on <addr>: ..." when a listen
 * address cannot be bound (what had started is stopped again); E_PLUGIN for
 * a service name used twice
 */
export async function startHost(options: HostOptions): Promise<Host> {
  const { services, servicesOf } = collectServices(options.contributions);
  const libp2p = await createLibp2p({
    start: false,
    privateKey: options.privateKey,
    datastore: options.datastore,
    addresses: { listen: [...options.listen] },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services,
  });
  try {
    await libp2p.start();
  } catch (err) {
    // Whatever did start (an earlier listener) is released; the start error is reported.
    await Promise.resolve().then(() => libp2p.stop()).catch(() => {});
    throw listenError(err);
  }
  return { libp2p, servicesOf };
}

/**
 * A view of `libp2p` for plugins that share the host: everything works but
 * start() and stop(), which resolve without doing anything (the p2p plugin
 * owns the host's lifecycle).
 */
export function sharedHost(libp2p: Libp2p): Libp2p {
  return new Proxy(libp2p, {
    get(target, key) {
      if (key === "start" || key === "stop") return () => Promise.resolve();
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
