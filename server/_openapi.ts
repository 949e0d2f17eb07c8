/**
 * The OpenAPI 3.1 documents: the local API's (the core's routes, written
 * here, merged with the route documentation of every token mount) and one
 * per public mount. Also checks that an app serves only documented routes
 * and that no two mounts of one server claim the same path.
 *
 * @module
 */
import type { Hono } from "hono";
import { MeteorError } from "../core/errors.ts";
import type { OpenApiPathItem } from "../core/plugin.ts";

const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, ...json(ref("Error")) });
const ok = (description: string, schema: unknown) => ({ description, ...json(schema) });

/** Responses every authenticated route can give. */
const COMMON_ERRORS = {
  "401": error("Missing or wrong API token (E_UNAUTHORIZED)"),
  "403": error("Forbidden Host or Origin (E_FORBIDDEN)"),
};

/** Common responses for routes that take a JSON body. */
const BODY_ERRORS = {
  "400": error("Malformed JSON or invalid input (E_MALFORMED, E_BAD_ID, ...)"),
  "413": error("Request body too large (E_TOO_LARGE)"),
};

const nameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };

/** The core's paths. */
export const CORE_PATHS: Record<string, OpenApiPathItem> = {
  "/v1/login": {
    post: {
      summary: "Trades a one-time login code (header X-Meteor-Login, from the daemon's startup " +
        "line or 'meteor open') for the page's session cookie (HttpOnly, SameSite=Strict); " +
        "answered by the API's gate, needs no token (docs/api.md, Browser sessions)",
      parameters: [{
        name: "x-meteor-login",
        in: "header",
        required: true,
        schema: { type: "string" },
      }],
      responses: {
        "204": { description: "Logged in: Set-Cookie carries the session" },
        "401": error("The login code is wrong, expired or used (E_UNAUTHORIZED)"),
        "403": COMMON_ERRORS["403"],
      },
    },
  },
  "/v1/health": {
    get: {
      summary: "Liveness: answers while the node runs. Needs the token, like every route.",
      responses: {
        "200": ok("The node is up", {
          type: "object",
          required: ["status"],
          properties: { status: { const: "ok" } },
        }),
        "403": COMMON_ERRORS["403"],
      },
    },
  },
  "/v1/id": {
    get: {
      summary:
        "This node's MeteorID, PeerId, listen addresses and a freshly signed identity document",
      responses: { "200": ok("The node's identity", ref("Identity")), ...COMMON_ERRORS },
    },
  },
  "/v1/peers": {
    get: {
      summary: "Connected peers, as the p2p plugin reports them (empty without it)",
      responses: {
        "200": ok("Connected peers", {
          type: "object",
          required: ["peers"],
          properties: { peers: { type: "array", items: { type: "object" } } },
        }),
        ...COMMON_ERRORS,
      },
    },
  },
  "/v1/stats": {
    get: {
      summary: "Uptime, peers, messages and bytes in and out, in total and per plugin",
      responses: { "200": ok("Statistics", ref("Stats")), ...COMMON_ERRORS },
    },
  },
  "/v1/openapi.json": {
    get: {
      summary: "This document",
      responses: { "200": ok("OpenAPI 3.1 document", { type: "object" }), ...COMMON_ERRORS },
    },
  },
  "/v1/events": {
    get: {
      summary:
        "WebSocket stream of node events, one JSON object per message ({name, detail, at}). " +
        "Browsers authenticate by offering the subprotocols `meteor.v1` and `meteor.token.<token>`; " +
        "other clients may send `Authorization: Bearer <token>`. The server selects `meteor.v1`.",
      responses: {
        "101": { description: "Switching to the WebSocket protocol" },
        "400": error("Not a WebSocket upgrade, or `meteor.v1` not offered (E_MALFORMED)"),
        ...COMMON_ERRORS,
      },
    },
  },
  "/v1/contacts": {
    get: {
      summary: "Every contact, by name",
      responses: {
        "200": ok("Contacts", {
          type: "object",
          required: ["contacts"],
          properties: { contacts: { type: "array", items: ref("Contact") } },
        }),
        ...COMMON_ERRORS,
      },
    },
    post: {
      summary:
        "Adds a contact by MeteorID text or identity document text (verified); the node's own " +
        "MeteorID is refused (400 E_BAD_ID). Emits contact:add.",
      requestBody: json({
        type: "object",
        required: ["name", "id"],
        properties: {
          name: { type: "string", maxLength: 64 },
          id: { type: "string", description: "meteor1... or meteor-doc:..." },
        },
      }),
      responses: {
        "201": ok("The new contact", ref("Contact")),
        ...BODY_ERRORS,
        "409": error("The name or MeteorID is already a contact (E_EXISTS)"),
        "422": error(
          "The identity document did not verify (E_BAD_SIGNATURE, E_ID_MISMATCH, E_EXPIRED)",
        ),
        ...COMMON_ERRORS,
      },
    },
  },
  "/v1/contacts/{name}": {
    get: {
      summary: "One contact",
      parameters: [nameParam],
      responses: {
        "200": ok("The contact", ref("Contact")),
        "404": error("No such contact (E_NOT_FOUND)"),
        ...COMMON_ERRORS,
      },
    },
    delete: {
      summary: "Removes a contact. Emits contact:remove.",
      parameters: [nameParam],
      responses: {
        "204": { description: "Removed" },
        "404": error("No such contact (E_NOT_FOUND)"),
        ...COMMON_ERRORS,
      },
    },
  },
};

