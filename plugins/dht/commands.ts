/**
 * The dht plugin's top-level commands, `meteor resolve ID` and `meteor
 * bootstrap ADDR` (plugins/mod.ts BUILTIN_COMMANDS): they reach the running
 * daemon through its API; `bootstrap` also adds the address to the home's
 * config.json, so it is dialled at every start.
 *
 * @module
 */
import { multiaddr } from "@multiformats/multiaddr";
import { MAX_CONFIG_BYTES, parseConfig } from "../../core/config.ts";
import { homePaths } from "../../core/home.ts";
import { readBoundedFile, writeSecretFile } from "../../core/secret_file.ts";
import {
  apiClientFor,
  homeFrom,
  isMeteorError,
  MeteorError,
  parseCommandArgs,
  parseMeteorId,
  type PluginCommand,
  printJson,
} from "../../plugin.ts";
import { DEFAULT_DHT_CONFIG, parseDhtConfig } from "./config.ts";

/** How much longer than the daemon's resolve bound the CLI waits for its answer, in ms. */
const ANSWER_SLACK_MS = 5000;

/** `meteor resolve ID`. */
export const resolveCommand: PluginCommand = {
  name: "resolve",
  summary: "Find a MeteorID's identity document and addresses in the DHT",
  help: `Usage: meteor resolve ID [--json] [--home DIR]

Asks the running daemon to look ID (meteor1...) up in Meteor's DHT and prints
the verified identity document's PeerId and addresses, with the hops and
queries the lookup took. Fails with E_NOT_FOUND when no valid record is found
within the daemon's bound (pluginConfig.dht.resolveTimeoutMs, default 30 s).`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 1) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected one MeteorID");
    }
    parseMeteorId(positionals[0]);
    const home = homeFrom(values);
    const client = await apiClientFor(home, {
      timeoutMs: await resolveBound(homePaths(home).config) + ANSWER_SLACK_MS,
    });
    const found = await client.request<Record<string, unknown> & { addresses: string[] }>(
      "GET",
      `/v1/resolve/${encodeURIComponent(positionals[0])}`,
    );
    if (values.json) {
      printJson(found);
      return 0;
    }
    console.log(`MeteorID  ${found.meteorId}`);
    console.log(`PeerId    ${found.peerId}`);
    console.log(`sequence  ${found.sequence}`);
    console.log(`lookup    ${found.hops} hops, ${found.queries} queries, ${found.ms} ms`);
    for (const address of found.addresses) console.log(`address   ${address}`);
    return 0;
  },
};

/** The daemon's resolve bound, from the home's config.json (the default when it has none). */
async function resolveBound(path: string): Promise<number> {
  try {
    const config = parseConfig(
      new TextDecoder().decode(await readBoundedFile(path, MAX_CONFIG_BYTES)),
    );
    return parseDhtConfig(config.pluginConfig.dht).resolveTimeoutMs;
  } catch {
    return DEFAULT_DHT_CONFIG.resolveTimeoutMs;
  }
}

/** Adds `address` to config.json p2p.bootstrap (once); resolves to whether it was new. */
async function addToConfig(path: string, address: string): Promise<boolean> {
  const text = new TextDecoder().decode(await readBoundedFile(path, MAX_CONFIG_BYTES));
  const config = parseConfig(text);
  if (config.p2p.bootstrap.includes(address)) return false;
  const raw = JSON.parse(text) as { p2p?: { bootstrap?: string[] } };
  raw.p2p = { ...raw.p2p, bootstrap: [...config.p2p.bootstrap, address] };
  const updated = `${JSON.stringify(raw, null, 2)}\n`;
  parseConfig(updated);
  await writeSecretFile(path, new TextEncoder().encode(updated), { force: true });
  return true;
}

/** `meteor bootstrap ADDR`. */
export const bootstrapCommand: PluginCommand = {
  name: "bootstrap",
  summary: "Add a bootstrap peer to config.json and dial it now",
  help: `Usage: meteor bootstrap ADDR [--json] [--home DIR]

Adds the multiaddr ADDR (e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW...) to
config.json p2p.bootstrap, dialled at every start, and asks the running daemon,
if any, to dial it now; the DHT learns the network from it. Without a running
daemon the address is only added.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 1) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected one multiaddr");
    }
    const [address] = positionals;
    try {
      multiaddr(address);
    } catch {
      throw new MeteorError("E_USAGE", `Cannot bootstrap: not a multiaddr: ${address}`);
    }
    const home = homeFrom(values);
    const added = await addToConfig(homePaths(home).config, address);
    let dialed: { peerId: string; routingTable: number } | null = null;
    try {
      dialed = await (await apiClientFor(home)).request("POST", "/v1/bootstrap", { address });
    } catch (err) {
      if (!isMeteorError(err, "E_UNREACHABLE")) throw err;
    }
    if (values.json) {
      printJson({ address, added, dialed: dialed !== null, ...dialed });
    } else {
      console.log(added ? `Added ${address} to p2p.bootstrap.` : `${address} was already listed.`);
      console.log(
        dialed
          ? `Connected to ${dialed.peerId}; ${dialed.routingTable} peers in the routing table.`
          : "No daemon is running: it is dialled at the next start.",
      );
    }
    return 0;
  },
};
