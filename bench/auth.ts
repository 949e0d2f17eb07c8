/**
 * The auth benchmark (`deno task bench:auth`): passwordless login with a
 * device key certified by a Meteor identity (plugins/auth, docs/auth.md),
 * against the prototype's advertised figures (key expansion 372 ms, login
 * 293 ms, full flow 451 ms) and, in the same run, the floor of its
 * cryptography (one hybrid ML-DSA-65 + Ed25519 signature and its check).
 *
 * In process: an AuthServer over the SQLite store on disk (WAL,
 * synchronous FULL), called directly. Over HTTP: a daemon running the auth
 * plugin in a subprocess on 127.0.0.1, driven with the plugin's client.
 * Then how many logins per second that one server process (one core for
 * JavaScript) sustains: challenges and signed answers made by clients in
 * this process ahead of time, then sent with 16 requests in flight, timing
 * the server's share only.
 *
 * Usage: deno task bench:auth [--runs N] [--logins N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { toHex } from "../core/bytes.ts";
import { hybridSign, hybridVerify, signingPublicKeys } from "../core/crypto/sign.ts";
import { deriveKeys, formatMeteorId, type NodeKeys, wipeNodeKeys } from "../core/identity/mod.ts";
import { openDatabase } from "../core/store/mod.ts";
import { AuthClient, type Enrolment, registration, signLogin } from "../plugins/auth/client.ts";
import { devicePublic, deviceSeeds } from "../plugins/auth/protocol.ts";
import { AuthServer } from "../plugins/auth/server.ts";
import { MIGRATIONS, SqliteAuthStore } from "../plugins/auth/sqlite_store.ts";
import { freePorts } from "../cli/init.ts";
import { formatNumber, median, percentile, table } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "30" }, logins: { type: "string", default: "600" } },
});
const RUNS = Number(values.runs);
const LOGINS = Number(values.logins);
const IN_FLIGHT = 16;
const PROTOTYPE = { expansion: 372, login: 293, full: 451 };
const NO_LIMITS = {
  windowSeconds: 60,
  challengesPerIdentity: 1e9,
  challengesPerAddress: 1e9,
  failuresPerIdentity: 1e9,
  failuresPerAddress: 1e9,
};

/** Median and p99 of `runs` timed calls of `fn` (after one warm-up), in ms. */
async function time(fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  await fn(-1);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  return { p50: median(times), p99: percentile(times, 99) };
}

const seedOf = (i: number) => {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  seed[0] = i & 0xff;
  return seed;
};

/** An identity, a device secret, its enrolment at `origin`. */
async function device(keys: NodeKeys, origin: string) {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const { deviceId } = await devicePublic(secret);
  const enrolment: Enrolment = {
    origin,
    meteorId: formatMeteorId(keys.meteorId),
    deviceId: toHex(deviceId),
    name: "bench",
    createdAt: new Date().toISOString(),
  };
  return { secret, seeds: deviceSeeds(secret), enrolment };
}

const dir = await Deno.makeTempDir({ prefix: "meteor-bench-auth-" });
const rows: string[][] = [];
const row = (what: string, t: { p50: number; p99: number }, prototype?: number, floor?: number) =>
  rows.push([
    what,
    `${formatNumber(t.p50)} ms`,
    `${formatNumber(t.p99)} ms`,
    prototype ? `${formatNumber(prototype / t.p50)}x` : "",
    floor ? `${formatNumber(t.p50 / floor)}x` : "",
  ]);

