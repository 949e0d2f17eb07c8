/**
 * Every `meteor` subcommand, in the order `meteor --help` lists them.
 * Each command lives in its own module under cli/.
 *
 * @module
 */
import type { Command } from "./_command.ts";
import { command as selftest } from "./selftest.ts";

/** The registered commands. */
export const COMMANDS: Command[] = [
  selftest,
];
