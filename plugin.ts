/**
 * The plugin kit (`@meteor/node/plugin`): everything a plugin is written
 * with, so that adding a plugin means adding a folder and no plugin reaches
 * into another's files or the CLI's private modules. docs/plugins.md is the
 * guide; examples/echo-plugin.ts uses every part.
 *
 * - the plugin shape, its context and the node components (core/plugin.ts);
 * - errors with stable codes, the event bus, the logger;
 * - the p2p plugin's api for plugins that need it: the libp2p extension
 *   point, the identity directory, typed records over Meteor sessions;
 * - store plumbing for a plugin's own tables;
 * - CLI helpers: argument parsing, `--json` output, the typed client of the
 *   running daemon's API (JSON requests, and streamed ones for files);
 * - file I/O for commands: an input streamed from a file or stdin, output
 *   moved into place only once complete, a progress bar on a terminal;
 *   recipients resolved as `meteor encrypt -r` takes them; the keystore's
 *   passphrase prompt;
 * - request helpers for routes, and resolving "contact name or MeteorID".
 *
 * @example
 * ```ts ignore
 * import { MeteorError, type Plugin } from "@meteor/node/plugin";
 * export default function hello(): Plugin<undefined, { greet(): string }> {
 *   return {
 *     name: "hello",
 *     version: "1.0.0",
 *     needs: [],
 *     configSchema: { validate: () => undefined },
 *     start: () => Promise.resolve({ api: { greet: () => "hi" }, stop: () => Promise.resolve() }),
 *   };
 * }
 * ```
 *
 * @module
 */
export * from "./core/plugin.ts";
export { isMeteorError, MeteorError } from "./core/errors.ts";
export type { ErrorCode } from "./core/errors.ts";
export { EventBus } from "./core/events.ts";
export type { BusEvent, EventName, MeteorEventMap } from "./core/events.ts";
export type { Logger } from "./core/logger.ts";
export { resolvePeerName } from "./core/contacts.ts";
export { formatMeteorId, looksLikeMeteorId, parseMeteorId } from "./core/identity/mod.ts";
export { checkMessageId, checkMeteorId, prepared } from "./core/store/mod.ts";
export type { Contacts } from "./core/store/mod.ts";
export type {
  IdentityDirectory,
  IdentityResolver,
  InboxFile,
  InboxFileEntry,
  InboxQuery,
  InboxSource,
  Libp2pExtension,
  P2PApi,
  ReceivedRecord,
  RecordChannel,
  RecordHandler,
  Resolved,
  SendResult,
  ServiceFactory,
} from "./plugins/p2p/mod.ts";
export type { PeerInfo } from "./plugins/p2p/peers.ts";
export type { PeerIdentity } from "./plugins/p2p/session/mod.ts";
export { LIBP2P_POINT, libp2pServices } from "./plugins/p2p/extension.ts";
export { ApiClient, apiClientFor, type ApiClientOptions } from "./cli/_api.ts";
export {
  COMMON_OPTIONS,
  homeFrom,
  parseCommandArgs,
  type ParsedCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./cli/command.ts";
export {
  fromStream,
  type Input,
  openInput,
  type Produce,
  type Progress,
  progress,
  writeOutput,
} from "./cli/_age_io.ts";
export { type ResolvedRecipient, resolveRecipients } from "./cli/_recipients.ts";
export type { FileSink, FileSource, Recipient, Stanza } from "./core/age/mod.ts";
export { unlockPassphrase } from "./cli/_passphrase.ts";
export { loginLink, PAGE_PATH } from "./server/_guard.ts";
export { readJsonBody, type ReadJsonBodyOptions, type RequestContext } from "./server/json_body.ts";
