import assert from "node:assert/strict";
import { parseConfig } from "../../core/config.ts";
import {
  ageIdentity,
  deriveKeys,
  formatMeteorId,
  parseMeteorId,
  readDocument,
} from "../../core/identity/mod.ts";
import { HybridRecipient } from "../../core/age/mod.ts";
import { fromHex } from "../../core/bytes.ts";
import { reachableAddresses } from "../../cli/_addresses.ts";
import { qrMatrix, renderQr } from "../../cli/_qr.ts";
import { AGE_IDENTITY_WARNING, parseSeedHex, SEED_WARNING } from "../../cli/seed.ts";
import { freePorts, meteor, meteorProcess, withTempHome } from "../_cli.ts";

const IS_POSIX = Deno.build.os !== "windows";
const KNOWN_SEED_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KNOWN_METEOR_ID = "meteor1ccs5dcgvvw2q2m7xn4uswjphyklr08wnm5aae0wgut7uhw6nvdhqclg3a5";

async function withPassphrase(value: string, fn: () => Promise<void>): Promise<void> {
  Deno.env.set("METEOR_PASSPHRASE", value);
  try {
    await fn();
  } finally {
    Deno.env.delete("METEOR_PASSPHRASE");
  }
}

Deno.test("meteor init creates keystore 0600, config with free ports, API token, home 0700", async () => {
  await withTempHome(async (home) => {
    const run = await meteor("init", "--home", home, "--json");
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    parseMeteorId(result.meteorId);
    assert.match(result.peerId, /^12D3KooW/);
    assert.equal(result.encrypted, false);
    const config = parseConfig(await Deno.readTextFile(`${home}/config.json`));
    const ports = [config.api.port, ...config.p2p.listen.map((a) => Number(a.split("/")[4]))];
    assert.equal(new Set(ports).size, 3);
    for (const port of ports) assert.ok(port > 0 && port < 65536);
    assert.ok((await Deno.readTextFile(`${home}/api-token`)).trim().length >= 32);
    if (IS_POSIX) {
      assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(`${home}/keystore.json`)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(`${home}/api-token`)).mode! & 0o777, 0o600);
    }
  });
});

Deno.test("meteor init refuses to overwrite a keystore without --force", async () => {
  await withTempHome(async (home) => {
    const first = JSON.parse((await meteor("init", "--home", home, "--json")).stdout);
    const refused = await meteor("init", "--home", home);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /E_EXISTS/);
    const same = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
    assert.equal(same.meteorId, first.meteorId);
    const forced = JSON.parse((await meteor("init", "--home", home, "--force", "--json")).stdout);
    assert.notEqual(forced.meteorId, first.meteorId);
    assert.equal(forced.files.config.created, false);
    assert.equal(forced.files.apiToken.created, false);
  });
});

Deno.test("meteor init rejects unknown options and extra words as usage errors", async () => {
  await withTempHome(async (home) => {
    assert.equal((await meteor("init", "--home", home, "--bogus")).code, 2);
    assert.equal((await meteor("init", "--home", home, "extra")).code, 2);
  });
});

Deno.test("meteor id prints the ID, PeerId, age recipient and a verifiable document", async () => {
  await withTempHome(async (home) => {
    await meteor("seed", "import", KNOWN_SEED_HEX, "--home", home);
    const run = await meteor("id", "--home", home, "--json", "--address", "/ip4/127.0.0.1/tcp/1");
    assert.equal(run.code, 0, run.stderr);
    const id = JSON.parse(run.stdout);
    assert.equal(id.meteorId, KNOWN_METEOR_ID);
    const keys = await deriveKeys(fromHex(KNOWN_SEED_HEX));
    assert.equal(id.peerId, keys.peerId);
    assert.deepEqual(HybridRecipient.parse(id.ageRecipient).publicKey, keys.publicKeys.xwing);
    const doc = await readDocument(id.document, { expectedId: parseMeteorId(KNOWN_METEOR_ID) });
    // --address first, then the addresses config.json listens on (no daemon runs).
    const { p2p } = JSON.parse(await Deno.readTextFile(`${home}/config.json`));
    const listening = reachableAddresses(p2p.listen, keys.peerId, Deno.networkInterfaces());
    assert.ok(listening.length >= 2);
    assert.deepEqual(doc.addresses, ["/ip4/127.0.0.1/tcp/1", ...listening]);
    assert.deepEqual(id.addresses, doc.addresses);
    assert.equal(new Date(doc.expiresAt).toISOString(), id.documentExpiresAt);

    const text = await meteor("id", "--home", home, "--qr");
    assert.ok(text.stdout.includes(`MeteorID   ${KNOWN_METEOR_ID}`));
    assert.ok(text.stdout.includes("\u2588"), "QR code drawn");
    assert.ok(text.stdout.includes("meteor-doc:"));
  });
});

