/**
 * An example plugin that uses every part of the plugin kit (docs/plugins.md
 * walks through it): a guestbook that peers sign.
 *
 * - a libp2p service on the node's one host (`/meteor-example/guestbook/1.0.0`
 *   answers the number of entries), contributed through the `libp2p`
 *   extension point;
 * - a typed session record, `guestbook/sign`, sent end-to-end encrypted to a
 *   peer's MeteorID over the Meteor session and handled on arrival;
 * - a token route (the local API) and a public route (its own listener);
 * - CLI commands; its own table in its own database; its own event
 *   (`guestbook:signed`) and error code (`E_GUESTBOOK_FULL`).
 *
 * Load it with `"customPlugins": ["/path/to/meteor/examples/guestbook/mod.ts"]`
 * and, for the public route, `"pluginConfig": { "guestbook": { "listen":
 * "127.0.0.1:8080" } }`.
 *
 * @module
 */
import {
  formatMeteorId,
  libp2pServices,
  MeteorError,
  type P2PApi,
  type Plugin,
  resolvePeerName,
} from "../../plugin.ts";
import { Guestbook, MIGRATIONS } from "./_book.ts";
import { listCommand, signCommand } from "./_commands.ts";
import { checkText, publicRoutes, tokenRoutes } from "./_routes.ts";
import { type GuestbookService, guestbookService } from "./_service.ts";

declare module "../../core/errors.ts" {
  interface ErrorCodeMap {
    /** The guestbook holds as many entries as it may. */
    E_GUESTBOOK_FULL: true;
  }
}

declare module "../../core/events.ts" {
  interface MeteorEventMap {
    /** Someone signed this node's guestbook. */
    "guestbook:signed": { from: string; text: string };
  }
}

/** `pluginConfig.guestbook`. */
export interface GuestbookConfig {
  /** Where the public route listens ("host:port"); none when absent. */
  listen?: string;
  /** How many entries the book keeps at most; default 1000. */
  capacity: number;
}

/** The record type peers sign with. */
export const SIGN_RECORD = "guestbook/sign";

function validate(raw: unknown): GuestbookConfig {
  if (raw === undefined) return { capacity: 1000 };
  const bad = (key: string, expected: string) =>
    new MeteorError(
      "E_BAD_CONFIG",
      `Cannot load config: "pluginConfig.guestbook${key}" must be ${expected}`,
    );
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("", "an object");
  const { listen, capacity = 1000, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw bad(`.${unknown}`, "absent (unknown key)");
  if (listen !== undefined && (typeof listen !== "string" || !/^.+:\d{1,5}$/.test(listen))) {
    throw bad(".listen", 'a "host:port" string');
  }
  if (!Number.isSafeInteger(capacity) || (capacity as number) < 1) {
    throw bad(".capacity", "a positive integer");
  }
  return { listen: listen as string | undefined, capacity: capacity as number };
}

/** The plugin factory: the module's default export. */
export default function guestbook(): Plugin<
  GuestbookConfig,
  { count(): number },
  { p2p: P2PApi },
  "database" | "contacts" | "counters"
> {
  return {
    name: "guestbook",
    version: "1.0.0",
    needs: ["p2p"],
    uses: ["database", "contacts", "counters"],
    errors: { E_GUESTBOOK_FULL: { status: 409, description: "The guestbook is full" } },
    configSchema: { validate },
    extend: () => ({ libp2p: libp2pServices({ guestbook: guestbookService() }) }),
    start(context) {
      const { p2p } = context.plugins;
      const book = new Guestbook(
        context.database.open({ migrations: MIGRATIONS }),
        context.config.capacity,
      );
      (p2p.services.guestbook as GuestbookService).countWith(() => book.count());
      const stopHandling = p2p.records.handle(SIGN_RECORD, ({ from, payload }) => {
        const text = checkText(new TextDecoder().decode(payload));
        book.add(from, text);
        context.counters.add({ messagesIn: 1, bytesIn: payload.length });
        context.events.emit("guestbook:signed", { from: formatMeteorId(from), text });
      });
      const sign = async (to: string, text: string) => {
        const bytes = new TextEncoder().encode(text);
        await p2p.records.send(
          resolvePeerName(context.contacts, to, "sign guestbook"),
          SIGN_RECORD,
          bytes,
        );
        context.counters.add({ messagesOut: 1, bytesOut: bytes.length });
      };
      const listen = context.config.listen;
      return Promise.resolve({
        api: { count: () => book.count() },
        routes: [tokenRoutes(book, sign), ...(listen ? [publicRoutes(book, listen)] : [])],
        stats: () => ({ entries: book.count() }),
        stop: () => Promise.resolve(stopHandling()),
      });
    },
    commands: [signCommand, listCommand],
  };
}
