import assert from "node:assert/strict";
import { withTempDir } from "../_temp.ts";

const REPO = new URL("../../", import.meta.url);

/**
 * What Deno needs from the environment: where it caches, and how it reaches
 * the npm registry when the install has to download (certificates, proxies).
 */
const NEEDED = [
  "HOME",
  "PATH",
  "DENO_DIR",
  "TMPDIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NPM_CONFIG_REGISTRY",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
];

/** Runs `cmd args` in `cwd` with only what Deno needs from the environment, plus `env`. */
async function run(
  cmd: string,
  args: string[],
  cwd: string | URL,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    NEEDED.flatMap((n) => {
      const value = Deno.env.get(n);
      return value === undefined ? [] : [[n, value]];
    }),
  );
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Encrypts work/notes.txt to self and decrypts it back, by relative paths, with `meteor`. */
async function roundTripInFolder(meteor: (args: string[]) => ReturnType<typeof run>) {
  const init = await meteor(["init", "--home", "home"]);
  assert.equal(init.code, 0, init.stderr);
  const sealed = await meteor([
    "encrypt",
    "--home",
    "home",
    "-r",
    "self",
    "-o",
    "notes.age",
    "notes.txt",
  ]);
  assert.equal(sealed.code, 0, sealed.stderr);
  const opened = await meteor(["decrypt", "--home", "home", "-o", "back.txt", "notes.age"]);
  assert.equal(opened.code, 0, opened.stderr);
}

Deno.test("deno task install puts a meteor on PATH that runs from any folder, paths relative to it", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/root`;
    const work = `${dir}/work`;
    await Deno.mkdir(work);
    await Deno.writeTextFile(`${work}/notes.txt`, "my notes");
    const install = await run(Deno.execPath(), ["task", "install"], REPO, {
      DENO_INSTALL_ROOT: root,
    });
    assert.equal(install.code, 0, install.stderr);
    const meteor = (args: string[]) => run(`${root}/bin/meteor`, args, work);
    const version = await meteor(["--version"]);
    assert.match(version.stdout, /^meteor \d+\.\d+\.\d+\n$/);
    await roundTripInFolder(meteor);
    assert.equal(await Deno.readTextFile(`${work}/back.txt`), "my notes");
    assert.ok((await Deno.stat(`${work}/home/keystore.json`)).isFile, "--home home is in work/");
  }, "meteor-install-");
});

Deno.test("deno task meteor takes relative paths from the folder it was typed in (INIT_CWD)", async () => {
  await withTempDir(async (work) => {
    await Deno.writeTextFile(`${work}/notes.txt`, "my notes");
    const config = new URL("deno.json", REPO).pathname;
    const meteor = (args: string[]) =>
      run(Deno.execPath(), ["task", "--quiet", "--config", config, "meteor", ...args], work);
    await roundTripInFolder(meteor);
    assert.equal(await Deno.readTextFile(`${work}/back.txt`), "my notes");
  }, "meteor-task-");
});
