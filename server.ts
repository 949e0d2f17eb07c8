/**
 * The node's HTTP servers (Hono). {@link createApp} builds the local API for
 * a running node: the Host/Origin and token gate, then the core routes
 * (health, id, peers, stats, contacts, events, openapi.json) and every
 * plugin's token mount. {@link createPublicApps} builds one app per public
 * listen address for the plugins' public mounts (no local token). Each mount
 * has its own streamed body limit and reaches only its documented
 * operations. {@link startApi} serves them all with Deno.serve. The API is
 * described in docs/api.md.
 *
 * @module
 */
import { Hono } from "hono";
import { hostForUrl } from "./core/config.ts";
import { MeteorError } from "./core/errors.ts";
import type { NodeCipher } from "./core/crypto/node_cipher.ts";
import type { EventBus } from "./core/events.ts";
import type { NodeKeys } from "./core/identity/mod.ts";
import type { Logger } from "./core/logger.ts";
import type { PluginRegistry } from "./core/registry.ts";
import type { NodeStore } from "./core/store/mod.ts";
import { MAX_REQUEST_BYTES } from "./server/_body.ts";
import { dispatch, type Owner } from "./server/_dispatch.ts";
import { notFound, onError } from "./server/_errors.ts";
import { eventsHandler } from "./server/_events.ts";
import { hostGuard, tokenGuard } from "./server/_guard.ts";
import { type Mount, pluginMounts } from "./server/_mounts.ts";
import {
  buildOpenApi,
  buildPublicOpenApi,
  checkDistinctPaths,
  checkDocumented,
  CORE_PATHS,
  PUBLIC_DOCUMENT,
  PUBLIC_DOCUMENT_ITEM,
} from "./server/_openapi.ts";
import { coreRoutes } from "./server/_routes.ts";

export { EVENTS_PROTOCOL, loginLink, PAGE_PATH, TOKEN_PROTOCOL_PREFIX } from "./server/_guard.ts";
export { statusOf } from "./server/_errors.ts";
export { MAX_REQUEST_BYTES } from "./server/_body.ts";
export { readJsonBody, type ReadJsonBodyOptions } from "./server/json_body.ts";

/** The running node as the API sees it. */
export interface ApiNode {
  /** The bearer token every request must present. */
  readonly token: string;
  /** The `host:port` values Host and Origin may name (see core/node.ts apiHosts). */
  allowedHosts(): readonly string[];
  /** The node's keys. */
  readonly keys: NodeKeys;
  /** The event bus streamed on /v1/events. */
  readonly events: EventBus;
  /** Node state. */
  readonly store: NodeStore;
  /** The started plugins. */
  readonly registry: PluginRegistry;
  /** When the node started, ms since the epoch. */
  readonly startedAt: number;
  /** The Meteor version, for the OpenAPI document. */
  readonly version: string;
  /** Where request failures are logged. */
  readonly logger: Logger;
  /** Aborted when the node stops; closes the event streams. */
  readonly signal: AbortSignal;
  /** The node's batch cipher, whose choice GET /v1/stats reports. */
  readonly cipher: Pick<NodeCipher, "status">;
}

/**
 * Builds the local API app for a node whose plugins have started: the
 * core's routes and the plugins' token mounts. Throws E_PLUGIN when a
 * plugin's routes are undocumented, badly mounted, or claim a path already
 * served (its public mounts are checked too).
 *
 * @example
 * ```ts ignore
 * const app = createApp(node);
 * const res = await app.request("http://127.0.0.1:7701/v1/health", {
 *   headers: { authorization: `Bearer ${node.token}` },
 * });
 * ```
 */
export function createApp(node: ApiNode): Hono {
  const mounts = pluginMounts(node.registry.running).filter((m) => m.policy === "token");
  const openapi = buildOpenApi(node.version, mounts);
  const core = new Hono();
  coreRoutes(core, node);
  core.get("/v1/openapi.json", (c) => c.json(openapi));
  core.get("/v1/events", eventsHandler(node));
  checkDocumented("the core", core, CORE_PATHS);
  const app = new Hono();
  app.onError(onError(node.logger));
  app.notFound(notFound);
  app.use("*", hostGuard(() => node.allowedHosts()));
  app.use("*", tokenGuard(node.token));
  const owners: Owner[] = [
    { mount: "/", bodyLimit: MAX_REQUEST_BYTES, openapi: CORE_PATHS, app: core },
    ...mounts,
  ];
  dispatch(app, owners, node.logger);
  return app;
}

/** The app of one public listen address. */
export interface PublicApp {
  /** Where it listens. */
  readonly hostname: string;
  /** The port; 0 asks for a free one. */
  readonly port: number;
  /** The public mounts it serves, in start order. */
  readonly mounts: readonly { readonly plugin: string; readonly mount: string }[];
  /** The app: each mount's routes and its document at `<mount>/openapi.json`. */
  readonly app: Hono;
}

