/**
 * The built-in plugins, by the name config.plugins uses. Each entry loads
 * its module only when named, so a node that does not run a plugin does not
 * load it. Custom plugins come from config.customPlugins instead
 * (core/plugin_loader.ts).
 *
 * @module
 */
import { MeteorError } from "../core/errors.ts";
import { lazyImport } from "../core/lazy_import.ts";
import type { LazyPluginCommand, Plugin } from "../core/plugin.ts";
import { AUTH_SUMMARIES } from "./auth/summaries.ts";

/** Loaders of the built-in plugins. */
export const BUILTIN_PLUGINS: Readonly<Record<string, () => Promise<Plugin>>> = {
  p2p: async () =>
    (await lazyImport<typeof import("./p2p/mod.ts")>(new URL("./p2p/mod.ts", import.meta.url)))
      .default() as Plugin,
  dht: async () =>
    (await lazyImport<typeof import("./dht/mod.ts")>(new URL("./dht/mod.ts", import.meta.url)))
      .default() as Plugin,
  ipfs: async () =>
    (await lazyImport<typeof import("./ipfs/mod.ts")>(new URL("./ipfs/mod.ts", import.meta.url)))
      .default() as Plugin,
  pubsub: async () =>
    (await lazyImport<typeof import("./pubsub/mod.ts")>(
      new URL("./pubsub/mod.ts", import.meta.url),
    )).default() as Plugin,
  auth: async () =>
    (await lazyImport<typeof import("./auth/mod.ts")>(new URL("./auth/mod.ts", import.meta.url)))
      .default() as Plugin,
  dashboard: async () =>
    (await lazyImport<typeof import("./dashboard/mod.ts")>(
      new URL("./dashboard/mod.ts", import.meta.url),
    )).default() as Plugin,
};

/**
 * Top-level `meteor` commands of the built-in plugins (each folder adds its
 * own entries here), after the core's in `meteor --help`. They reach the
 * running daemon through its API, so they work whichever plugins it runs.
 */
export const BUILTIN_COMMANDS: readonly LazyPluginCommand[] = [
  {
    name: "resolve",
    summary: "Find a MeteorID's identity document and addresses in the DHT",
    load: async () =>
      (await lazyImport<typeof import("./dht/commands.ts")>(
        new URL("./dht/commands.ts", import.meta.url),
      )).resolveCommand,
  },
  {
    name: "bootstrap",
    summary: "Add a bootstrap peer to config.json and dial it now",
    load: async () =>
      (await lazyImport<typeof import("./dht/commands.ts")>(
        new URL("./dht/commands.ts", import.meta.url),
      )).bootstrapCommand,
  },
  {
    name: "put",
    summary: "Encrypt a file (to this node by default) and add and pin it on IPFS",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).putCommand,
  },
  {
    name: "get",
    summary: "Fetch a file from IPFS (here or from peers), verify, decrypt and write it",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).getCommand,
  },
  {
    name: "pins",
    summary: "List the files pinned on this node's IPFS",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).pinsCommand,
  },
  {
    name: "unpin",
    summary: "Unpin a file (its blocks go at the next 'meteor gc')",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).unpinCommand,
  },
  {
    name: "gc",
    summary: "Delete the IPFS blocks no pin holds",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).gcCommand,
  },
  {
    name: "send-file",
    summary: "Send a file to a peer over IPFS, encrypted to it",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).sendFileCommand,
  },
  {
    name: "files",
    summary: "List the files peers sent to this node",
    load: async () =>
      (await lazyImport<typeof import("./ipfs/commands.ts")>(
        new URL("./ipfs/commands.ts", import.meta.url),
      )).filesCommand,
  },
  ...(
    [
      ["pub", "pubCommand", "Publish a text on a topic"],
      ["sub", "subCommand", "Subscribe to a topic and print its messages as they arrive"],
      ["topics", "topicsCommand", "List subscribed and private topics with their peers"],
      ["topic create", "topicCreateCommand", "Create a private topic owned by this node"],
      ["topic invite", "topicInviteCommand", "Invite a member to a private topic"],
      [
        "topic remove",
        "topicRemoveCommand",
        "Remove a member from a private topic, rotating its key",
      ],
    ] as const
  ).map(([name, exported, summary]) => ({
    name,
    summary,
    load: async () =>
      (await lazyImport<typeof import("./pubsub/commands.ts")>(
        new URL("./pubsub/commands.ts", import.meta.url),
      ))[exported],
  })),
  ...(Object.keys(AUTH_SUMMARIES) as (keyof typeof AUTH_SUMMARIES)[]).map((word) => ({
    name: `auth ${word}`,
    summary: AUTH_SUMMARIES[word],
    load: async () =>
      (await lazyImport<typeof import("./auth/commands.ts")>(
        new URL("./auth/commands.ts", import.meta.url),
      )).AUTH_COMMANDS[word],
  })),
  {
    name: "open",
    summary: "Open the node's dashboard in the browser with a one-time login link",
    load: async () =>
      (await lazyImport<typeof import("./dashboard/commands.ts")>(
        new URL("./dashboard/commands.ts", import.meta.url),
      )).openCommand,
  },
];

/** Builds the built-in plugins named in config.plugins; E_PLUGIN for an unknown name. */
export async function builtinPlugins(names: readonly string[]): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const name of names) {
    const load = Object.hasOwn(BUILTIN_PLUGINS, name) ? BUILTIN_PLUGINS[name] : undefined;
    if (!load) {
      const known = Object.keys(BUILTIN_PLUGINS).map((n) => `"${n}"`).join(", ") || "none";
      throw new MeteorError(
        "E_PLUGIN",
        `Cannot load plugin "${name}": no such built-in plugin (built in: ${known})`,
      );
    }
    plugins.push(await load());
  }
  return plugins;
}
