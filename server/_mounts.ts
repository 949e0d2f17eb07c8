/**
 * The plugins' route mounts, checked: each declared {@link PluginRoutes}
 * becomes a {@link Mount} with its policy, mount point, body limit and, for
 * a public mount, its listen address. Anything malformed or undocumented is
 * E_PLUGIN naming the plugin, before anything listens.
 *
 * @module
 */
import { Hono } from "hono";
import { MeteorError } from "../core/errors.ts";
import type { OpenApiPathItem, Plugin, PluginInstance, PluginRoutes } from "../core/plugin.ts";
import { MAX_REQUEST_BYTES } from "./_body.ts";
import { checkDocumented } from "./_openapi.ts";

/** A listen address, `host:port`, parsed. */
export interface ListenAddress {
  /** The host as Deno.serve takes it (an IPv6 address without brackets). */
  hostname: string;
  /** The port; 0 asks for a free one. */
  port: number;
}

/** One checked mount of a plugin's routes. */
export interface Mount {
  /** The plugin name. */
  plugin: string;
  /** Who may call it. */
  policy: "token" | "public";
  /** Where its app is mounted (`/v1/<plugin>` or `/v1`). */
  mount: string;
  /** The largest request body, in bytes. */
  bodyLimit: number;
  /** Where a public mount listens; undefined for a token mount. */
  listen?: ListenAddress;
  /** Its Path Items, keyed relative to `mount`. */
  openapi: Record<string, OpenApiPathItem>;
  /** Its routes. */
  app: Hono;
}

/** What the server reads of the running plugins. */
export interface RunningPlugin {
  /** The plugin. */
  readonly plugin: Pick<Plugin, "name">;
  /** What its start() returned. */
  readonly instance: Pick<PluginInstance, "routes">;
}

/** `host:port` with a named or IPv4 host, or `[v6]:port`. */
const LISTEN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/;

/** Parses `host:port`; undefined when it is not one. */
export function parseListen(text: string): ListenAddress | undefined {
  const match = LISTEN.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  return port <= 65535 ? { hostname: match[1] ?? match[2], port } : undefined;
}

function refuse(plugin: string, state: string): MeteorError {
  return new MeteorError("E_PLUGIN", `Cannot mount routes of plugin "${plugin}": ${state}`);
}

function checkMount(plugin: string, routes: PluginRoutes): Mount {
  const policy = routes.policy ?? "token";
  if (policy !== "token" && policy !== "public") {
    throw refuse(plugin, `policy must be "token" or "public", not ${JSON.stringify(policy)}`);
  }
  const own = `/v1/${plugin}`;
  const mount = routes.mount ?? own;
  // A public mount has a listener of its own, so it may also sit at /<plugin>/v1 (auth's /auth/v1).
  const allowed = policy === "public" ? [own, "/v1", `/${plugin}/v1`] : [own, "/v1"];
  if (!allowed.includes(mount)) {
    throw refuse(plugin, `mount must be ${allowed.map((m) => `"${m}"`).join(" or ")}`);
  }
  const bodyLimit = routes.bodyLimit ?? MAX_REQUEST_BYTES;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 0) {
    throw refuse(plugin, "bodyLimit must be a non-negative integer of bytes");
  }
  let listen: ListenAddress | undefined;
  if (policy === "public") {
    listen = parseListen(routes.listen ?? "");
    if (!listen) throw refuse(plugin, 'a public mount needs listen "host:port"');
    if (routes.openapi["/openapi.json"] !== undefined) {
      throw refuse(plugin, `${mount}/openapi.json is served by the server`);
    }
  } else if (routes.listen !== undefined) {
    throw refuse(plugin, "listen is for public mounts only");
  }
  const { app } = routes;
  if (!(app instanceof Hono)) throw refuse(plugin, "app must be a Hono app (new Hono())");
  checkDocumented(`plugin "${plugin}"`, app, routes.openapi);
  return { plugin, policy, mount, bodyLimit, listen, openapi: routes.openapi, app };
}

/** Every mount of the running plugins, in start order. Throws E_PLUGIN for a bad one. */
export function pluginMounts(running: readonly RunningPlugin[]): Mount[] {
  const mounts: Mount[] = [];
  for (const { plugin, instance } of running) {
    const declared = instance.routes;
    if (declared === undefined) continue;
    const all: readonly PluginRoutes[] = Array.isArray(declared)
      ? declared
      : [declared as PluginRoutes];
    for (const routes of all) mounts.push(checkMount(plugin.name, routes));
  }
  return mounts;
}