/** A public mount with its own document route beside its routes. */
function withDocument(version: string, mount: Mount): Mount {
  const openapi = { ...mount.openapi, [PUBLIC_DOCUMENT]: PUBLIC_DOCUMENT_ITEM };
  const document = buildPublicOpenApi(version, { ...mount, openapi });
  const app = new Hono();
  app.get(PUBLIC_DOCUMENT, (c) => c.json(document));
  app.route("/", mount.app);
  return { ...mount, openapi, app };
}

/**
 * Builds one app per public listen address of the plugins' public mounts
 * (mounts naming the same `host:port` share it). No local token, no Host
 * check: the plugin answers for its callers. Throws E_PLUGIN as
 * {@link createApp} does, and when mounts sharing a listener collide.
 */
export function createPublicApps(node: ApiNode): PublicApp[] {
  const byAddress = new Map<string, Mount[]>();
  for (const mount of pluginMounts(node.registry.running)) {
    if (mount.policy !== "public" || !mount.listen) continue;
    const key = `${hostForUrl(mount.listen.hostname)}:${mount.listen.port}`;
    byAddress.set(key, [...byAddress.get(key) ?? [], withDocument(node.version, mount)]);
  }
  return [...byAddress.values()].map((mounts) => {
    checkDistinctPaths(mounts);
    const app = new Hono();
    app.onError(onError(node.logger));
    app.notFound(notFound);
    dispatch(app, mounts, node.logger);
    const { hostname, port } = mounts[0].listen!;
    return { hostname, port, mounts: mounts.map(({ plugin, mount }) => ({ plugin, mount })), app };
  });
}

/** A listening API server. */
export interface ApiServer {
  /** The port it listens on (the chosen one when 0 was asked). */
  readonly port: number;
  /** The host it listens on. */
  readonly hostname: string;
  /** Stops accepting, lets requests in flight finish, and resolves when closed. */
  shutdown(): Promise<void>;
}

/**
 * Serves `app` with Deno.serve on `hostname:port` (port 0 picks a free one).
 * E_ADDR_IN_USE naming `configKey` (default "api.port", the config.json key
 * that sets the address) when the port is taken, E_IO when the address
 * cannot be bound otherwise.
 */
export function serveApi(
  app: Hono,
  options: { hostname: string; port: number; configKey?: string },
): ApiServer {
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: options.hostname, port: options.port, onListen: () => {} },
      app.fetch,
    );
  } catch (err) {
    const where = `Cannot listen on ${options.hostname}:${options.port}`;
    throw err instanceof Deno.errors.AddrInUse
      ? new MeteorError(
        "E_ADDR_IN_USE",
        `${where}: port ${options.port} is in use by another process; ` +
          `choose another port in config.json ${options.configKey ?? "api.port"}`,
        { cause: err },
      )
      : new MeteorError("E_IO", `${where}: ${(err as Error).message}`, { cause: err });
  }
  return {
    port: server.addr.port,
    hostname: server.addr.hostname,
    shutdown: () => server.shutdown(),
  };
}

/** A public mount as it listens. */
export interface PublicListener {
  /** The plugin that serves it. */
  readonly plugin: string;
  /** Its base URL: the listener and the mount, e.g. `http://127.0.0.1:8443/v1/auth`. */
  readonly url: string;
}

/** The local API and the public listeners, started together. */
export interface RunningApi {
  /** The local API's port (the chosen one when 0 was asked). */
  readonly port: number;
  /** The host the local API listens on. */
  readonly hostname: string;
  /** Every public mount, in start order, where it listens. */
  readonly publicListeners: readonly PublicListener[];
  /** Stops every listener, lets requests in flight finish, and resolves when all are closed. */
  shutdown(): Promise<void>;
}

/**
 * Starts the local API on `hostname:port` and one listener per public listen
 * address. Builds every app first, so a bad mount (E_PLUGIN) binds nothing;
 * E_ADDR_IN_USE or E_IO when an address cannot be bound, after closing those
 * already bound.
 */
export async function startApi(
  node: ApiNode,
  options: { hostname: string; port: number },
): Promise<RunningApi> {
  const api = createApp(node);
  const publicApps = createPublicApps(node);
  const servers: ApiServer[] = [];
  const shutdown = async () => {
    await Promise.all(servers.map((s) => s.shutdown()));
  };
  try {
    const local = serveApi(api, options);
    servers.push(local);
    const publicListeners: PublicListener[] = [];
    for (const { hostname, port, mounts, app } of publicApps) {
      const configKey = mounts.map((m) => `pluginConfig.${m.plugin}.listen`).join(" or ");
      const server = serveApi(app, { hostname, port, configKey });
      servers.push(server);
      const base = `http://${hostForUrl(server.hostname)}:${server.port}`;
      for (const { plugin, mount } of mounts) publicListeners.push({ plugin, url: base + mount });
    }
    return { port: local.port, hostname: local.hostname, publicListeners, shutdown };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
