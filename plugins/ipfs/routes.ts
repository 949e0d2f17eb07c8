/**
 * The plugin's routes on the local API, mounted at /v1 (docs/api.md §IPFS):
 * `POST /v1/files` (a streamed upload, bounded by `maxUploadBytes` rather
 * than the 1 MiB default), `GET /v1/files/{cid}` (streamed),
 * `GET /v1/pins`, `DELETE /v1/pins/{cid}`, `POST /v1/ipfs/gc`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Recipient } from "../../core/age/mod.ts";
import { MeteorError } from "../../core/errors.ts";
import type { OpenApiPathItem, PluginRoutes } from "../../core/plugin.ts";
import { parseCid } from "./files.ts";
import type { IpfsService } from "./service.ts";

const json = (description: string, schema: unknown = { type: "object" }) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(description, { $ref: "#/components/schemas/Error" });
const cidParam = { name: "cid", in: "path", required: true, schema: { type: "string" } };
const plainParam = {
  name: "plain",
  in: "query",
  schema: { type: "string", enum: ["true"] },
  description: "Store or read the bytes unencrypted",
};

/** Whether `?plain=true`; E_MALFORMED for any other value. */
function plainOf(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === "true") return true;
  throw new MeteorError("E_MALFORMED", 'Cannot read query: "plain" must be "true" when present');
}

/** Extra routes (the transfers') merged into the one mount. */
export interface ExtraRoutes {
  /** Adds routes to the app. */
  install(app: Hono): void;
  /** Their Path Items. */
  openapi: Record<string, OpenApiPathItem>;
}

/** The mount. `recipientsOf(query)` turns the `recipient`/`to` values of a put into recipients. */
export function ipfsRoutes(
  service: IpfsService,
  recipientsOf: (recipients: string[], to: string[]) => Promise<Recipient[]>,
  maxUploadBytes: number,
  extra: ExtraRoutes,
): PluginRoutes {
  const app = new Hono();
  app.post("/files", async (c) => {
    const plain = plainOf(c.req.query("plain"));
    const recipients = c.req.queries("recipient") ?? [];
    const to = c.req.queries("to") ?? [];
    if (plain && (recipients.length > 0 || to.length > 0)) {
      throw new MeteorError("E_USAGE", "Cannot put file: --plain takes no recipients");
    }
    const body = c.req.raw.body ?? ReadableStream.from([]);
    const result = await service.put(body, {
      plain,
      recipients: plain ? [] : await recipientsOf(recipients, to),
    });
    return c.json(result, 201);
  });
  app.get("/files/:cid", async (c) => {
    const cid = parseCid(c.req.param("cid"));
    // A client that goes away cancels the body, which cancels the fetch.
    const stream = await service.open(cid, { plain: plainOf(c.req.query("plain")) });
    return new Response(stream, { headers: { "content-type": "application/octet-stream" } });
  });
  app.get("/pins", async (c) => c.json({ pins: await service.pins() }));
  app.delete("/pins/:cid", async (c) => {
    await service.unpin(parseCid(c.req.param("cid")));
    return c.body(null, 204);
  });
  app.post("/ipfs/gc", async (c) => c.json({ removed: await service.gc() }));
  extra.install(app);
  const openapi: Record<string, OpenApiPathItem> = {
    "/files": {
      post: {
        summary: "Adds a file (streamed body), encrypted with age unless ?plain=true, and pins it",
        parameters: [
          plainParam,
          {
            name: "recipient",
            in: "query",
            schema: { type: "array", items: { type: "string" } },
            description: '"self" or an age recipient (age1pq1..., age1...); repeatable',
          },
          {
            name: "to",
            in: "query",
            schema: { type: "array", items: { type: "string" } },
            description: "A contact name or MeteorID to encrypt to; repeatable",
          },
        ],
        requestBody: {
          description: "The file's bytes",
          content: {
            "application/octet-stream": { schema: { type: "string", format: "binary" } },
          },
        },
        responses: {
          "201": json("Added and pinned", {
            type: "object",
            properties: {
              cid: { type: "string" },
              size: { type: "integer" },
              stored: { type: "integer" },
              encrypted: { type: "boolean" },
            },
          }),
          "400": error("Bad recipient or query (E_BAD_RECIPIENT, E_MALFORMED, E_USAGE)"),
          "404": error("No such contact (E_NOT_FOUND)"),
          "413": error("Over maxUploadBytes (E_TOO_LARGE)"),
        },
      },
    },
    "/files/{cid}": {
      get: {
        summary: "Streams a file: fetched from peers when missing, every block verified, decrypted",
        parameters: [cidParam, plainParam],
        responses: {
          "200": {
            description: "The plaintext (or the stored bytes with ?plain=true)",
            content: {
              "application/octet-stream": { schema: { type: "string", format: "binary" } },
            },
          },
          "400": error("Not a file CID, or not an age file (E_MALFORMED, E_HEADER_INVALID)"),
          "422": error(
            "Not for this node, or the ciphertext was altered (E_NO_MATCHING_IDENTITY, E_DECRYPT_FAILED)",
          ),
          "502": error("A block does not hash to its CID (E_CID_MISMATCH)"),
          "504": error("No peer sent the blocks in time (E_TIMEOUT)"),
        },
      },
    },
    "/pins": {
      get: {
        summary: "The pinned roots",
        responses: {
          "200": json("Pins", { type: "object", properties: { pins: { type: "array" } } }),
        },
      },
    },
    "/pins/{cid}": {
      delete: {
        summary: "Unpins a root (its blocks go at the next gc)",
        parameters: [cidParam],
        responses: {
          "204": { description: "Unpinned" },
          "404": error("Not pinned (E_NOT_FOUND)"),
        },
      },
    },
    "/ipfs/gc": {
      post: {
        summary: "Deletes every block no pin holds",
        responses: { "200": json("How many blocks were removed (null: unknown)") },
      },
    },
  };
  for (const [path, item] of Object.entries(extra.openapi)) {
    openapi[path] = { ...openapi[path], ...item };
  }
  return { app, mount: "/v1", bodyLimit: maxUploadBytes, openapi };
}
