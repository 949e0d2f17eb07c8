/**
 * The OpenAPI 3.1 document of the local API: the core's routes, written
 * here, merged with the route documentation every plugin declares. Also
 * checks that a plugin documents every route it serves and claims no path
 * the core or another plugin serves.
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
          code: { type: "string", pattern: "^E_[A-Z_]+$" },
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

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/**
 * Checks that `app` serves only documented routes: every (method, path) of
 * its handlers has an operation in `openapi`. Throws E_PLUGIN naming the
 * first undocumented route.
 */
export function checkDocumented(
  plugin: string,
  app: Hono,
  openapi: Record<string, OpenApiPathItem>,
): void {
  for (const route of app.routes) {
    const method = route.method.toLowerCase();
    if (!METHODS.includes(method)) continue; // middleware (ALL)
    const item = openapi[toOpenApiPath(route.path)];
    if (item?.[method] === undefined) {
      throw new MeteorError(
        "E_PLUGIN",
        `Cannot mount routes of plugin "${plugin}": ${route.method} ${route.path} is not in its openapi`,
      );
    }
  }
}

/**
 * Builds the whole document. Throws E_PLUGIN when a plugin documents a path
 * the core or an earlier plugin already has.
 */
export function buildOpenApi(version: string, plugins: readonly MountedRoutes[]): unknown {
  const paths: Record<string, OpenApiPathItem> = { ...CORE_PATHS };
  const owner = new Map(Object.keys(CORE_PATHS).map((p) => [p, "the core"]));
  for (const { plugin, mount, openapi } of plugins) {
    for (const [relative, item] of Object.entries(openapi)) {
      const path = joinPath(mount, relative);
      const taken = owner.get(path);
      if (taken) {
        throw new MeteorError(
          "E_PLUGIN",
          `Cannot mount routes of plugin "${plugin}": ${path} is already served by ${taken}`,
        );
      }
      owner.set(path, `plugin "${plugin}"`);
      paths[path] = { ...item, "x-meteor-plugin": plugin };
    }
  }
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
