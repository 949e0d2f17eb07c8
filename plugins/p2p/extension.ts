/**
 * The p2p plugin's extension point `libp2p`: the libp2p services other
 * plugins add to the node's one host, in js-libp2p's `services` shape
 * (`dht: kadDHT({...})`). The plugin collects them before it creates the
 * host and hands each contributor back only the services it added.
 *
 * @example
 * ```ts ignore
 * const dht: Plugin<DhtConfig> = {
 *   name: "dht",
 *   needs: ["p2p"],
 *   extend: (config) => ({ libp2p: libp2pServices({ dht: kadDHT({ protocol: config.protocol }) }) }),
 *   async start(context) {
 *     const { dht } = context.plugins.p2p.services;
 *     // ...
 *   },
 * };
 * ```
 *
 * @module
 */

/** A js-libp2p service factory: called with the host's components when it is created. */
// deno-lint-ignore no-explicit-any
export type ServiceFactory = (components: any) => unknown;

/** What a plugin adds to the host. */
export interface Libp2pExtension {
  /** Services by name; a name may be used once across the node (identify and ping are the host's). */
  services?: Readonly<Record<string, ServiceFactory>>;
}

/**
 * The `libp2p` contribution of a plugin: `extend: () => ({ libp2p:
 * libp2pServices({ dht: kadDHT() }) })`.
 */
export function libp2pServices(
  services: Readonly<Record<string, ServiceFactory>>,
): Libp2pExtension {
  return { services };
}

/** The name of the p2p plugin's extension point. */
export const LIBP2P_POINT = "libp2p";
