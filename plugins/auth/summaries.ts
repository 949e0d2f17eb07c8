/**
 * The one-line summaries of `meteor auth` commands, shared by `meteor
 * --help` (plugins/mod.ts, which must not load the commands) and the
 * commands themselves.
 *
 * @module
 */

/** Summary by the command's second word. */
export const AUTH_SUMMARIES = {
  login: "Log in to a Meteor auth server with this device (enrols it the first time)",
  devices: "List this home's enrolments, or your devices at a server",
  revoke: "Revoke one of your devices at a server, at once",
  approve: "Approve a login shown on another screen (a login page's QR code or URL)",
} as const;
