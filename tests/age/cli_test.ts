import assert from "node:assert/strict";
import * as typage from "age-encryption";
import { setUpHome } from "../../cli/init.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  deriveKeys,
  encodeDocument,
  formatDocument,
  formatMeteorId,
  wipeNodeKeys,
} from "../../core/identity/mod.ts";
import { openStore } from "../../core/store/mod.ts";
import { randomBytes } from "../crypto/_random.ts";
import { type CliRun, meteor, meteorProcess } from "../_cli.ts";

/** Runs `meteor ARGS` in this process and asserts that it exits 0. */
async function meteorOk(...args: string[]): Promise<CliRun> {
  const run = await meteor(...args);
  assert.equal(run.code, 0, run.stderr);
  return run;
}

/** Encrypts `input` to self in `home` as `<name>.age`, decrypts it to `<name>.out`, returns that. */
async function selfRoundTrip(home: string, input: string, name: string): Promise<Uint8Array> {
  await meteorOk("encrypt", "--home", home, "-r", "self", "-o", `${name}.age`, input);
  await meteorOk("decrypt", "--home", home, "-o", `${name}.out`, `${name}.age`);
  return await Deno.readFile(`${name}.out`);
}

async function node(dir: string, name: string) {
  const seed = randomBytes(32);
  const home = `${dir}/${name}`;
  await setUpHome(home, seed);
  const keys = await deriveKeys(seed);
  const document = await createDocument(keys);
  const meteorId = formatMeteorId(keys.meteorId);
  wipeNodeKeys(keys);
  return { home, document, meteorId };
}

