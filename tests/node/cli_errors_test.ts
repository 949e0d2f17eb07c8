import assert from "node:assert/strict";
import { HybridIdentity } from "../../core/age/mod.ts";
import { homePaths } from "../../core/home.ts";
import { freePorts, initTestHome, meteor, meteorProcess, withTempHome } from "../_cli.ts";

/**
 * The JSON error object a `--json` run printed as its last line on stderr
 * (before it only the daemon's log lines; stdout empty), and its exit code.
 */
async function jsonError(args: string[]): Promise<{ code: number; error: Record<string, string> }> {
  const run = await meteorProcess([...args, "--json"], "");
  assert.equal(new TextDecoder().decode(run.stdout), "", "nothing on stdout");
  const lines = run.stderr.trim().split("\n");
  for (const line of lines.slice(0, -1)) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z [A-Z]+ /);
  return { code: run.code, error: JSON.parse(lines.at(-1)!).error };
}

Deno.test("meteor daemon on a port in use says which port and which config key, as E_ADDR_IN_USE", async () => {
  await withTempHome(async (home) => {
    const [p2pPort] = freePorts(1);
    await initTestHome(home, 7, {
      plugins: ["p2p"],
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`], bootstrap: [] },
    });
    const { api } = JSON.parse(await Deno.readTextFile(homePaths(home).config));
    const cases: [number, RegExp][] = [
      [p2pPort, new RegExp(`port ${p2pPort} is in use .*config\\.json p2p\\.listen$`)],
      [api.port, new RegExp(`port ${api.port} is in use .*config\\.json api\\.port$`)],
    ];
    for (const [port, message] of cases) {
      const busy = Deno.listen({ hostname: "127.0.0.1", port });
      try {
        const { code, error } = await jsonError(["daemon", "--home", home]);
        assert.equal(code, 1);
        assert.equal(error.code, "E_ADDR_IN_USE");
        assert.match(error.message, message);
      } finally {
        busy.close();
      }
    }
  });
});

Deno.test("meteor with a damaged or truncated state.db prints one line with its code and what to do", async () => {
  await withTempHome(async (home) => {
    await initTestHome(home, 8);
    const state = homePaths(home).state;
    assert.equal((await meteor("contacts", "list", "--home", home)).code, 0);
    const good = await Deno.readFile(state);
    const damaged: [string, Uint8Array][] = [
      ["random bytes", crypto.getRandomValues(new Uint8Array(1000))],
      ["truncated to 100 bytes", good.subarray(0, 100)],
      ["truncated to one page", good.subarray(0, 4096)],
    ];
    for (const [what, bytes] of damaged) {
      await Deno.writeFile(state, bytes);
      for (const suffix of ["-wal", "-shm"]) await Deno.remove(state + suffix).catch(() => {});
      const run = await meteorProcess(["contacts", "list", "--home", home], "");
      assert.equal(run.code, 1, what);
      assert.match(
        run.stderr,
        new RegExp(
          `^meteor contacts list: Cannot open state: ${state} is damaged \\(.*\\); restore it ` +
            `from a backup, or move it aside \\(mv ${state} ${state}\\.damaged\\).* \\[E_MALFORMED\\]\\n$`,
        ),
        what,
      );
    }
  });
});

Deno.test("meteor encrypt -r with a mistyped age1pq1 recipient says what is wrong with it", async () => {
  const good = String(await new HybridIdentity(new Uint8Array(32).fill(3)).recipient());
  assert.equal(good.length, 1959);
  const swap = (at: number, c: string) => good.slice(0, at) + c + good.slice(at + 1);
  const other = good[500] === "q" ? "p" : "q";
  const cases: [string, string, RegExp][] = [
    ["outside the alphabet", swap(100, "b"), /character "b" at position 101 is not in the Bech32/],
    ["a capital", swap(500, "Q"), /mixes upper and lower case/],
    ["n - 1 characters", good.slice(0, -1), /1,958 characters long, but an age1pq1 .* is 1,959/],
    ["n + 1 characters", `${good}q`, /1,960 characters long, but an age1pq1 .* is 1,959/],
    [
      "a mistyped character",
      swap(500, other),
      /its checksum does not match: a character is mistyped/,
    ],
    ["a short X25519 one", "age1zz", /6 characters long, but an age1 \(X25519\) recipient is 62/],
  ];
  for (const [what, recipient, message] of cases) {
    const run = await meteor("encrypt", "-r", recipient, "--home", "/nonexistent");
    assert.equal(run.code, 1, what);
    assert.match(run.stderr, message, what);
    assert.match(
      run.stderr,
      /^meteor encrypt: Cannot resolve recipient "age1.{0,30}": .*\[E_BAD_RECIPIENT\]$/,
    );
    assert.ok(run.stderr.length < 400, `${what}: the recipient is not echoed whole`);
  }
});
