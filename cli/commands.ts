/**
 * Every `meteor` subcommand, in the order `meteor --help` lists them.
 * Each command lives in its own module under cli/.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { initCommand } from "./init.ts";
import { idCommand } from "./id.ts";
import { seedExportCommand, seedImportCommand } from "./seed.ts";
import { command as selftest } from "./selftest.ts";
import { daemonCommand } from "./daemon.ts";
import { contactsAddCommand, contactsListCommand, contactsRemoveCommand } from "./contacts.ts";
import { pluginsListCommand, pluginsRunCommand } from "./plugins.ts";
import { encryptCommand } from "./encrypt.ts";
import { decryptCommand } from "./decrypt.ts";
import { sendCommand } from "./send.ts";
import { inboxCommand } from "./inbox.ts";
import { statusCommand } from "./status.ts";

/** The registered commands. */
export const COMMANDS: Command[] = [
  initCommand,
  idCommand,
  seedExportCommand,
  seedImportCommand,
  selftest,
  daemonCommand,
  contactsAddCommand,
  contactsListCommand,
  contactsRemoveCommand,
  pluginsListCommand,
  pluginsRunCommand,
  encryptCommand,
  decryptCommand,
  sendCommand,
  inboxCommand,
  statusCommand,
];
