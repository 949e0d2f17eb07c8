/**
 * The single binary (`deno task compile`): its selftest, init, and a daemon
 * that starts, answers its API and stops on SIGTERM. It needs a Deno runtime
 * to embed (denort), which `deno compile` downloads; where it cannot,
 * DENORT_BIN names one. METEOR_BIN names an already-built binary instead.
 * With neither, the test says why it does not run.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TASK = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.compile as string;
const built = Deno.env.get("METEOR_BIN");
const denort = Deno.env.get("DENORT_BIN");
const why = built || denort
  ? null
  : "neither METEOR_BIN (a built meteor) nor DENORT_BIN (a runtime for deno compile) is set";
if (why) console.log(`tests/net/binary_test.ts: skipped: ${why}`);

/** Runs the binary with `args`; resolves to its exit code and stdout. */
async function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(bin, {
    args,
    env: { METEOR_CIPHER_PATH: "cpu", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `meteor ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  return text;
}

/** Builds the binary with deno.json's compile task, its --output moved to `dir`. */
async function compile(dir: string): Promise<string> {
  const bin = `${dir}/meteor`;
  const args = TASK.replace(/^deno /, "").replace("--output meteor", `--output ${bin}`).split(" ");
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, `deno compile: ${new TextDecoder().decode(stderr)}`);
  return bin;
}

Deno.test({
  name: "the meteor binary runs selftest, init and a daemon that starts and stops",
  ignore: why !== null,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "meteor-bin-" });
    try {
      const bin = built ?? await compile(dir);
      await run(bin, ["selftest"]);
      const home = `${dir}/home`;
      const init = JSON.parse(await run(bin, ["init", "--home", home, "--json"]));
      assert.match(init.meteorId, /^meteor1/);
      const config = JSON.parse(await Deno.readTextFile(`${home}/config.json`));
      config.p2p.listen = config.p2p.listen.map((a: string) => a.replace("0.0.0.0", "127.0.0.1"));
      await Deno.writeTextFile(`${home}/config.json`, JSON.stringify(config));
      const daemon = new Deno.Command(bin, {
        args: ["daemon", "--home", home, "--json"],
        env: { METEOR_CIPHER_PATH: "cpu" },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = daemon.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        assert.ok(!done, `the daemon exited before its startup line: ${text}`);
        text += value;
      }
      const rest = (async () => {
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
      })();
      const started = JSON.parse(text.slice(0, text.indexOf("\n")));
      assert.equal(started.meteorId, init.meteorId);
      const token = (await Deno.readTextFile(`${home}/api-token`)).trim();
      const health = await fetch(`${started.api}/v1/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.deepEqual(await health.json(), { status: "ok" });
      daemon.kill("SIGTERM");
      assert.equal((await daemon.status).code, 0);
      await rest;
      assert.match(text, /\{"event":"stopped"\}/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
