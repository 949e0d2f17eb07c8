/**
 * The kad-dht services the dht plugin adds to the node's one libp2p host
 * (docs/dht.md §1): Meteor's own DHT under its protocol id, with the
 * `/meteor/` record validator and selector, and optionally the public IPFS
 * DHT as a client. The validator reads the record already held from the
 * host's datastore, where kad-dht keeps it, so a lower sequence never
 * replaces it.
 *
 * @module
 */
import {
  type KadDHT,
  kadDHT,
  passthroughMapper,
  Record as DhtRecord,
  removePrivateAddressesMapper,
} from "@libp2p/kad-dht";
import { base32nopad } from "@scure/base";
import { type Datastore, Key } from "interface-datastore";
import type { ServiceFactory } from "../../plugin.ts";
import type { DhtConfig } from "./config.ts";
import { RECORD_NAMESPACE, recordValidator, selectRecord } from "./record.ts";

/** The service name of Meteor's DHT on the host. */
export const DHT_SERVICE = "dht";
/** The service name of the public IPFS DHT client, when `publicDht` is set. */
export const PUBLIC_DHT_SERVICE = "ipfsDht";
/** Where kad-dht keeps Meteor DHT records in the host's datastore. */
export const DATASTORE_PREFIX = "/dht";

/**
 * The datastore key kad-dht stores the record of DHT key `key` under:
 * `/dht/record/` + unpadded lower-case RFC 4648 base32 of the key.
 */
export function datastoreKey(key: Uint8Array): Key {
  return new Key(`${DATASTORE_PREFIX}/record/${base32nopad.encode(key).toLowerCase()}`, false);
}

/** The value of the record `datastore` holds for `key`, or null. */
async function storedValue(datastore: Datastore, key: Uint8Array): Promise<Uint8Array | null> {
  try {
    return DhtRecord.deserialize(await datastore.get(datastoreKey(key))).value;
  } catch {
    return null;
  }
}

/**
 * The host services: `dht` (Meteor's DHT: server unless `clientMode`, every
 * address kept so that LAN and loopback peers work) and, with `publicDht`,
 * `ipfsDht` (the public IPFS DHT, client only, public addresses only).
 * `rejected` counts each record the validator refuses, by error code.
 */
export function dhtServices(
  config: DhtConfig,
  rejected: (code: string) => void,
): Record<string, ServiceFactory> {
  const meteor: ServiceFactory = (components: { datastore: Datastore }) => {
    const validator = recordValidator({
      stored: (key) => storedValue(components.datastore, key),
      rejected,
    });
    return kadDHT({
      protocol: config.protocol,
      clientMode: config.clientMode,
      datastorePrefix: DATASTORE_PREFIX,
      peerInfoMapper: passthroughMapper,
      validators: { [RECORD_NAMESPACE]: validator },
      selectors: { [RECORD_NAMESPACE]: selectRecord },
    })(components as Parameters<ReturnType<typeof kadDHT>>[0]);
  };
  if (!config.publicDht) return { [DHT_SERVICE]: meteor };
  return {
    [DHT_SERVICE]: meteor,
    [PUBLIC_DHT_SERVICE]: kadDHT({
      protocol: "/ipfs/kad/1.0.0",
      clientMode: true,
      peerInfoMapper: removePrivateAddressesMapper,
      logPrefix: "libp2p:dht-ipfs",
      datastorePrefix: "/dht-ipfs",
      metricsPrefix: "libp2p_dht_ipfs",
    }) as ServiceFactory,
  };
}

/** Meteor's DHT as the plugin uses it. */
export type MeteorDht = KadDHT & { routingTable: { size: number } };
