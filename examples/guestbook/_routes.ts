/**
 * The guestbook's HTTP routes: a token mount on the local API
 * (`POST /v1/guestbook/sign` sends a signature to a peer, `GET
 * /v1/guestbook/entries` lists this node's book) and a public mount on its
 * own listener (`GET /v1/guestbook/count`, for anyone, no token).
 *
 * @module
 */
import { Hono } from "hono";
import { formatMeteorId, MeteorError, type PluginRoutes, readJsonBody } from "../../plugin.ts";
import type { Guestbook } from "./_book.ts";

/** The longest entry text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 1024;

const json = (description: string, schema: unknown) => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string) => json(description, { $ref: "#/components/schemas/Error" });

/** Checks an entry text: a string of 1 to {@link MAX_TEXT_BYTES} UTF-8 bytes. */
export function checkText(text: unknown): string {
  if (
    typeof text !== "string" || text === "" ||
    new TextEncoder().encode(text).length > MAX_TEXT_BYTES
  ) {
    throw new MeteorError(
      "E_MALFORMED",
      `Cannot sign guestbook: "text" must be 1 to ${MAX_TEXT_BYTES} bytes of text`,
    );
  }
  return text;
}

/** The token mount: sign a peer's book, read this node's. */
export function tokenRoutes(
  book: Guestbook,
  sign: (to: string, text: string) => Promise<void>,
): PluginRoutes {
  const app = new Hono();
  app.post("/sign", async (c) => {
    const body = await readJsonBody(c, { maxBytes: 4 * MAX_TEXT_BYTES });
    if (typeof body.to !== "string") {
      throw new MeteorError("E_MALFORMED", 'Cannot sign guestbook: "to" must be a string');
    }
    await sign(body.to, checkText(body.text));
    return c.json({ sent: true }, 202);
  });
  app.get("/entries", (c) =>
    c.json({
      entries: book.list().map((e) => ({
        from: formatMeteorId(e.from),
        text: e.text,
        receivedAt: e.receivedAt,
      })),
    }));
  return {
    app,
    bodyLimit: 4 * MAX_TEXT_BYTES,
    openapi: {
      "/sign": {
        post: {
          summary: "Signs a peer's guestbook (contact name or MeteorID) over the Meteor session",
          requestBody: json("The peer and the text", {
            type: "object",
            required: ["to", "text"],
            properties: { to: { type: "string" }, text: { type: "string" } },
          }),
          responses: {
            "202": json("Sent", { type: "object", properties: { sent: { const: true } } }),
            "400": error("Malformed body (E_MALFORMED, E_BAD_ID)"),
            "404": error("No such contact (E_NOT_FOUND)"),
            "503": error("The peer cannot be reached (E_NO_ADDRESS, E_UNREACHABLE)"),
          },
        },
      },
      "/entries": {
        get: {
          summary: "This node's guestbook, newest first",
          responses: { "200": json("Entries", { type: "object" }) },
        },
      },
    },
  };
}

/** The public mount on `listen`: how many have signed, for anyone. */
export function publicRoutes(book: Guestbook, listen: string): PluginRoutes {
  const app = new Hono();
  app.get("/count", (c) => c.json({ entries: book.count() }));
  return {
    app,
    policy: "public",
    listen,
    openapi: {
      "/count": {
        get: {
          summary: "How many entries this node's guestbook holds (public, no token)",
          responses: {
            "200": json("The count", {
              type: "object",
              properties: { entries: { type: "integer" } },
            }),
          },
        },
      },
    },
  };
}
