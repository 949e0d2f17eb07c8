/**
 * The session's own CPU per frame (docs/protocol.md §4-§5: one ratchet step
 * and one ChaCha20-Poly1305 seal on the sending side, one ratchet step and
 * one open on the receiving side), no network: this tree's `Session`
 * against the `Session` of another checkout of the project (`--base DIR`,
 * e.g. a `git worktree add --detach DIR main`), rounds interleaved in one
 * process. Prints a table of medians and their ratio.
 *
 * Usage: deno run -A bench/session_cpu.ts --base DIR [--frames N] [--rounds N] [--sizes 64,1024]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { lazyImport } from "../core/lazy_import.ts";
import { formatNumber, median, table } from "./_stats.ts";

type Fixtures = typeof import("../tests/p2p/_fixtures.ts");

const { values } = parseArgs({
  args: Deno.args,
  options: {
    base: { type: "string" },
    frames: { type: "string", default: "5000" },
    rounds: { type: "string", default: "7" },
    sizes: { type: "string", default: "64,1024" },
  },
});
if (values.base === undefined) {
  console.error("Usage: deno run -A bench/session_cpu.ts --base DIR [--frames N] [--rounds N]");
  Deno.exit(2);
}
const FRAMES = Number(values.frames);
const ROUNDS = Number(values.rounds);

async function pairOf(fixtures: Fixtures) {
  const [a, b] = [await fixtures.testNode(1), await fixtures.testNode(2)];
  // No rekey inside a round: it would time X-Wing, not frames.
  return await fixtures.sessionPair(a, b, { rekeyAfterMessages: Number.MAX_SAFE_INTEGER });
}

/** Microseconds per frame sent and received. */
async function round(pair: Awaited<ReturnType<typeof pairOf>>, data: Uint8Array) {
  const start = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    pair.initiator.send(data);
    await pair.responder.receive(pair.toResponder.shift()!);
  }
  return (performance.now() - start) / FRAMES * 1000;
}

const here = await lazyImport<Fixtures>(new URL("../tests/p2p/_fixtures.ts", import.meta.url));
const base = await lazyImport<Fixtures>(
  new URL("tests/p2p/_fixtures.ts", pathToFileURL(resolve(values.base) + "/")),
);
const rows: string[][] = [];
for (const size of values.sizes.split(",").map(Number)) {
  const data = new Uint8Array(size);
  const [mine, theirs] = [await pairOf(here), await pairOf(base)];
  await round(mine, data); // warm-up
  await round(theirs, data);
  const [a, b]: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(await round(theirs, data));
    a.push(await round(mine, data));
  }
  rows.push([
    `${size} B send + receive`,
    `${formatNumber(median(b))} us`,
    `${formatNumber(median(a))} us`,
    `${formatNumber(median(b) / median(a))}x`,
  ]);
}
console.log(
  `Session CPU per frame, median of ${ROUNDS} interleaved rounds of ${FRAMES} frames; ` +
    `base: ${values.base}\n`,
);
console.log(table(["frame", "base", "this tree", "base / this tree"], rows));