Deno.test("meteor id in a home without keystore fails with E_NOT_INITIALIZED", async () => {
  await withTempHome(async (home) => {
    const run = await meteor("id", "--home", home, "--json");
    assert.equal(run.code, 1);
    assert.equal(JSON.parse(run.stderr).error.code, "E_NOT_INITIALIZED");
  });
});

Deno.test("meteor seed export prints the hex seed and warns on stderr", async () => {
  await withTempHome(async (home) => {
    await meteor("seed", "import", KNOWN_SEED_HEX, "--home", home);
    const run = await meteor("seed", "export", "--home", home);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, KNOWN_SEED_HEX);
    assert.equal(run.stderr, SEED_WARNING);
    const json = await meteor("seed", "export", "--home", home, "--json");
    assert.deepEqual(JSON.parse(json.stdout), { seed: KNOWN_SEED_HEX });
    assert.equal(json.stderr, SEED_WARNING);
    const qr = await meteor("seed", "export", "--home", home, "--qr");
    assert.ok(qr.stdout.endsWith(`\n${KNOWN_SEED_HEX}`));
    const age = await meteor("seed", "export", "--home", home, "--age", "--json");
    assert.equal(age.stderr, AGE_IDENTITY_WARNING);
    const keys = await deriveKeys(fromHex(KNOWN_SEED_HEX));
    assert.equal(JSON.parse(age.stdout).ageIdentity, ageIdentity(keys.seeds));
  });
});

Deno.test("meteor seed import refuses to overwrite without --force and rejects bad hex", async () => {
  await withTempHome(async (home) => {
    await meteor("init", "--home", home);
    const refused = await meteor("seed", "import", KNOWN_SEED_HEX, "--home", home, "--json");
    assert.equal(JSON.parse(refused.stderr).error.code, "E_EXISTS");
    const cases = [
      KNOWN_SEED_HEX.slice(2),
      KNOWN_SEED_HEX + "00",
      "zz" + KNOWN_SEED_HEX.slice(2),
      "",
    ];
    for (const hex of cases) {
      const bad = await meteor("seed", "import", hex, "--home", home, "--force", "--json");
      assert.equal(JSON.parse(bad.stderr).error.code, "E_MALFORMED", hex);
    }
    const forced = await meteor(
      "seed",
      "import",
      KNOWN_SEED_HEX,
      "--home",
      home,
      "--force",
      "--json",
    );
    assert.equal(JSON.parse(forced.stdout).meteorId, KNOWN_METEOR_ID);
  });
});

Deno.test("meteor init --passphrase encrypts; id and seed export need the passphrase", async () => {
  await withTempHome(async (home) => {
    await withPassphrase("s3cret", async () => {
      const init = JSON.parse(
        (await meteor("init", "--home", home, "--passphrase", "--json")).stdout,
      );
      assert.equal(init.encrypted, true);
      const keystore = JSON.parse(await Deno.readTextFile(`${home}/keystore.json`));
      assert.equal(keystore.type, "scrypt-chacha20-poly1305");
      const id = JSON.parse((await meteor("id", "--home", home, "--json")).stdout);
      assert.equal(id.meteorId, init.meteorId);
    });
    await withPassphrase("wrong", async () => {
      const run = await meteor("seed", "export", "--home", home, "--json");
      assert.equal(JSON.parse(run.stderr).error.code, "E_BAD_PASSPHRASE");
    });
  });
});

