/**
 * The dashboard plugin: the node's own web page for people, served by the
 * local API at `/v1/dashboard` (docs/dashboard.md). Plain HTML, CSS and
 * JavaScript in page/, no build step and nothing from elsewhere; every view
 * uses the public API apps use, with the cookie session the page gets from a
 * one-time login link (`meteor open`, the daemon's startup line; docs/api.md
 * §Browser sessions).
 *
 * Not run by default: add "dashboard" to config.plugins.
 *
 * @module
 */
import type { Plugin } from "../../core/plugin.ts";
import { dashboardRoutes } from "./routes.ts";

/** The plugin factory (plugins/mod.ts BUILTIN_PLUGINS). */
export default function dashboard(): Plugin<undefined> {
  return {
    name: "dashboard",
    version: "1.0.0",
    needs: [],
    configSchema: { validate: () => undefined },
    start(context) {
      return Promise.resolve({
        api: undefined,
        routes: dashboardRoutes(context.identity),
        stop: () => Promise.resolve(),
      });
    },
  };
}
