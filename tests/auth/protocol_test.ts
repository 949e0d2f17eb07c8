/**
 * The auth protocol over HTTP against a daemon running the auth plugin:
 * register, log in, sessions, devices, revocation, and every refusal with
 * its stable code (replayed, expired, other origin, other device, forged,
 * truncated), the rate limits, and no secret in the log.
 */
import assert from "node:assert/strict";
import { fromHex, toBase64 } from "../../core/bytes.ts";
import { hybridSign, type SigningSeeds } from "../../core/crypto/sign.ts";
import { parseMeteorId } from "../../core/identity/mod.ts";
import { withTempDir } from "../_temp.ts";
import {
  AuthClient,
  deviceSigner,
  enrol,
  type Enrolment,
  listDevices,
  login,
  revoke,
} from "../../plugins/auth/client.ts";
import { AUTH_LABELS, encodeLoginStatement } from "../../plugins/auth/protocol.ts";
import { call, enrolDevice, identity, startAuthDaemon } from "./_auth.ts";

/** A login statement for `challenge`, signed by `seeds`, with any field replaced. */
async function statement(
  e: Enrolment,
  seeds: SigningSeeds,
  challenge: string,
  fields: { origin?: string; deviceId?: string } = {},
) {
  const s = { origin: e.origin, deviceId: e.deviceId, ...fields };
  const signature = await hybridSign(
    seeds,
    AUTH_LABELS.login,
    encodeLoginStatement({
      challenge: fromHex(challenge),
      meteorId: parseMeteorId(e.meteorId),
      deviceId: fromHex(s.deviceId),
      origin: s.origin,
    }),
  );
  return { challenge, meteorId: e.meteorId, ...s, signature: toBase64(signature) };
}