Deno.test("meteor seed import reads stdin; a locked keystore without passphrase fails", async () => {
  await withTempHome(async (home) => {
    const imported = await meteorProcess(
      ["seed", "import", "--home", home, "--passphrase", "--json"],
      `  ${KNOWN_SEED_HEX}\n`,
      { METEOR_PASSPHRASE: "pw" },
    );
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(JSON.parse(new TextDecoder().decode(imported.stdout)).meteorId, KNOWN_METEOR_ID);
    // No METEOR_PASSPHRASE and stdin is not a terminal: refused, not hung.
    const locked = await meteorProcess(["id", "--home", home], "");
    assert.equal(locked.code, 1);
    assert.equal(
      locked.stderr,
      "meteor id: Cannot read passphrase: no terminal (set METEOR_PASSPHRASE) [E_NO_TTY]\n",
    );
  });
});

Deno.test("parseSeedHex() accepts 64 hex characters in either case, with surrounding whitespace", () => {
  assert.deepEqual(parseSeedHex(` ${KNOWN_SEED_HEX.toUpperCase()}\n`), fromHex(KNOWN_SEED_HEX));
  for (const bad of ["", "0".repeat(63), "0".repeat(65), "g".repeat(64), "00 ".repeat(32)]) {
    assert.throws(() => parseSeedHex(bad), /expected 64 hex/);
  }
});

Deno.test("renderQr() draws the generator's modules with half blocks and a quiet zone", () => {
  for (const text of [KNOWN_METEOR_ID.toUpperCase(), KNOWN_SEED_HEX, "x"]) {
    const matrix = qrMatrix(text);
    const lines = renderQr(text).split("\n");
    const size = matrix.length + 8;
    assert.equal(lines.length, Math.ceil(size / 2));
    // Decode the drawing back to modules: it must be the matrix inside a light border.
    const light = (line: string, col: number, half: 0 | 1) => {
      const ch = line[col];
      return ch === "\u2588" || ch === (half === 0 ? "\u2580" : "\u2584");
    };
    for (let row = 0; row < size; row++) {
      const line = lines[row >> 1];
      assert.equal(line.length, size);
      for (let col = 0; col < size; col++) {
        const r = row - 4;
        const c = col - 4;
        const inside = r >= 0 && c >= 0 && r < matrix.length && c < matrix.length;
        assert.equal(light(line, col, (row & 1) as 0 | 1), inside ? !matrix[r][c] : true);
      }
    }
  }
  assert.equal(formatMeteorId(parseMeteorId(KNOWN_METEOR_ID.toUpperCase())), KNOWN_METEOR_ID);
});

Deno.test({
  name: "meteor id warns once about an encrypted keystore open to others, refuses a plain one",
  ignore: !IS_POSIX,
  fn: () =>
    withTempHome(async (home) => {
      const keystore = `${home}/keystore.json`;
      await withPassphrase("s3cret", async () => {
        assert.equal((await meteor("init", "--home", home, "--passphrase")).code, 0);
        await Deno.chmod(keystore, 0o644);
        const first = await meteor("id", "--home", home);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(
          first.stderr,
          `meteor: warning: ${keystore} may be read by other users (mode 0644); ` +
            `only its passphrase protects the seed: run chmod 600 ${keystore}`,
        );
        const again = await meteor("id", "--home", home);
        assert.deepEqual([again.code, again.stderr], [0, ""]);
      });
      assert.equal((await meteor("init", "--home", home, "--force")).code, 0);
      await Deno.chmod(keystore, 0o640);
      const plain = await meteor("id", "--home", home);
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /unencrypted.*\(mode 0640\): run chmod 600 .*\[E_BAD_CONFIG\]$/);
    }),
});

Deno.test("freePorts() picks distinct bindable ports below the ephemeral range", () => {
  const ports = freePorts(5);
  assert.equal(new Set(ports).size, 5);
  for (const port of ports) {
    assert.ok(port >= 20000 && port < 32768, `${port} outside 20000-32767`);
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  }
  // Ports handed out once are not handed out again: their taker may not have bound them yet.
  const later = freePorts(5);
  assert.deepEqual(later.filter((port) => ports.includes(port)), []);
});
