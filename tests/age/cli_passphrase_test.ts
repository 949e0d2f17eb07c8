import assert from "node:assert/strict";
import * as typage from "age-encryption";
import { setUpHome } from "../../cli/init.ts";
import { randomBytes } from "../crypto/_random.ts";
import { meteor, meteorProcess } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";

const ENV = "METEOR_AGE_PASSPHRASE";

async function withAgePassphrase<T>(value: string, work: () => Promise<T>): Promise<T> {
  Deno.env.set(ENV, value);
  try {
    return await work();
  } finally {
    Deno.env.delete(ENV);
  }
}

Deno.test("meteor encrypt -p writes what typage decrypts with the passphrase, and reads it back", () =>
  withTempDir(async (dir) => {
    const plaintext = randomBytes(70_000);
    await Deno.writeFile(`${dir}/in`, plaintext);
    const run = await withAgePassphrase(
      "correct horse",
      () =>
        meteor(
          "encrypt",
          "--home",
          `${dir}/none`,
          "-p",
          "--json",
          "-o",
          `${dir}/f.age`,
          `${dir}/in`,
        ),
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      output: `${dir}/f.age`,
      bytes: (await Deno.stat(`${dir}/f.age`)).size,
      armor: false,
      passphrase: true,
      recipients: [],
    });
    const file = await Deno.readFile(`${dir}/f.age`);
    assert.match(new TextDecoder().decode(file.subarray(0, 200)), /\n-> scrypt \S+ 18\n/);
    const d = new typage.Decrypter();
    d.addPassphrase("correct horse");
    assert.deepEqual(await d.decrypt(file), plaintext);

    const back = await withAgePassphrase(
      "correct horse",
      () => meteor("decrypt", "-p", "-o", `${dir}/out`, `${dir}/f.age`),
    );
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await Deno.readFile(`${dir}/out`), plaintext);
  }));

Deno.test("meteor decrypt -p reads typage's passphrase files, binary and armored", () =>
  withTempDir(async (dir) => {
    const plaintext = randomBytes(100_000);
    const e = new typage.Encrypter();
    e.setPassphrase("tr0ub4dor");
    e.setScryptWorkFactor(12);
    const file = await e.encrypt(plaintext);
    await Deno.writeFile(`${dir}/f.age`, file);
    await Deno.writeTextFile(`${dir}/f.asc`, typage.armor.encode(file));
    for (const name of ["f.age", "f.asc"]) {
      const run = await withAgePassphrase(
        "tr0ub4dor",
        () => meteor("decrypt", "-p", "-o", `${dir}/${name}.out`, `${dir}/${name}`),
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await Deno.readFile(`${dir}/${name}.out`), plaintext, name);
    }
  }));

Deno.test("meteor decrypt says what to do when -p is missing, wrong or not for this file", () =>
  withTempDir(async (dir) => {
    const home = `${dir}/home`;
    await setUpHome(home, randomBytes(32));
    const e = new typage.Encrypter();
    e.setPassphrase("right");
    e.setScryptWorkFactor(10);
    await Deno.writeFile(`${dir}/pass.age`, await e.encrypt(randomBytes(10)));
    const x = await typage.generateX25519Identity();
    await Deno.writeTextFile(`${dir}/key.txt`, `${x}\n`);
    const r = new typage.Encrypter();
    r.addRecipient(await typage.identityToRecipient(x));
    await Deno.writeFile(`${dir}/key.age`, await r.encrypt(randomBytes(10)));

    const cases: [string[], string | undefined, number, RegExp][] = [
      [
        ["--home", home, "pass.age"],
        undefined,
        1,
        /passphrase-encrypted: use -p \[E_NO_MATCHING_IDENTITY\]$/,
      ],
      [
        ["-i", "key.txt", "pass.age"],
        undefined,
        1,
        /passphrase-encrypted: use -p \[E_NO_MATCHING_IDENTITY\]$/,
      ],
      [["-p", "pass.age"], "wrong", 1, /wrong passphrase \[E_BAD_PASSPHRASE\]$/],
      [
        ["-p", "key.age"],
        "right",
        1,
        /not passphrase-encrypted \(drop -p\) \[E_NO_MATCHING_IDENTITY\]$/,
      ],
      [["-p", "-i", "key.txt", "pass.age"], "right", 2, /cannot be combined.*\[E_USAGE\]$/],
    ];
    for (const [args, passphrase, code, message] of cases) {
      const paths = args.map((a) => a.endsWith(".age") || a.endsWith(".txt") ? `${dir}/${a}` : a);
      const decrypt = () => meteor("decrypt", "-o", `${dir}/out`, ...paths);
      const run = passphrase === undefined
        ? await decrypt()
        : await withAgePassphrase(passphrase, decrypt);
      assert.equal(run.code, code, args.join(" "));
      assert.match(run.stderr, message, args.join(" "));
      assert.equal(await Deno.stat(`${dir}/out`).catch(() => null), null, args.join(" "));
    }
  }));

Deno.test("meteor encrypt -p refuses -r and an empty passphrase, and names the variable without a terminal", () =>
  withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/in`, randomBytes(10));
    const mixed = await withAgePassphrase(
      "x",
      () => meteor("encrypt", "-p", "-r", "age1pq1x", "-o", `${dir}/o`, `${dir}/in`),
    );
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /passphrase alone.*\[E_USAGE\]$/);
    const empty = await withAgePassphrase(
      "",
      () => meteor("encrypt", "-p", "-o", `${dir}/o`, `${dir}/in`),
    );
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /METEOR_AGE_PASSPHRASE is empty \[E_BAD_PASSPHRASE\]$/);
    const none = await meteor("encrypt", "-o", `${dir}/o`, `${dir}/in`);
    assert.match(none.stderr, /-r RECIPIENT, or -p \[E_USAGE\]$/);
    // stdin is a pipe: no prompt, and the error says which variable to set.
    const piped = await meteorProcess(["encrypt", "-p", "-a"], "data");
    assert.equal(piped.code, 1);
    assert.match(piped.stderr, /no terminal \(set METEOR_AGE_PASSPHRASE\) \[E_NO_TTY\]$/m);
  }));
