/**
 * The local HTTP and WebSocket API (Hono). {@link createApp} builds the app
 * for a running node: the Host/Origin and token gate, a request size limit,
 * the core routes (health, id, peers, stats, contacts, events,
 * openapi.json) and every plugin's routes, each checked against the route
 * documentation the plugin declares. {@link serveApi} serves it with
 * Deno.serve. The API is described in docs/api.md.
 *
 * @module
 */
import { Hono } from "hono";
import { MeteorError } from "./core/errors.ts";
import type { EventBus } from "./core/events.ts";
import type { NodeKeys } from "./core/identity/mod.ts";
import type { Logger } from "./core/logger.ts";
import type { PluginRegistry } from "./core/registry.ts";
import type { NodeStore } from "./core/store/mod.ts";
import { readBody } from "./server/_body.ts";
import { notFound, onError } from "./server/_errors.ts";
import { eventsHandler } from "./server/_events.ts";
import { hostGuard, tokenGuard } from "./server/_guard.ts";
import { buildOpenApi, checkDocumented, type MountedRoutes } from "./server/_openapi.ts";
import { coreRoutes } from "./server/_routes.ts";

export { EVENTS_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "./server/_guard.ts";
export { statusOf } from "./server/_errors.ts";

/** The largest request body accepted, in bytes (413 E_TOO_LARGE above). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

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
}

function pluginMounts(node: ApiNode): (MountedRoutes & { app: Hono })[] {
  const mounts = [];
  for (const { plugin, instance } of node.registry.running) {
    const routes = instance.routes;
    if (!routes) continue;
    const own = `/v1/${plugin.name}`;
    const mount = routes.mount ?? own;
    if (mount !== own && mount !== "/v1") {
      throw new MeteorError(
        "E_PLUGIN",
        `Cannot mount routes of plugin "${plugin.name}": mount must be "${own}" or "/v1"`,
      );
    }
    checkDocumented(plugin.name, routes.app, routes.openapi);
    mounts.push({ plugin: plugin.name, mount, openapi: routes.openapi, app: routes.app });
  }
  return mounts;
}

/**
 * Builds the API app for a node whose plugins have started. Throws E_PLUGIN
 * when a plugin's routes are undocumented, badly mounted, or claim a path
 * already served.
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
  const mounts = pluginMounts(node);
  const openapi = buildOpenApi(node.version, mounts);
  const app = new Hono();
  app.onError(onError(node.logger));
  app.notFound(notFound);
  app.use("*", hostGuard(() => node.allowedHosts()));
  app.use("*", tokenGuard(node.token));
  app.use("*", readBody(MAX_REQUEST_BYTES));
  coreRoutes(app, node);
  app.get("/v1/openapi.json", (c) => c.json(openapi));
  app.get("/v1/events", eventsHandler(node));
  for (const { mount, app: routes } of mounts) app.route(mount, routes);
  return app;
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
 * E_IO when the address cannot be bound.
 */
export function serveApi(
  app: Hono,
  options: { hostname: string; port: number },
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
          "choose another port in config.json api.port",
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
