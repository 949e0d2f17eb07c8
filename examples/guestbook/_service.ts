/**
 * A libp2p service the guestbook adds to the node's one host: it answers
 * `/meteor-example/guestbook/1.0.0` with the number of entries, as one
 * decimal line, to any peer (a public fact, so it needs no Meteor session).
 *
 * @module
 */
import type { Libp2p, Stream } from "@libp2p/interface";

/** The protocol the service answers. */
export const GUESTBOOK_PROTOCOL = "/meteor-example/guestbook/1.0.0";

/** What the service uses of the host's components (js-libp2p's registrar). */
type Registrar = Pick<Libp2p, "handle" | "unhandle">;

/** The running service: the plugin tells it how to count. */
export interface GuestbookService {
  /** Sets where the count comes from (the plugin's table, once it has started). */
  countWith(count: () => number): void;
}

/** The service factory, in js-libp2p's `(components) => service` shape. */
export function guestbookService(): (components: { registrar: Registrar }) => GuestbookService {
  return ({ registrar }) => {
    let count = () => 0;
    return {
      countWith: (fn) => void (count = fn),
      async start() {
        await registrar.handle(GUESTBOOK_PROTOCOL, (stream: Stream) => {
          stream.send(new TextEncoder().encode(`${count()}\n`));
        });
      },
      async stop() {
        await registrar.unhandle(GUESTBOOK_PROTOCOL);
      },
    } as GuestbookService;
  };
}
