/**
 * One-line listen failures: libp2p reports them as one multi-line message
 * with stack lines (UnsupportedListenAddressesError).
 *
 * @module
 */
import { MeteorError } from "../../core/errors.ts";

/** Node's errno names as a listen failure's reason. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: "address in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
};

/**
 * The first failed address and reason of a libp2p listen failure as one
 * line: "Cannot listen on <addr>: port <n> is in use; ..." (E_ADDR_IN_USE,
 * naming the config key to change) when another process holds the port,
 * else "Cannot listen on <addr>: <reason>" (E_IO). Other errors pass through.
 */
export function listenError(err: unknown): unknown {
  if ((err as Error | null)?.name !== "UnsupportedListenAddressesError") return err;
  const failed = /^\s*(\/\S+): (.*)$/m.exec((err as Error).message);
  if (failed === null) {
    return new MeteorError("E_IO", "Cannot listen: a configured address failed", { cause: err });
  }
  const [, address, detail] = failed;
  const errno = Object.keys(LISTEN_REASONS).find((name) => detail.includes(name));
  const port = /\/(?:tcp|udp)\/(\d+)/.exec(address)?.[1];
  if (errno === "EADDRINUSE" && port !== undefined) {
    return new MeteorError(
      "E_ADDR_IN_USE",
      `Cannot listen on ${address}: port ${port} is in use by another process; ` +
        "choose another port in config.json p2p.listen",
      { cause: err },
    );
  }
  const reason = errno === undefined ? detail.replace(/^\w*Error: /, "") : LISTEN_REASONS[errno];
  return new MeteorError("E_IO", `Cannot listen on ${address}: ${reason}`, { cause: err });
}
