/**
 * `meteor auth login|devices|revoke` against a running auth server, from
 * homes made as `meteor init` does: enrolment on first login, the device
 * key kept 0600 (encrypted under the keystore passphrase when there is
 * one), listing, and revocation by the seed and by another device.
 */
import assert from "node:assert/strict";
import { writeKeystore } from "../../core/keystore.ts";
import { enrolmentDir } from "../../plugins/auth/client.ts";
import { initTestHome, meteor } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";
import { startAuthDaemon } from "./_auth.ts";

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const run = await meteor(...args, "--json");
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

Deno.test("meteor auth login, devices and revoke: enrol, list, revoke with the seed and with a device", () =>
  withTempDir(async (root) => {
    const server = await startAuthDaemon(`${root}/server`);
    try {
      const laptop = `${root}/laptop`;
      const phone = `${root}/phone`;
      await initTestHome(laptop, 21);
      await initTestHome(phone, 21); // the same identity (seed) on a second device
      const first = await json(
        "auth",
        "login",
        server.origin,
        "--home",
        laptop,
        "--name",
        "laptop",
      );
      assert.deepEqual(Object.keys(first).sort(), ["deviceId", "expiresAt", "meteorId", "session"]);
      const id = await json("id", "--home", laptop);
      assert.equal(first.meteorId, id.meteorId);
      // The second login reuses the enrolment: same device.
      const second = await json("auth", "login", `${server.origin}/auth/v1`, "--home", laptop);
      assert.equal(second.deviceId, first.deviceId);
      assert.notEqual(second.session, first.session);
      for await (const entry of Deno.readDir(enrolmentDir(laptop))) {
        const stat = await Deno.stat(`${enrolmentDir(laptop)}/${entry.name}`);
        assert.equal(stat.mode! & 0o777, 0o600);
      }
      const local = await json("auth", "devices", "--home", laptop);
      assert.deepEqual((local.enrolments as { origin: string }[]).map((e) => e.origin), [
        server.origin,
      ]);

      const phoneLogin = await json(
        "auth",
        "login",
        server.origin,
        "--home",
        phone,
        "--name",
        "phone",
      );
      assert.notEqual(phoneLogin.deviceId, first.deviceId);
      const listed = (await json("auth", "devices", server.origin, "--home", phone)).devices as {
        deviceId: string;
        current: boolean;
      }[];
      assert.deepEqual(
        listed.map((d) => [d.deviceId, d.current]).sort(),
        [[first.deviceId, false], [phoneLogin.deviceId, true]].sort(),
      );

      // The phone revokes the laptop with its device key; the laptop is refused at once.
      await json(
        "auth",
        "revoke",
        first.deviceId as string,
        "--server",
        server.origin,
        "--with-device",
        "--home",
        phone,
      );
      const refused = await meteor("auth", "login", server.origin, "--home", laptop, "--json");
      assert.equal(refused.code, 1);
      assert.equal(JSON.parse(refused.stderr).error.code, "E_AUTH_REVOKED");
      // The seed revokes the phone.
      await json(
        "auth",
        "revoke",
        phoneLogin.deviceId as string,
        "--server",
        server.origin,
        "--home",
        laptop,
      );
      const phoneRefused = await meteor(
        "auth",
        "devices",
        server.origin,
        "--home",
        phone,
        "--json",
      );
      assert.equal(JSON.parse(phoneRefused.stderr).error.code, "E_AUTH_REVOKED");
      const usage = await meteor("auth", "revoke", "abc", "--home", laptop);
      assert.equal(usage.code, 2);
    } finally {
      await server.stop();
    }
  }, "meteor-auth-cli-"));

Deno.test("meteor auth login keeps the device key under the keystore passphrase", () =>
  withTempDir(async (root) => {
    const server = await startAuthDaemon(`${root}/server`);
    const home = `${root}/device`;
    await initTestHome(home, 22);
    await writeKeystore(home, new Uint8Array(32).fill(22), {
      passphrase: "correct horse",
      logN: 10,
      force: true,
    });
    Deno.env.set("METEOR_PASSPHRASE", "correct horse");
    try {
      const first = await json("auth", "login", server.origin, "--home", home);
      const [entry] = await Array.fromAsync(Deno.readDir(enrolmentDir(home)));
      const file = JSON.parse(await Deno.readTextFile(`${enrolmentDir(home)}/${entry.name}`));
      assert.equal(file.key.type, "scrypt-chacha20-poly1305");
      assert.equal(file.key.scrypt.logN, 10);
      assert.equal(
        (await json("auth", "login", server.origin, "--home", home)).deviceId,
        first.deviceId,
      );
      Deno.env.set("METEOR_PASSPHRASE", "wrong");
      const wrong = await meteor("auth", "login", server.origin, "--home", home, "--json");
      assert.equal(JSON.parse(wrong.stderr).error.code, "E_BAD_PASSPHRASE");
    } finally {
      Deno.env.delete("METEOR_PASSPHRASE");
      await server.stop();
    }
  }, "meteor-auth-cli-"));
