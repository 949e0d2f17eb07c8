/**
 * The auth plugin: passwordless login to a server with device-held keys
 * certified by a Meteor identity (docs/auth.md). On its own public listener
 * (`pluginConfig.auth.listen`) it serves, under `/auth/v1`: registration,
 * challenge-response login bound to the server's origin, sessions,
 * revocation, and a login page with a QR code that a device approves
 * (`meteor auth approve`). Its state is in its own SQLite database.
 *
 * Not run by default: add "auth" to config.plugins.
 *
 * @module
 */
import type { Plugin } from "../../core/plugin.ts";
import { type AuthConfig, validateAuthConfig } from "./config.ts";
import { AUTH_ERRORS } from "./errors.ts";
import { AUTH_LABELS } from "./protocol.ts";
import { authRoutes } from "./routes.ts";
import { AuthServer } from "./server.ts";
import { MIGRATIONS, SqliteAuthStore } from "./sqlite_store.ts";

/** How often expired challenges, requests and sessions are deleted. */
const PURGE_INTERVAL_MS = 60_000;

/** The plugin factory (plugins/mod.ts BUILTIN_PLUGINS). */
export default function auth(): Plugin<
  AuthConfig,
  { server: AuthServer },
  Record<string, unknown>,
  "database"
> {
  return {
    name: "auth",
    version: "1.0.0",
    needs: [],
    uses: ["database"],
    // Reserved: no other plugin may sign auth statements with the node's identity key.
    signingLabels: Object.values(AUTH_LABELS),
    errors: AUTH_ERRORS,
    configSchema: { validate: validateAuthConfig },
    start(context) {
      const { config } = context;
      const server = new AuthServer({
        store: new SqliteAuthStore(context.database.open({ migrations: MIGRATIONS })),
        origin: config.origin,
        sessionTtlMs: config.sessionTtlSeconds * 1000,
        limits: config.rateLimit,
        logger: context.logger,
      });
      const purge = () =>
        server.purge().catch((err) => context.logger.warn("purge failed", { error: String(err) }));
      const timer = setInterval(purge, PURGE_INTERVAL_MS);
      return Promise.resolve({
        api: { server },
        routes: authRoutes(server, config.listen),
        stats: () => ({ origin: config.origin }),
        stop: () => Promise.resolve(clearInterval(timer)),
      });
    },
  };
}
