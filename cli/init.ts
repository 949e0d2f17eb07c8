/**
 * `meteor init`: creates a node home with a new random identity, and
 * {@link setUpHome}, which `meteor seed import` shares.
 *
 * @module
 */
import { wipe } from "../core/bytes.ts";
import { defaultConfig } from "../core/config.ts";
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { ensureApiToken } from "../core/api_token.ts";
import { deriveKeys, formatMeteorId, SEED_LENGTH, wipeNodeKeys } from "../core/identity/mod.ts";
import { writeKeystore } from "../core/keystore.ts";
import { writeSecretFile } from "../core/secret_file.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";
import { exists } from "./_fs.ts";
import { newPassphrase } from "./_passphrase.ts";

/** What {@link setUpHome} did. */
export interface HomeSetup {
  /** The home folder. */
  home: string;
  /** The MeteorID text of the stored seed. */
  meteorId: string;
  /** The libp2p PeerId of the stored seed. */
  peerId: string;
  /** Whether the keystore is encrypted under a passphrase. */
  encrypted: boolean;
  /** Paths of the files in the home, and whether each was created now. */
  files: Record<"keystore" | "config" | "apiToken", { path: string; created: boolean }>;
}

/**
 * Where {@link freePorts} looks: above the well-known service ports and below
 * Linux's default ephemeral range (32768-60999), from which the kernel hands
 * out ports to outgoing connections at any moment: a port chosen there can be
 * taken by the time the node binds it.
 */
const PORT_RANGE = { low: 20000, high: 32767 } as const;

/**
 * Ports this process already handed out: free when checked, but maybe not yet
 * bound by whoever asked, so they are not handed out twice.
 */
const handedOut = new Set<number>();

/** Random tries at {@link PORT_RANGE} before falling back to ports the kernel picks. */
const PORT_TRIES = 200;

/**
 * Finds `count` distinct TCP ports free on every interface, by binding them
 * all at once, and releases them: random ports of {@link PORT_RANGE} first,
 * ports the kernel picks (port 0) if too few of those are free.
 */
export function freePorts(count: number): number[] {
  const listeners: Deno.Listener[] = [];
  const bind = (port: number) => listeners.push(Deno.listen({ hostname: "0.0.0.0", port }));
  try {
    for (let tries = 0; listeners.length < count && tries < PORT_TRIES; tries++) {
      const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
      if (handedOut.has(port)) continue;
      try {
        bind(port);
      } catch (err) {
        if (!(err instanceof Deno.errors.AddrInUse)) throw err;
      }
    }
    while (listeners.length < count) bind(0);
    const ports = listeners.map((l) => (l.addr as Deno.NetAddr).port);
    for (const port of ports) handedOut.add(port);
    return ports;
  } finally {
    for (const l of listeners) l.close();
  }
}

/** Throws E_EXISTS when the home already holds a keystore and `force` is not set. */
export async function refuseExistingKeystore(home: string, force: boolean): Promise<void> {
  const path = homePaths(home).keystore;
  if (!force && await exists(path)) {
    throw new MeteorError(
      "E_EXISTS",
      `Cannot create identity: ${path} exists (--force replaces it, and the identity with it)`,
    );
  }
}

/**
 * Stores `seed` in the keystore of `home` (0600, home 0700) and creates
 * config.json (with free ports chosen now) and the API token when they are
 * missing; existing ones are kept.
 *
 * @throws {MeteorError} E_EXISTS when a keystore exists and `force` is not set; E_IO
 */
export async function setUpHome(
  home: string,
  seed: Uint8Array,
  options: { passphrase?: string; force?: boolean } = {},
): Promise<HomeSetup> {
  const paths = homePaths(home);
  await writeKeystore(home, seed, { passphrase: options.passphrase, force: options.force });
  let configCreated = false;
  if (!(await exists(paths.config))) {
    const [api, p2pTcp, p2pWs] = freePorts(3);
    const text = JSON.stringify(defaultConfig({ api, p2pTcp, p2pWs }), null, 2) + "\n";
    await writeSecretFile(paths.config, new TextEncoder().encode(text));
    configCreated = true;
  }
  const token = await ensureApiToken(paths.apiToken);
  const keys = await deriveKeys(seed);
  wipeNodeKeys(keys);
  return {
    home,
    meteorId: formatMeteorId(keys.meteorId),
    peerId: keys.peerId,
    encrypted: options.passphrase !== undefined,
    files: {
      keystore: { path: paths.keystore, created: true },
      config: { path: paths.config, created: configCreated },
      apiToken: { path: paths.apiToken, created: token.created },
    },
  };
}

/** The human-readable report of a {@link HomeSetup}. */
export function describeSetup(setup: HomeSetup): string {
  const state = (created: boolean) => (created ? "created" : "kept");
  const { keystore, config, apiToken } = setup.files;
  return [
    `Node home: ${setup.home}`,
    `  keystore   ${keystore.path} (${
      setup.encrypted ? "encrypted with your passphrase" : "not encrypted: protect this folder"
    })`,
    `  config     ${config.path} (${state(config.created)})`,
    `  API token  ${apiToken.path} (${state(apiToken.created)})`,
    `MeteorID  ${setup.meteorId}`,
    `PeerId    ${setup.peerId}`,
  ].join("\n");
}

/** The options `meteor init` and `meteor seed import` share. */
export const SETUP_OPTIONS = {
  force: { type: "boolean", default: false },
  passphrase: { type: "boolean", default: false },
} as const;

/**
 * Stores `seed` in `home` with {@link setUpHome} (under a new passphrase when
 * `--passphrase` was given) and prints what was set up; resolves to the exit
 * code. Takes ownership of `seed`: it is wiped, whatever happens.
 */
export async function storeSeed(
  home: string,
  seed: Uint8Array,
  values: { force: boolean; passphrase: boolean; json: boolean },
): Promise<number> {
  try {
    const passphrase = values.passphrase ? await newPassphrase() : undefined;
    const setup = await setUpHome(home, seed, { passphrase, force: values.force });
    if (values.json) printJson(setup);
    else console.log(describeSetup(setup));
    return 0;
  } finally {
    wipe(seed);
  }
}

/** `meteor init`. */
export const initCommand: Command = {
  name: "init",
  summary: "Create a node home with a new identity, config and API token",
  help: `Usage: meteor init [--home DIR] [--force] [--passphrase] [--json]

Creates a node home (default $METEOR_HOME or ~/.meteor, mode 0700) holding:
  keystore.json  a new random 32-byte seed, your whole identity (mode 0600)
  config.json    the node configuration, with free ports chosen now
  api-token      the local API token (mode 0600)
and prints the new MeteorID and PeerId. An existing config.json or api-token
is kept.

Options:
  --home DIR     the node home to create
  --force        replace an existing keystore: the old identity is lost unless
                 you exported its seed (meteor seed export)
  --passphrase   encrypt the seed under a passphrase (scrypt, 128 MiB); taken
                 from $METEOR_PASSPHRASE or asked for twice at the terminal
  --json         print the result as JSON

Examples:
  meteor init
  meteor init --home /srv/meteor --passphrase
  METEOR_PASSPHRASE=... meteor init --passphrase --json`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, SETUP_OPTIONS);
    refuseExtraArguments(positionals, 0);
    const home = homeFrom(values);
    await refuseExistingKeystore(home, values.force);
    return await storeSeed(home, crypto.getRandomValues(new Uint8Array(SEED_LENGTH)), values);
  },
};
