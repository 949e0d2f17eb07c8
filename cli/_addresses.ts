/**
 * The addresses `meteor id` puts in the identity document when no daemon is
 * running: the home's `p2p.listen` multiaddrs, with a wildcard host replaced
 * by the loopback and the machine's interface addresses, each ending in
 * /p2p/<PeerId> (docs/protocol.md §8: peers dial the addresses of a
 * contact's document).
 *
 * @module
 */
import { multiaddr } from "@multiformats/multiaddr";

/** An interface address, as Deno.networkInterfaces() lists it. */
export interface InterfaceAddress {
  /** "IPv4" or "IPv6". */
  family: string;
  /** The address, e.g. "192.0.2.2". */
  address: string;
}

/** Wildcard listen hosts and the address family that stands in for them. */
const WILDCARDS: Record<string, { protocol: string; family: string; loopback: string }> = {
  "/ip4/0.0.0.0/": { protocol: "ip4", family: "IPv4", loopback: "127.0.0.1" },
  "/ip6/::/": { protocol: "ip6", family: "IPv6", loopback: "::1" },
};

/** Whether others could dial `address`: not a loopback, wildcard or link-local address. */
function routable({ family, address }: InterfaceAddress): boolean {
  if (family === "IPv4") return !address.startsWith("127.") && address !== "0.0.0.0";
  const lower = address.toLowerCase();
  return family === "IPv6" && lower !== "::1" && lower !== "::" && !/^fe[89ab]/.test(lower);
}

/**
 * The dialable multiaddrs of a node listening on `listen`: a listen address
 * on port 0 is left out (its port is chosen at start), one that does not
 * parse is left out, and a wildcard host becomes the loopback plus each
 * routable address of `interfaces` of that family.
 *
 * @example
 * ```ts
 * import { reachableAddresses } from "./_addresses.ts";
 * reachableAddresses(["/ip4/0.0.0.0/tcp/4001"], "12D3KooW...", [
 *   { family: "IPv4", address: "192.0.2.2" },
 * ]);
 * // ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...", "/ip4/192.0.2.2/tcp/4001/p2p/12D3KooW..."]
 * ```
 */
export function reachableAddresses(
  listen: readonly string[],
  peerId: string,
  interfaces: readonly InterfaceAddress[],
): string[] {
  const out: string[] = [];
  for (const text of listen) {
    let components;
    try {
      components = multiaddr(text).getComponents();
    } catch {
      continue;
    }
    if (components.some((c) => (c.name === "tcp" || c.name === "udp") && c.value === "0")) continue;
    const suffix = components.some((c) => c.name === "p2p") ? "" : `/p2p/${peerId}`;
    const prefix = Object.keys(WILDCARDS).find((p) => text.startsWith(p));
    if (prefix === undefined) {
      out.push(`${text}${suffix}`);
      continue;
    }
    const { protocol, family, loopback } = WILDCARDS[prefix];
    const hosts = [
      loopback,
      ...interfaces.filter((i) => i.family === family && routable(i))
        .map((i) => i.address),
    ];
    for (const host of hosts) {
      out.push(`/${protocol}/${host}/${text.slice(prefix.length)}${suffix}`);
    }
  }
  return [...new Set(out)];
}
