/**
 * Every `meteor` subcommand, in the order `meteor --help` lists them. Each
 * command lives in its own module under cli/, imported only when that
 * command runs (or prints its `--help`): `meteor id` never loads libp2p,
 * Hono or the GPU code, which only the commands that use them import.
 *
 * @module
 */
import { lazyImport } from "../core/lazy_import.ts";
import { BUILTIN_COMMANDS } from "../plugins/mod.ts";
import type { Command } from "./command.ts";

/** One entry of the command table: what `meteor --help` lists, and how to load the command. */
export interface CommandEntry {
  /** The command's name, as its module's {@link Command.name}. */
  name: string;
  /** The command's one-line summary, as its module's {@link Command.summary}. */
  summary: string;
  /** Imports the command's module and resolves to the command. */
  load(): Promise<Command>;
}

/** The core's commands. */
const CORE_COMMANDS: readonly CommandEntry[] = [
  {
    name: "init",
    summary: "Create a node home with a new identity, config and API token",
    load: async () =>
      (await lazyImport<typeof import("./init.ts")>(new URL("./init.ts", import.meta.url)))
        .initCommand,
  },
  {
    name: "id",
    summary: "Show this node's MeteorID, PeerId, age recipient and identity document",
    load: async () =>
      (await lazyImport<typeof import("./id.ts")>(new URL("./id.ts", import.meta.url))).idCommand,
  },
  {
    name: "seed export",
    summary: "Print the seed (the whole identity) as hex, for backup or moving",
    load: async () =>
      (await lazyImport<typeof import("./seed.ts")>(new URL("./seed.ts", import.meta.url)))
        .seedExportCommand,
  },
  {
    name: "seed import",
    summary: "Restore an identity from its hex seed into a node home",
    load: async () =>
      (await lazyImport<typeof import("./seed.ts")>(new URL("./seed.ts", import.meta.url)))
        .seedImportCommand,
  },
  {
    name: "selftest",
    summary: "Run known-answer tests of every cryptographic primitive on this machine",
    load: async () =>
      (await lazyImport<typeof import("./selftest.ts")>(new URL("./selftest.ts", import.meta.url)))
        .command,
  },
  {
    name: "daemon",
    summary: "Run the node: plugins, p2p and the local API (creates a home on first run)",
    load: async () =>
      (await lazyImport<typeof import("./daemon.ts")>(new URL("./daemon.ts", import.meta.url)))
        .daemonCommand,
  },
  {
    name: "contacts add",
    summary: "Add a contact by MeteorID or identity document",
    load: async () =>
      (await lazyImport<typeof import("./contacts.ts")>(new URL("./contacts.ts", import.meta.url)))
        .contactsAddCommand,
  },
  {
    name: "contacts list",
    summary: "List contacts",
    load: async () =>
      (await lazyImport<typeof import("./contacts.ts")>(new URL("./contacts.ts", import.meta.url)))
        .contactsListCommand,
  },
  {
    name: "contacts remove",
    summary: "Remove a contact",
    load: async () =>
      (await lazyImport<typeof import("./contacts.ts")>(new URL("./contacts.ts", import.meta.url)))
        .contactsRemoveCommand,
  },
  {
    name: "plugins list",
    summary: "List the plugins this node runs, in start order",
    load: async () =>
      (await lazyImport<typeof import("./plugins.ts")>(new URL("./plugins.ts", import.meta.url)))
        .pluginsListCommand,
  },
  {
    name: "plugins run",
    summary: "Run a command a plugin provides",
    load: async () =>
      (await lazyImport<typeof import("./plugins.ts")>(new URL("./plugins.ts", import.meta.url)))
        .pluginsRunCommand,
  },
  {
    name: "encrypt",
    summary: "Encrypt a file to recipients (age format, post-quantum)",
    load: async () =>
      (await lazyImport<typeof import("./encrypt.ts")>(new URL("./encrypt.ts", import.meta.url)))
        .encryptCommand,
  },
  {
    name: "decrypt",
    summary: "Decrypt an age file with this node's key or identity files",
    load: async () =>
      (await lazyImport<typeof import("./decrypt.ts")>(new URL("./decrypt.ts", import.meta.url)))
        .decryptCommand,
  },
  {
    name: "send",
    summary: "Send a direct message to a contact or MeteorID (through the running daemon)",
    load: async () =>
      (await lazyImport<typeof import("./send.ts")>(new URL("./send.ts", import.meta.url)))
        .sendCommand,
  },
  {
    name: "inbox",
    summary: "List received messages (from the daemon, or its database when it is stopped)",
    load: async () =>
      (await lazyImport<typeof import("./inbox.ts")>(new URL("./inbox.ts", import.meta.url)))
        .inboxCommand,
  },
  {
    name: "status",
    summary: "Show the running daemon's status, including its cipher engine",
    load: async () =>
      (await lazyImport<typeof import("./status.ts")>(new URL("./status.ts", import.meta.url)))
        .statusCommand,
  },
];

/** The registered commands: the core's, then those of the built-in plugins. */
export const COMMANDS: readonly CommandEntry[] = [...CORE_COMMANDS, ...BUILTIN_COMMANDS];
