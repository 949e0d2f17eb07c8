/**
 * `meteor auth login|devices|revoke|approve`: the device side, run in the
 * CLI process where the keystore is. A command that needs the identity key
 * (enrolling this device at a server, revoking with the seed) opens the
 * keystore as `meteor id` does (METEOR_PASSPHRASE or a prompt when it is
 * encrypted) and wipes the keys afterwards; the others open only this
 * device's key. No daemon is needed.
 *
 * @module
 */
import { hostname } from "node:os";
import { wipe } from "../../core/bytes.ts";
import type { SigningSeeds } from "../../core/crypto/sign.ts";
import { MeteorError } from "../../core/errors.ts";
import { formatMeteorId, wipeNodeKeys } from "../../core/identity/mod.ts";
import { loadNodeKeys } from "../../core/keystore.ts";
import type { PluginCommand } from "../../core/plugin.ts";
import {
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
  unlockPassphrase,
} from "../../plugin.ts";
import {
  approve,
  AuthClient,
  deviceSigner,
  enrol,
  type Enrolment,
  findEnrolment,
  listDevices,
  listEnrolments,
  login,
  revoke,
} from "./client.ts";
import { checkDeviceName } from "./protocol.ts";
import { requestIdOf } from "./server.ts";
import { AUTH_SUMMARIES } from "./summaries.ts";

const wipeSeeds = (seeds: SigningSeeds) => wipe(seeds.ed25519, seeds.mldsa65);

/** Runs `work` with the seeds of this home's device at the client's origin. */
async function withDevice<T>(
  home: string,
  client: AuthClient,
  work: (enrolment: Enrolment, seeds: SigningSeeds) => Promise<T>,
  enrolAs?: string,
): Promise<T> {
  const passphrase = await unlockPassphrase(home);
  let enrolment = await findEnrolment(home, client.origin);
  if (!enrolment) {
    if (enrolAs === undefined) {
      throw new MeteorError(
        "E_NOT_FOUND",
        `Cannot use device: this home is not enrolled at ${client.origin} (run meteor auth login ${client.origin})`,
      );
    }
    const keys = await loadNodeKeys(home, passphrase);
    try {
      enrolment = await enrol(home, client, keys, { name: checkDeviceName(enrolAs), passphrase });
    } finally {
      wipeNodeKeys(keys);
    }
  }
  const seeds = await deviceSigner(home, client.origin, passphrase);
  try {
    return await work(enrolment, seeds);
  } finally {
    wipeSeeds(seeds);
  }
}

const NAME_OPTION = { name: { type: "string" } } as const;
const NAME_HELP =
  `  --name NAME   the device's name when it enrols (default: this machine's host name)`;

/** `meteor auth login URL`. */
export const loginCommand: PluginCommand = {
  name: "auth login",
  summary: AUTH_SUMMARIES.login,
  help: `Usage: meteor auth login URL [--name NAME] [--home DIR] [--json]

Logs in to the auth server at URL (its origin counts, e.g.
https://login.example) and prints the new session. The first time, this
device is enrolled there: a device key is made here at random and kept in
the home, certified by your identity key (the keystore is opened for that;
METEOR_PASSPHRASE or a prompt when it is encrypted).

Options:
${NAME_HELP}
  --json        print {session, meteorId, deviceId, expiresAt}`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, NAME_OPTION);
    refuseExtraArguments(positionals, 1);
    if (positionals.length !== 1) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected URL");
    }
    const client = new AuthClient(positionals[0]);
    const result = await withDevice(
      homeFrom(values),
      client,
      (e, seeds) => login(client, e, seeds),
      values.name ?? hostname(),
    );
    if (values.json) printJson(result);
    else {
      console.log(
        `Logged in to ${client.origin} as ${result.meteorId} (device ${result.deviceId}).`,
      );
      console.log(`Session (until ${result.expiresAt}): ${result.session}`);
    }
    return 0;
  },
};