async function challengeFor(origin: string, e: Enrolment): Promise<string> {
  const r = await call(origin, "POST", "/challenge", {
    meteorId: e.meteorId,
    deviceId: e.deviceId,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body!.challenge as string;
}

function withServer(
  work: (origin: string, root: string, lines: string[]) => Promise<void>,
  auth: Record<string, unknown> = {},
) {
  return withTempDir(async (root) => {
    const server = await startAuthDaemon(`${root}/server`, auth);
    try {
      await work(server.origin, root, server.lines);
    } finally {
      await server.stop();
    }
  }, "meteor-auth-");
}

Deno.test("auth: register, log in, session, devices, revoke, refused after revocation", () =>
  withServer(async (origin, root, lines) => {
    const keys = await identity(7);
    const laptop = await enrolDevice(root, origin, keys, "laptop");
    const phone = await enrolDevice(root, origin, keys, "phone");
    const laptopSeeds = await deviceSigner(laptop.home, origin);
    const phoneSeeds = await deviceSigner(phone.home, origin);

    const session = await login(laptop.client, laptop.enrolment, laptopSeeds);
    assert.equal(session.meteorId, laptop.enrolment.meteorId);
    assert.equal(session.deviceId, laptop.enrolment.deviceId);
    assert.match(session.session, /^mts_[0-9a-f]{64}$/);
    const view = await call(origin, "GET", "/session", undefined, session.session);
    assert.deepEqual(view.body, {
      meteorId: session.meteorId,
      deviceId: session.deviceId,
      expiresAt: session.expiresAt,
    });

    const devices = await listDevices(phone.client, phone.enrolment, phoneSeeds);
    assert.deepEqual(
      devices.map((d) => [d.name, d.current, d.revokedAt]).sort(),
      [["laptop", false, null], ["phone", true, null]],
    );

    // The phone revokes the laptop: its session ends and it cannot log in again.
    const revoked = await revoke(
      phone.client,
      laptop.enrolment.meteorId,
      laptop.enrolment.deviceId,
      phoneSeeds,
      phone.enrolment.deviceId,
    );
    assert.equal(revoked.deviceId, laptop.enrolment.deviceId);
    const after = await call(origin, "GET", "/session", undefined, session.session);
    assert.deepEqual([after.status, after.code], [403, "E_AUTH_REVOKED"]);
    const again = await call(origin, "POST", "/challenge", {
      meteorId: laptop.enrolment.meteorId,
      deviceId: laptop.enrolment.deviceId,
    });
    assert.deepEqual([again.status, again.code], [403, "E_AUTH_REVOKED"]);
    // Re-registering the revoked device does not bring it back.
    await assert.rejects(
      enrol(laptop.home, laptop.client, keys, { name: "laptop" }).then(() =>
        login(laptop.client, laptop.enrolment, laptopSeeds)
      ),
      (err: Error & { code?: string }) => err.code === "E_AUTH_REVOKED",
    );

    // The identity key (the seed) revokes the phone; logout ends a session at once.
    const phoneSession = await login(phone.client, phone.enrolment, phoneSeeds);
    const bye = await call(origin, "DELETE", "/session", undefined, phoneSession.session);
    assert.equal(bye.status, 204);
    const gone = await call(origin, "GET", "/session", undefined, phoneSession.session);
    assert.equal(gone.code, "E_AUTH_REVOKED");
    await revoke(phone.client, phone.enrolment.meteorId, phone.enrolment.deviceId, keys.seeds);
    await assert.rejects(login(phone.client, phone.enrolment, phoneSeeds), {
      code: "E_AUTH_REVOKED",
    });

    // Nothing secret in the log: no token, no device secret.
    const log = lines.join("\n");
    assert.ok(log.includes("login"), "logins are logged");
    assert.ok(!log.includes(session.session) && !log.includes(phoneSession.session));
    assert.ok(!/mts_[0-9a-f]{64}/.test(log));
  }));

Deno.test("auth: replayed, expired, other-origin, other-device, forged and truncated answers are refused with stable codes", () =>
  withServer(async (origin, root) => {
    const keys = await identity(8);
    const a = await enrolDevice(root, origin, keys, "a");
    const b = await enrolDevice(root, origin, keys, "b");
    const seedsA = await deviceSigner(a.home, origin);
    const seedsB = await deviceSigner(b.home, origin);
    const refusedWith = async (body: unknown, status: number, code: string) => {
      const r = await call(origin, "POST", "/login", body);
      assert.deepEqual([r.status, r.code], [status, code], JSON.stringify(r.body));
    };

    // Replayed: the same good answer twice.
    const good = await statement(a.enrolment, seedsA, await challengeFor(origin, a.enrolment));
    assert.equal((await call(origin, "POST", "/login", good)).status, 200);
    await refusedWith(good, 401, "E_AUTH_REPLAYED");
    // Two copies of one good answer at once: exactly one session.
    const twice = await statement(a.enrolment, seedsA, await challengeFor(origin, a.enrolment));
    const both = await Promise.all([1, 2].map(() => call(origin, "POST", "/login", twice)));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);

    // Expired: answered 61 s after the challenge.
    const late = await statement(a.enrolment, seedsA, await challengeFor(origin, a.enrolment));
    const now = Date.now;
    Date.now = () => now() + 61_000;
    try {
      await refusedWith(late, 401, "E_AUTH_EXPIRED");
    } finally {
      Date.now = now;
    }

    // Made for another origin (a phishing site relaying this server's challenge).
    const c1 = await challengeFor(origin, a.enrolment);
    await refusedWith(
      await statement(a.enrolment, seedsA, c1, { origin: "https://evil.example" }),
      401,
      "E_AUTH_ORIGIN",
    );
    // A refused answer spends its challenge: the right answer to it comes too late.
    await refusedWith(await statement(a.enrolment, seedsA, c1), 401, "E_AUTH_REPLAYED");

    // Another device: B answers the challenge issued to A.
    const c2 = await challengeFor(origin, a.enrolment);
    await refusedWith(
      await statement(a.enrolment, seedsB, c2, { deviceId: b.enrolment.deviceId }),
      401,
      "E_AUTH_DEVICE",
    );

    // Forged: B's key signs in A's name; one flipped signature byte.
    const c3 = await challengeFor(origin, a.enrolment);
    await refusedWith(await statement(a.enrolment, seedsB, c3), 401, "E_AUTH_SIGNATURE");
    const c4 = await challengeFor(origin, a.enrolment);
    const flipped = await statement(a.enrolment, seedsA, c4);
    const sig = Uint8Array.from(atob(flipped.signature), (ch) => ch.charCodeAt(0));
    sig[100] ^= 1;
    await refusedWith({ ...flipped, signature: toBase64(sig) }, 401, "E_AUTH_SIGNATURE");

    // Truncated: a short signature, a short challenge, a cut-off body.
    const c5 = await challengeFor(origin, a.enrolment);
    const whole = await statement(a.enrolment, seedsA, c5);
    await refusedWith(
      { ...whole, signature: toBase64(sig.subarray(0, sig.length - 1)) },
      400,
      "E_MALFORMED",
    );
    await refusedWith({ ...whole, challenge: c5.slice(0, 62) }, 400, "E_MALFORMED");
    await refusedWith(JSON.stringify(whole).slice(0, 200), 400, "E_MALFORMED");
    // Unknown challenge.
    await refusedWith(
      await statement(a.enrolment, seedsA, "00".repeat(32)),
      401,
      "E_AUTH_CHALLENGE",
    );
    // The good answer still works after all that (the limits were not reached).
    assert.equal((await call(origin, "POST", "/login", whole)).status, 200);
  }, { rateLimit: { failuresPerIdentity: 100, failuresPerAddress: 100 } }));

Deno.test("auth: registration refuses a certificate for another origin or not signed by the identity", () =>
  withServer(async (origin, root) => {
    const keys = await identity(9);
    const other = await identity(10);
    const home = await Deno.makeTempDir({ dir: root });
    // A certificate for another origin: enrol against a client that claims it, sending to this server.
    const elsewhere = new AuthClient("https://login.example");
    (elsewhere as unknown as { call: AuthClient["call"] }).call = (method, path, body) =>
      new AuthClient(origin).call(method, path, body);
    await assert.rejects(enrol(home, elsewhere, keys, { name: "x" }), { code: "E_AUTH_ORIGIN" });
    // The document of one identity with a certificate signed by another.
    const client = new AuthClient(origin);
    const forged = { ...keys, seeds: other.seeds };
    await assert.rejects(enrol(home, client, forged, { name: "x" }), { code: "E_BAD_SIGNATURE" });
  }));

Deno.test("auth: the rate limits on challenges and failures engage", () =>
  withServer(async (origin, root) => {
    const keys = await identity(11);
    const a = await enrolDevice(root, origin, keys);
    const ask = () =>
      call(origin, "POST", "/challenge", {
        meteorId: a.enrolment.meteorId,
        deviceId: a.enrolment.deviceId,
      });
    for (let i = 0; i < 3; i++) assert.equal((await ask()).status, 200);
    const limited = await ask();
    assert.deepEqual([limited.status, limited.code], [429, "E_AUTH_RATE_LIMITED"]);
    assert.match((limited.body!.error as { message: string }).message, /retry in \d+ s/);
  }, { rateLimit: { challengesPerIdentity: 3 } }));

Deno.test("auth: failures per address lock out further logins for the window", () =>
  withServer(async (origin, root) => {
    const keys = await identity(12);
    const a = await enrolDevice(root, origin, keys);
    const seeds = await deviceSigner(a.home, origin);
    for (let i = 0; i < 3; i++) {
      const r = await call(origin, "GET", "/session", undefined, `mts_${"0".repeat(64)}`);
      assert.equal(r.code, "E_AUTH_SESSION");
    }
    await assert.rejects(login(a.client, a.enrolment, seeds), { code: "E_AUTH_RATE_LIMITED" });
  }, { rateLimit: { failuresPerAddress: 3 } }));
