/**
 * The single binary (`deno task compile`, tools/compile.ts): its selftest,
 * init, and a daemon that starts, answers its API and stops on SIGTERM.
 * METEOR_BIN names an already-built binary; otherwise the test builds one,
 * which needs a Deno runtime to embed (denort: DENORT_BIN, Deno's cache, or
 * a download). With neither, the test says why it does not run.
 */
import assert from "node:assert/strict";
import { runtimeProblem } from "../../tools/compile.ts";

const TOOL = new URL("../../tools/compile.ts", import.meta.url).pathname;

const built = Deno.env.get("METEOR_BIN");
const problem = built ? null : await runtimeProblem();
const why = problem === null
  ? null
  : `METEOR_BIN (a built meteor) is not set, and deno compile has no runtime to embed: ${problem}; ` +
    "set DENORT_BIN to a denort binary, or METEOR_BIN";
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

/** Runs the compile task's script with `args` and `env`. */
function compileTask(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", TOOL, ...args],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
}

/** Builds the binary into `dir` as `deno task compile --output` does. */
async function compile(dir: string): Promise<string> {
  const bin = `${dir}/meteor`;
  const { code, stderr } = await compileTask(["--output", bin]);
  assert.equal(code, 0, `deno compile: ${new TextDecoder().decode(stderr)}`);
  return bin;
}

Deno.test("deno task compile without a runtime says what to do, in one line, and exits 1", async () => {
  const { code, stderr } = await compileTask(["--output", "/nonexistent/meteor"], {
    DENORT_BIN: "/nonexistent/denort",
    RUST_BACKTRACE: "1",
  });
  const text = new TextDecoder().decode(stderr).trim();
  assert.equal(code, 1);
  assert.match(
    text,
    /^Cannot compile meteor: deno compile needs the Deno runtime denort \S+ for \S+, and DENORT_BIN=\/nonexistent\/denort is not a file\. Download https:\/\/dl\.deno\.land\/release\/v\S+\/denort-\S+\.zip where it can be reached, unzip it, and run again with DENORT_BIN=\/path\/to\/denort\.$/,
  );
});

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