/** `meteor auth devices [URL]`. */
export const devicesCommand: PluginCommand = {
  name: "auth devices",
  summary: AUTH_SUMMARIES.devices,
  help: `Usage: meteor auth devices [URL] [--home DIR] [--json]

Without URL: the servers this device is enrolled at. With URL: every device
of your identity at that server (logging in for it, then out), the current
one marked.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 1);
    const home = homeFrom(values);
    if (positionals.length === 0) {
      const enrolments = await listEnrolments(home);
      if (values.json) printJson({ enrolments });
      else {for (const e of enrolments) {
          console.log(`${e.origin}  ${e.deviceId}  ${e.name}  ${e.createdAt}`);
        }}
      return 0;
    }
    const client = new AuthClient(positionals[0]);
    const devices = await withDevice(home, client, (e, seeds) => listDevices(client, e, seeds));
    if (values.json) printJson({ devices });
    else {
      for (const d of devices) {
        const state = d.revokedAt ? `revoked ${d.revokedAt}` : "active";
        console.log(
          `${d.current ? "*" : " "} ${d.deviceId}  ${d.name}  enrolled ${d.createdAt}  ${state}`,
        );
      }
    }
    return 0;
  },
};

/** `meteor auth revoke DEVICE_ID --server URL`. */
export const revokeCommand: PluginCommand = {
  name: "auth revoke",
  summary: AUTH_SUMMARIES.revoke,
  help: `Usage: meteor auth revoke DEVICE_ID --server URL [--with-device] [--home DIR] [--json]

Revokes DEVICE_ID (see meteor auth devices URL) at the server: its sessions
end at once and it cannot log in again. The revocation is signed with your
identity key (the keystore is opened), or with --with-device by this
home's own device key at that server.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      server: { type: "string" },
      "with-device": { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 1);
    if (positionals.length !== 1 || values.server === undefined) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected DEVICE_ID --server URL");
    }
    const home = homeFrom(values);
    const client = new AuthClient(values.server);
    const deviceId = positionals[0];
    let result;
    if (values["with-device"]) {
      result = await withDevice(
        home,
        client,
        (e, seeds) => revoke(client, e.meteorId, deviceId, seeds, e.deviceId),
      );
    } else {
      const keys = await loadNodeKeys(home, await unlockPassphrase(home));
      try {
        result = await revoke(client, formatMeteorId(keys.meteorId), deviceId, keys.seeds);
      } finally {
        wipeNodeKeys(keys);
      }
    }
    if (values.json) printJson(result);
    else console.log(`Revoked device ${result.deviceId} at ${client.origin}.`);
    return 0;
  },
};

/** `meteor auth approve CODE_OR_URL`. */
export const approveCommand: PluginCommand = {
  name: "auth approve",
  summary: AUTH_SUMMARIES.approve,
  help: `Usage: meteor auth approve CODE_OR_URL [--server URL] [--name NAME] [--home DIR] [--json]

Answers the login request a server's login page shows, as this device: the
page then logs in as you. CODE_OR_URL is the URL in the QR code
(https://login.example/auth/v1?request=...), or the bare request code with
--server URL. Approve only a page you opened yourself: the server's origin
is printed, and a request relayed from another site would log that site in.
Enrols this device at the server first if needed (as meteor auth login).

Options:
  --server URL  the server, when CODE_OR_URL is a bare code
${NAME_HELP}
  --json        print {approved, meteorId, deviceId, origin}`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      ...NAME_OPTION,
      server: { type: "string" },
    });
    refuseExtraArguments(positionals, 1);
    const parsed = positionals.length === 1 ? requestIdOf(positionals[0]) : undefined;
    const server = parsed?.origin ?? values.server;
    if (!parsed || server === undefined) {
      throw new MeteorError(
        "E_USAGE",
        "Cannot parse arguments: expected a login request URL, or its code with --server URL",
      );
    }
    const client = new AuthClient(server);
    const result = await withDevice(
      homeFrom(values),
      client,
      (e, seeds) => approve(client, e, seeds, parsed.id),
      values.name ?? hostname(),
    );
    if (values.json) printJson({ ...result, origin: client.origin });
    else console.log(`Approved the login at ${client.origin} as ${result.meteorId}.`);
    return 0;
  },
};

/** The commands by their second word. */
export const AUTH_COMMANDS = {
  login: loginCommand,
  devices: devicesCommand,
  revoke: revokeCommand,
  approve: approveCommand,
} as const;