const SCHEMAS = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { type: "string", pattern: "^E_[A-Z][A-Z0-9_]*$" },
          message: { type: "string" },
        },
      },
    },
  },
  Identity: {
    type: "object",
    required: ["meteorId", "peerId", "addresses", "document"],
    properties: {
      meteorId: { type: "string" },
      peerId: { type: "string" },
      addresses: { type: "array", items: { type: "string" } },
      document: { type: "string", description: "meteor-doc:... (docs/identity.md)" },
    },
  },
  Contact: {
    type: "object",
    required: ["name", "meteorId", "hasDocument", "addedAt"],
    properties: {
      name: { type: "string" },
      meteorId: { type: "string" },
      hasDocument: { type: "boolean" },
      addedAt: { type: "integer", description: "Unix ms" },
    },
  },
  Counts: {
    type: "object",
    properties: {
      messagesIn: { type: "integer" },
      messagesOut: { type: "integer" },
      bytesIn: { type: "integer" },
      bytesOut: { type: "integer" },
    },
  },
  Stats: {
    type: "object",
    required: ["uptimeMs", "startedAt", "peers", "totals", "plugins"],
    properties: {
      uptimeMs: { type: "integer" },
      startedAt: { type: "integer" },
      peers: { type: "integer" },
      totals: ref("Counts"),
      plugins: {
        type: "object",
        additionalProperties: {
          type: "object",
          properties: {
            version: { type: "string" },
            counters: ref("Counts"),
            stats: { type: "object" },
          },
        },
      },
    },
  },
};

/** A plugin's mounted routes, as the document builder sees them. */
export interface MountedRoutes {
  /** The plugin name. */
  plugin: string;
  /** Where its app is mounted. */
  mount: string;
  /** Its Path Items, keyed relative to `mount`. */
  openapi: Record<string, OpenApiPathItem>;
}

/** Joins a mount point and a relative path ("/v1" + "/" gives "/v1"). */
export function joinPath(mount: string, path: string): string {
  const joined = `${mount.replace(/\/$/, "")}/${path.replace(/^\//, "")}`;
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

/** Hono's path syntax to OpenAPI's: `/a/:id{[0-9]+}` becomes `/a/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}");
}

/** The HTTP methods an OpenAPI Path Item can document (OpenAPI 3.1 §4.8.9). */
export const METHODS: readonly string[] = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
];