try {
  // The crypto floor: one hybrid signature and its verification.
  const floorSeeds = deviceSeeds(crypto.getRandomValues(new Uint8Array(32)));
  const floorKeys = await signingPublicKeys(floorSeeds);
  const message = new Uint8Array(150);
  const floor = await time(async () => {
    await hybridVerify(floorKeys, "bench", message, await hybridSign(floorSeeds, "bench", message));
  });
  row("floor: one hybrid sign + verify (baseline)", floor, undefined, floor.p50);

  const expansion = await time(async () => wipeNodeKeys(await deriveKeys(seedOf(1))));
  row("key expansion from seed (deriveKeys)", expansion, PROTOTYPE.expansion, floor.p50);

  // In process.
  const origin = "https://login.example";
  const db = openDatabase(`${dir}/auth.db`, { migrations: MIGRATIONS, label: "bench auth" });
  const server = new AuthServer({
    store: new SqliteAuthStore(db),
    origin,
    sessionTtlMs: 3600_000,
    limits: NO_LIMITS,
  });
  const keys = await deriveKeys(seedOf(2));
  const enrolIn = async () => {
    const d = await device(keys, origin);
    await server.register(await registration(keys, d.secret, origin, "bench", Date.now()), "bench");
    return d;
  };
  const loginIn = async (d: Awaited<ReturnType<typeof device>>) => {
    const { challenge } = await server.challenge({
      meteorId: d.enrolment.meteorId,
      deviceId: d.enrolment.deviceId,
    }, "bench");
    await server.login(await signLogin(d.enrolment, d.seeds, challenge), "bench");
  };
  row(
    "in process: device enrolment (key, certificate, register)",
    await time(enrolIn),
    undefined,
    floor.p50,
  );
  const enrolled = await enrolIn();
  // The same login with the store in memory: the CPU's share, without the disk's commits.
  const memory = new AuthServer({
    store: new SqliteAuthStore(
      openDatabase(":memory:", { migrations: MIGRATIONS, label: "bench memory" }),
    ),
    origin,
    sessionTtlMs: 3600_000,
    limits: NO_LIMITS,
  });
  const memKeys = await deriveKeys(seedOf(5));
  const memDevice = await device(memKeys, origin);
  await memory.register(
    await registration(memKeys, memDevice.secret, origin, "bench", Date.now()),
    "bench",
  );
  row(
    "in process, store in memory: login (CPU only)",
    await time(async () => {
      const { challenge } = await memory.challenge(
        { meteorId: memDevice.enrolment.meteorId, deviceId: memDevice.enrolment.deviceId },
        "bench",
      );
      await memory.login(await signLogin(memDevice.enrolment, memDevice.seeds, challenge), "bench");
    }),
    PROTOTYPE.login,
    floor.p50,
  );
  row(
    "in process: login (challenge + response + verify)",
    await time(() => loginIn(enrolled)),
    PROTOTYPE.login,
    floor.p50,
  );
  row(
    "in process: full flow (key expansion + enrolment + login)",
    await time(async (i) => {
      const k = await deriveKeys(seedOf(i));
      const s = new AuthServer({
        store: new SqliteAuthStore(db),
        origin,
        sessionTtlMs: 3600_000,
        limits: NO_LIMITS,
      });
      const d = await device(k, origin);
      await s.register(await registration(k, d.secret, origin, "bench", Date.now()), "bench");
      await loginIn(d);
      wipeNodeKeys(k);
    }),
    PROTOTYPE.full,
    floor.p50,
  );

  // Server time only, in process and one at a time: the answers are signed ahead (untimed).
  const serverOnly = async (srv: AuthServer, d: Awaited<ReturnType<typeof device>>) => {
    const body = { meteorId: d.enrolment.meteorId, deviceId: d.enrolment.deviceId };
    let ms = 0;
    for (let i = 0; i < LOGINS; i++) {
      let start = performance.now();
      const { challenge } = await srv.challenge(body, "bench");
      ms += performance.now() - start;
      const answer = await signLogin(d.enrolment, d.seeds, challenge);
      start = performance.now();
      await srv.login(answer, "bench");
      ms += performance.now() - start;
    }
    return ms / LOGINS;
  };
  const sustainedRows = [
    ["in process, store on disk (FULL)", await serverOnly(server, enrolled)],
    ["in process, store in memory (CPU only)", await serverOnly(memory, memDevice)],
  ].map((
    [what, ms],
  ) => [what as string, formatNumber(1000 / (ms as number)), formatNumber(ms as number)]);

  // Over HTTP, against a daemon subprocess.
  const [port] = freePorts(1);
  const home = `${dir}/server`;
  await Deno.mkdir(home, { mode: 0o700 });
  await Deno.writeTextFile(
    `${home}/config.json`,
    JSON.stringify({
      api: { host: "127.0.0.1", port: 0 },
      plugins: ["auth"],
      pluginConfig: { auth: { listen: `127.0.0.1:${port}`, rateLimit: NO_LIMITS } },
    }),
  );
  const daemon = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli.ts", import.meta.url).pathname, "daemon", "--home", home],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0;; i++) {
      const ok = await fetch(`${url}/auth/v1/openapi.json`).then(
        (r) => (r.body?.cancel(), r.ok),
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error("the auth daemon did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = new AuthClient(url);
    const enrolHttp = async (k: NodeKeys) => {
      const d = await device(k, url);
      await client.call(
        "POST",
        "/register",
        await registration(k, d.secret, url, "bench", Date.now()),
      );
      return d;
    };
    const loginHttp = async (d: Awaited<ReturnType<typeof device>>) => {
      const { challenge } = await client.call<{ challenge: string }>("POST", "/challenge", {
        meteorId: d.enrolment.meteorId,
        deviceId: d.enrolment.deviceId,
      });
      return await client.call<{ session: string }>(
        "POST",
        "/login",
        await signLogin(d.enrolment, d.seeds, challenge),
      );
    };
    const httpKeys = await deriveKeys(seedOf(3));
    const d0 = await enrolHttp(httpKeys);
    const { session } = await loginHttp(d0);
    row(
      "HTTP: GET /session round trip (baseline)",
      await time(() => client.call("GET", "/session", undefined, session)),
    );
    row("HTTP: device enrolment", await time(() => enrolHttp(httpKeys)), undefined, floor.p50);
    row(
      "HTTP: login (challenge + response + verify)",
      await time(() => loginHttp(d0)),
      PROTOTYPE.login,
      floor.p50,
    );
    row(
      "HTTP: full flow (key expansion + enrolment + login)",
      await time(async (i) => {
        const k = await deriveKeys(seedOf(i));
        await loginHttp(await enrolHttp(k));
        wipeNodeKeys(k);
      }),
      PROTOTYPE.full,
      floor.p50,
    );

    // Sustained: the server's time for LOGINS challenges, then LOGINS answers, 16 in flight.
    const pool = async <T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> => {
      const out: T[] = new Array(n);
      let next = 0;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) {
          const i = next++;
          out[i] = await fn(i);
        }
      }));
      return out;
    };
    const body = { meteorId: d0.enrolment.meteorId, deviceId: d0.enrolment.deviceId };
    let start = performance.now();
    const challenges = await pool(
      LOGINS,
      () => client.call<{ challenge: string }>("POST", "/challenge", body),
    );
    const challengeMs = performance.now() - start;
    const answers = await Promise.all(
      challenges.map((c) => signLogin(d0.enrolment, d0.seeds, c.challenge)),
    );
    start = performance.now();
    await pool(LOGINS, (i) => client.call("POST", "/login", answers[i]));
    const loginMs = performance.now() - start;
    const perLogin = (challengeMs + loginMs) / LOGINS;
    console.log(table(["auth (medians)", "p50", "p99", "vs prototype", "vs floor"], rows));
    console.log();
    console.log(
      table(["logins one server core sustains (server time only)", "logins/s", "ms each"], [
        ...sustainedRows,
        [
          "HTTP, one daemon process, 16 in flight: challenges issued",
          formatNumber(LOGINS / challengeMs * 1000),
          formatNumber(challengeMs / LOGINS),
        ],
        [
          "HTTP, same: answers verified, sessions opened",
          formatNumber(LOGINS / loginMs * 1000),
          formatNumber(loginMs / LOGINS),
        ],
        [
          "HTTP, same: logins (challenge + answer)",
          formatNumber(1000 / perLogin),
          formatNumber(perLogin),
        ],
      ]),
    );
  } finally {
    daemon.kill("SIGTERM");
    await daemon.status;
  }
  db.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
