/**
 * One pubsub test daemon in its own process, for `bench:pubsub --processes`:
 * `deno run -A bench/_pubsub_daemon.ts SEED RETRY_MS [BOOTSTRAP...]`. It
 * prints one JSON object a line: `{op: "ready", address}` once started, then
 * `{op: "message", msgId, sentAt, receivedAt}` for each delivered message,
 * and the answer `{op: "answer", id, value}` to each command it reads from
 * stdin, one JSON object a line: `{id, op: "subscribe" | "publish" | "mesh" |
 * "duplicates" | "stop", topic?, text?}`.
 *
 * @module
 */
import { daemonSpec } from "../tests/p2p/_daemon.ts";
import {
  bootstrapAddress,
  call,
  meshPeers,
  publish,
  startLineDaemon,
  stopLine,
} from "../tests/pubsub/_line.ts";

const [seed, retryMs, ...bootstrap] = Deno.args;
const spec = { ...await daemonSpec(Number(seed)), retryMs: Number(retryMs), bootstrap };
const daemon = await startLineDaemon(spec);
const out = (value: unknown) => console.log(JSON.stringify(value));
daemon.daemon.node.events.on("pubsub:message", (m) => {
  out({ op: "message", msgId: m.msgId, sentAt: m.sentAt, receivedAt: m.receivedAt });
});
out({ op: "ready", address: bootstrapAddress(daemon) });

type Command = { id: number; op: string; topic: string; text: string };
const commands: Record<string, (c: Command) => Promise<unknown>> = {
  subscribe: (c) => call(daemon, "POST", `/v1/topics/${encodeURIComponent(c.topic)}/subscribe`),
  publish: async (c) => (await publish(daemon, c.topic, c.text)).msgId,
  mesh: (c) => meshPeers(daemon, c.topic),
  duplicates: async () =>
    (await call<{ plugins: { pubsub: { stats: Record<string, number> } } }>(
      daemon,
      "GET",
      "/v1/stats",
    )).plugins.pubsub.stats.duplicates,
  stop: async () => await stopLine([daemon]),
};
let pending = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf("\n")) >= 0) {
    const command = JSON.parse(pending.slice(0, newline)) as Command;
    pending = pending.slice(newline + 1);
    const value = await commands[command.op](command);
    out({ op: "answer", id: command.id, value: value ?? null });
    if (command.op === "stop") Deno.exit(0);
  }
}
