/**
 * Every `meteor` subcommand, in the order `meteor --help` lists them.
 * Each command lives in its own module under cli/.
 *
 * @module
 */
import type { Command } from "./_command.ts";

/** The registered commands. */
export const COMMANDS: Command[] = [];