Deno.test("meteor encrypt/decrypt round-trip to self, to a recipient, a document and a contact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alice = await node(dir, "alice");
    const bob = await node(dir, "bob");
    const plaintext = randomBytes(200_000);
    await Deno.writeFile(`${dir}/in`, plaintext);

    // To self.
    assert.deepEqual(await selfRoundTrip(alice.home, `${dir}/in`, `${dir}/self`), plaintext);

    // To an identity document file, with JSON output naming the MeteorID.
    await Deno.writeTextFile(`${dir}/bob.doc`, formatDocument(bob.document));
    const enc = await meteor(
      "encrypt",
      "--home",
      alice.home,
      "--json",
      "-r",
      `${dir}/bob.doc`,
      "-o",
      `${dir}/doc.age`,
      `${dir}/in`,
    );
    assert.equal(enc.code, 0);
    const summary = JSON.parse(enc.stdout);
    assert.equal(summary.recipients[0].kind, "document");
    assert.equal(summary.recipients[0].meteorId, bob.meteorId);
    assert.ok(summary.recipients[0].recipient.startsWith("age1pq1"));
    const dec = await meteor(
      "decrypt",
      "--home",
      bob.home,
      "--json",
      "-o",
      `${dir}/doc.out`,
      `${dir}/doc.age`,
    );
    assert.deepEqual(JSON.parse(dec.stdout), { output: `${dir}/doc.out`, bytes: plaintext.length });
    assert.deepEqual(await Deno.readFile(`${dir}/doc.out`), plaintext);
    const wrong = await meteor("decrypt", "--home", alice.home, "-o", `${dir}/x`, `${dir}/doc.age`);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /E_NO_MATCHING_IDENTITY/);

    // To a contact, by name and by MeteorID; a contact without a document is refused.
    const store = openStore(homePaths(alice.home).state);
    try {
      const document = encodeDocument(bob.document);
      store.contacts.add({ name: "bob", meteorId: bob.document.meteorId, document });
      store.contacts.add({ name: "carol", meteorId: randomBytes(32) });
    } finally {
      store.close();
    }
    for (const [r, out] of [["bob", "name"], [bob.meteorId, "id"]]) {
      await meteorOk(
        "encrypt",
        "--home",
        alice.home,
        "-r",
        r,
        "-o",
        `${dir}/${out}.age`,
        `${dir}/in`,
      );
      await meteorOk("decrypt", "--home", bob.home, "-o", `${dir}/${out}.out`, `${dir}/${out}.age`);
      assert.deepEqual(await Deno.readFile(`${dir}/${out}.out`), plaintext);
    }
    const carol = await meteor(
      "encrypt",
      "--home",
      alice.home,
      "-r",
      "carol",
      "-o",
      `${dir}/c.age`,
      `${dir}/in`,
    );
    assert.equal(carol.code, 1);
    assert.match(carol.stderr, /no identity document.*E_BAD_RECIPIENT/);
    const stranger = await meteor("encrypt", "--home", alice.home, "-r", "dave", `${dir}/in`);
    assert.match(stranger.stderr, /E_BAD_RECIPIENT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("meteor decrypt -i reads age identity files and multi-recipient files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = await typage.generateX25519Identity();
    const pq = await typage.generateHybridIdentity();
    const pq2 = await typage.generateHybridIdentity();
    await Deno.writeTextFile(`${dir}/keys.txt`, `# test keys\n${x}\n\n${pq}\n`);
    await Deno.writeTextFile(`${dir}/pq.txt`, `${pq2}\n`);
    const plaintext = randomBytes(70_000);
    await Deno.writeFile(`${dir}/in`, plaintext);
    const r1 = await typage.identityToRecipient(pq);
    const r2 = await typage.identityToRecipient(pq2);
    // age's rule: a post-quantum recipient is never mixed with a classical one.
    const mixed = await meteor(
      "encrypt",
      "--home",
      `${dir}/none`,
      "-r",
      r1,
      "-r",
      await typage.identityToRecipient(x),
      "-o",
      `${dir}/mixed.age`,
      `${dir}/in`,
    );
    assert.equal(mixed.code, 1);
    assert.match(
      mixed.stderr,
      /post-quantum and classical recipients cannot be mixed.*E_BAD_RECIPIENT/,
    );
    assert.equal(await Deno.stat(`${dir}/mixed.age`).catch(() => null), null);
    await meteorOk(
      "encrypt",
      "--home",
      `${dir}/none`,
      "-a",
      "-r",
      r1,
      "-r",
      r2,
      "-o",
      `${dir}/f.age`,
      `${dir}/in`,
    );
    for (const keys of ["keys.txt", "pq.txt"]) {
      const out = `${dir}/${keys}.out`;
      await meteorOk("decrypt", "-i", `${dir}/${keys}`, "-o", out, `${dir}/f.age`);
      assert.deepEqual(await Deno.readFile(out), plaintext);
    }
    // typage reads the armored multi-recipient file too.
    const d = new typage.Decrypter();
    d.addIdentity(pq);
    assert.deepEqual(
      await d.decrypt(typage.armor.decode(await Deno.readTextFile(`${dir}/f.age`))),
      plaintext,
    );
    await Deno.writeTextFile(`${dir}/bad.txt`, "AGE-SECRET-KEY-1NOPE\n");
    const bad = await meteor("decrypt", "-i", `${dir}/bad.txt`, `${dir}/f.age`);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /line 1.*E_MALFORMED/);
    assert.ok(!bad.stderr.includes("NOPE"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("meteor decrypt leaves no partial plaintext when the file is damaged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alice = await node(dir, "alice");
    await Deno.writeFile(`${dir}/in`, randomBytes(5 * 65536 + 3));
    await meteor("encrypt", "--home", alice.home, "-r", "self", "-o", `${dir}/f.age`, `${dir}/in`);
    const file = await Deno.readFile(`${dir}/f.age`);
    const damaged: [string, Uint8Array][] = [
      ["truncated", file.subarray(0, file.length - 100)],
      ["flipped", file.map((b, i) => (i === file.length - 70_000 ? b ^ 1 : b))],
      ["trailing", new Uint8Array([...file, 0])],
    ];
    for (const [what, bytes] of damaged) {
      await Deno.writeFile(`${dir}/${what}.age`, bytes);
      const result = await meteor(
        "decrypt",
        "--home",
        alice.home,
        "-o",
        `${dir}/${what}.out`,
        `${dir}/${what}.age`,
      );
      assert.equal(result.code, 1, what);
      assert.match(
        result.stderr,
        /^meteor decrypt: Cannot decrypt payload: .* \[E_DECRYPT_FAILED\]$/,
        what,
      );
      await assert.rejects(Deno.stat(`${dir}/${what}.out`), Deno.errors.NotFound);
    }
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.filter((n) => n.startsWith(".meteor-")), [], "temporary files left");
    // An existing OUT is not replaced without --force, and is with it.
    await Deno.writeTextFile(`${dir}/out`, "keep");
    const refused = await meteor(
      "decrypt",
      "--home",
      alice.home,
      "-o",
      `${dir}/out`,
      `${dir}/f.age`,
    );
    assert.match(refused.stderr, /E_EXISTS/);
    assert.equal(await Deno.readTextFile(`${dir}/out`), "keep");
    await meteorOk("decrypt", "--home", alice.home, "--force", "-o", `${dir}/out`, `${dir}/f.age`);
    assert.deepEqual(await Deno.readFile(`${dir}/out`), await Deno.readFile(`${dir}/in`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("meteor encrypt and decrypt report usage errors with exit status 2", async () => {
  const cases = [
    ["encrypt", "in"],
    ["encrypt", "-r", "self", "a", "b"],
    ["encrypt", "-r", "self", "--json", "in"],
    ["decrypt", "--json", "in"],
    ["decrypt", "--bogus"],
  ];
  for (const args of cases) {
    const { code, stdout, stderr } = await meteor(...args);
    assert.equal(code, 2, args.join(" "));
    // With --json the error is a JSON object on stderr; stdout carries only results.
    assert.equal(stdout, "", args.join(" "));
    assert.match(args.includes("--json") ? JSON.parse(stderr).error.code : stderr, /E_USAGE/);
  }
  const help = await meteor("encrypt", "--help");
  assert.match(help.stdout, /Usage: meteor encrypt -r RECIPIENT/);
});

Deno.test("meteor encrypt and decrypt stream stdin to stdout (subprocess)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alice = await node(dir, "alice");
    const plaintext = randomBytes(300_000);
    const enc = await meteorProcess(
      ["encrypt", "--home", alice.home, "-a", "-r", "self"],
      plaintext,
    );
    assert.equal(enc.code, 0, enc.stderr);
    assert.ok(
      new TextDecoder().decode(enc.stdout).startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n"),
    );
    const dec = await meteorProcess(["decrypt", "--home", alice.home], enc.stdout);
    assert.equal(dec.code, 0, dec.stderr);
    assert.deepEqual(dec.stdout, plaintext);
    const garbage = await meteorProcess(["decrypt", "--home", alice.home], randomBytes(1000));
    assert.equal(garbage.code, 1);
    assert.equal(garbage.stderr.trim().split("\n").length, 1);
    assert.match(garbage.stderr, /E_HEADER_INVALID/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("meteor encrypt/decrypt work, and agree with the CPU, when config forces the WebGPU engine", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const alice = await node(dir, "alice");
    const plaintext = randomBytes(70 * 65536 + 9);
    await Deno.writeFile(`${dir}/in`, plaintext);
    const configPath = homePaths(alice.home).config;
    const config = JSON.parse(await Deno.readTextFile(configPath));
    await Deno.writeTextFile(configPath, JSON.stringify({ ...config, cipher: { path: "gpu" } }));
    assert.deepEqual(await selfRoundTrip(alice.home, `${dir}/in`, `${dir}/f`), plaintext);
    // The CPU path reads the same file.
    await Deno.writeTextFile(configPath, JSON.stringify({ ...config, cipher: { path: "cpu" } }));
    await meteorOk("decrypt", "--home", alice.home, "-o", `${dir}/cpu.out`, `${dir}/f.age`);
    assert.deepEqual(await Deno.readFile(`${dir}/cpu.out`), plaintext);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