/**
 * Checks that `app` serves only documented routes: every (method, path) of
 * its handlers has an operation in `openapi`. An `all()` route (and
 * middleware, whose path has a `*`) is reached only by the operations the
 * dispatcher forwards (server/_dispatch.ts), so an `all()` route on a path
 * answers exactly the methods that path documents, and needs at least one.
 * Throws E_PLUGIN naming `owner` and the first undocumented route.
 */
export function checkDocumented(
  owner: string,
  app: Hono,
  openapi: Record<string, OpenApiPathItem>,
): void {
  for (const route of app.routes) {
    const method = route.method.toLowerCase();
    const item = openapi[toOpenApiPath(route.path)];
    const documented = method === "all"
      ? route.path.includes("*") || METHODS.some((m) => item?.[m] !== undefined)
      : METHODS.includes(method) && item?.[method] !== undefined;
    if (!documented) {
      throw new MeteorError(
        "E_PLUGIN",
        `Cannot mount routes of ${owner}: ${route.method} ${route.path} is not in its openapi`,
      );
    }
  }
}

/**
 * Adds each plugin's Path Items, under its mount, to `paths`, whose present
 * paths `owners` names. Throws E_PLUGIN when a plugin documents a path
 * already there.
 */
function mergePaths(
  paths: Record<string, OpenApiPathItem>,
  owners: Map<string, string>,
  plugins: readonly MountedRoutes[],
): void {
  for (const { plugin, mount, openapi } of plugins) {
    for (const [relative, item] of Object.entries(openapi)) {
      const path = joinPath(mount, relative);
      const taken = owners.get(path);
      if (taken) {
        throw new MeteorError(
          "E_PLUGIN",
          `Cannot mount routes of plugin "${plugin}": ${path} is already served by ${taken}`,
        );
      }
      owners.set(path, `plugin "${plugin}"`);
      paths[path] = { ...item, "x-meteor-plugin": plugin };
    }
  }
}

/**
 * Builds the local API's document: the core's paths and the token mounts'.
 * Throws E_PLUGIN when a plugin documents a path the core or an earlier
 * plugin already has.
 */
export function buildOpenApi(version: string, plugins: readonly MountedRoutes[]): unknown {
  const paths: Record<string, OpenApiPathItem> = { ...CORE_PATHS };
  mergePaths(paths, new Map(Object.keys(CORE_PATHS).map((p) => [p, "the core"])), plugins);
  return {
    openapi: "3.1.0",
    info: {
      title: "Meteor node local API",
      version,
      description: "The local HTTP and WebSocket API of a Meteor node (docs/api.md). " +
        "Served on 127.0.0.1 only; every route needs the bearer token from the node home.",
    },
    servers: [{ url: "http://127.0.0.1:{port}", variables: { port: { default: "7701" } } }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: SCHEMAS,
    },
  };
}

/** Where a public mount serves its document, relative to the mount. */
export const PUBLIC_DOCUMENT = "/openapi.json";

/** The Path Item of a public mount's document. */
export const PUBLIC_DOCUMENT_ITEM: OpenApiPathItem = {
  get: {
    summary: "This document",
    security: [],
    responses: { "200": ok("OpenAPI 3.1 document", { type: "object" }) },
  },
};

/** Throws E_PLUGIN when two mounts sharing one public listener document the same path. */
export function checkDistinctPaths(plugins: readonly MountedRoutes[]): void {
  mergePaths({}, new Map(), plugins);
}

/**
 * The document of one public mount, served on its own listener: its paths
 * (`openapi` includes {@link PUBLIC_DOCUMENT}), no local token.
 */
export function buildPublicOpenApi(version: string, mount: MountedRoutes): unknown {
  const paths: Record<string, OpenApiPathItem> = {};
  mergePaths(paths, new Map(), [mount]);
  return {
    openapi: "3.1.0",
    info: {
      title: `Meteor plugin "${mount.plugin}" public API`,
      version,
      description: "Routes a plugin serves on its own listener, without the local API token " +
        "(docs/api.md §Plugin routes).",
    },
    paths,
    components: { schemas: SCHEMAS },
  };
}
