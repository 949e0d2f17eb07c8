/**
 * The pubsub plugin's `meteor` commands (`pub`, `sub`, `topics`, `topic
 * create|invite|remove`): each reaches the running daemon through its local
 * API; `sub` prints messages as they arrive on the /v1/events WebSocket.
 *
 * @module
 */
import { readApiToken } from "../../core/api_token.ts";
import { MeteorError } from "../../core/errors.ts";
import { homePaths } from "../../core/home.ts";
import type { PluginCommand } from "../../core/plugin.ts";
import { apiClientFor, homeFrom, parseCommandArgs, printJson } from "../../plugin.ts";
import type { DeliveredMessage, TopicInfo } from "./pubsub.ts";

const topicPath = (topic: string) => `/v1/topics/${encodeURIComponent(topic)}`;

function expect(positionals: string[], names: string): string[] {
  const count = names.split(" ").length;
  if (positionals.length !== count) {
    throw new MeteorError("E_USAGE", `Cannot parse arguments: expected ${names}`);
  }
  return positionals;
}

async function readStdin(): Promise<string> {
  return (await new Response(Deno.stdin.readable).text()).replace(/\n$/, "");
}

/** `meteor pub TOPIC TEXT|-`. */
export const pubCommand: PluginCommand = {
  name: "pub",
  summary: "Publish a text on a topic",
  help: `Usage: meteor pub TOPIC TEXT [--home DIR] [--json]

Publishes TEXT (or standard input, when TEXT is -) on TOPIC through the
running daemon, signed by this node; on a private topic it is sealed so that
only members read it.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    const [topic, text] = expect(positionals, "TOPIC TEXT");
    const client = await apiClientFor(homeFrom(values));
    const body = { text: text === "-" ? await readStdin() : text };
    const result = await client.request<{ msgId: string; recipients: number }>(
      "POST",
      topicPath(topic),
      body,
    );
    if (values.json) printJson(result);
    else console.log(`Published ${result.msgId.slice(0, 16)} to ${result.recipients} peer(s).`);
    return 0;
  },
};

/** `meteor sub TOPIC [--json]`. */
export const subCommand: PluginCommand = {
  name: "sub",
  summary: "Subscribe to a topic and print its messages as they arrive",
  help: `Usage: meteor sub TOPIC [--home DIR] [--json]

Subscribes the running daemon to TOPIC (the subscription survives restarts;
'meteor topics' lists them) and prints each verified message as it arrives,
until interrupted. With --json, one JSON object per line: topic, from (the
author's MeteorID), text, verified, private, msgId, sentAt, receivedAt.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    const [topic] = expect(positionals, "TOPIC");
    const home = homeFrom(values);
    const client = await apiClientFor(home);
    await client.request("POST", `${topicPath(topic)}/subscribe`);
    const token = await readApiToken(homePaths(home).apiToken);
    const url = `${client.url.replace(/^http/, "ws")}/v1/events`;
    const socket = new WebSocket(url, ["meteor.v1", `meteor.token.${token}`]);
    const stop = () => socket.close(1000, "interrupted");
    Deno.addSignalListener("SIGINT", stop);
    try {
      return await new Promise<number>((resolve) => {
        socket.onmessage = (e) => {
          const event = JSON.parse(String(e.data)) as { name: string; detail: DeliveredMessage };
          if (event.name !== "pubsub:message" || event.detail.topic !== topic) return;
          if (values.json) console.log(JSON.stringify(event.detail));
          else console.log(`${event.detail.from}  ${event.detail.text}`);
        };
        socket.onerror = () => {};
        socket.onclose = (e) => {
          if (e.code !== 1000) console.error(`Cannot read events: the stream closed (${e.code})`);
          resolve(e.code === 1000 ? 0 : 1);
        };
      });
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
    }
  },
};

/** `meteor topics`. */
export const topicsCommand: PluginCommand = {
  name: "topics",
  summary: "List subscribed and private topics with their peers",
  help: `Usage: meteor topics [--home DIR] [--json]

Lists each topic the daemon is subscribed to or holds a key of: whether it is
subscribed, how many peers are subscribed to it (and in this node's mesh),
and for a private topic this node's role, key epoch and the gossipsub topic it
travels on (what a node that is no member subscribes to, to relay it).`,
  async run(args) {
    const { values } = parseCommandArgs(args, {});
    const client = await apiClientFor(homeFrom(values));
    const { topics } = await client.request<{ topics: TopicInfo[] }>("GET", "/v1/topics");
    if (values.json) printJson({ topics });
    for (const t of values.json ? [] : topics) {
      const kind = t.role
        ? `private, ${t.role}, epoch ${t.epoch}, gossip topic ${t.gossipTopic}`
        : "public";
      const state = t.subscribed ? "subscribed" : "not subscribed";
      console.log(`${t.topic}  ${state}  ${t.peers} peer(s), ${t.meshPeers} in mesh  (${kind})`);
    }
    return 0;
  },
};

/** `meteor topic create|invite|remove`, one command per verb. */
function topicCommand(
  verb: "create" | "invite" | "remove",
  summary: string,
  usage: string,
  help: string,
): PluginCommand {
  return {
    name: `topic ${verb}`,
    summary,
    help: `Usage: meteor topic ${verb} ${usage} [--home DIR] [--json]\n\n${help}`,
    async run(args) {
      const { values, positionals } = parseCommandArgs(args, {});
      const [topic, member] = expect(positionals, usage);
      const client = await apiClientFor(homeFrom(values));
      const result =
        await (verb === "create"
          ? client.request("POST", `${topicPath(topic)}/private`)
          : verb === "invite"
          ? client.request("POST", `${topicPath(topic)}/members`, { member })
          : client.request(
            "DELETE",
            `${topicPath(topic)}/members/${encodeURIComponent(member)}`,
          )) as { epoch: number; undelivered?: string[] };
      if (values.json) printJson(result);
      else {
        console.log(`${topic}: key epoch ${result.epoch}.`);
        for (const id of result.undelivered ?? []) console.log(`Not reached (invite again): ${id}`);
      }
      return 0;
    },
  };
}

/** `meteor topic create TOPIC`. */
export const topicCreateCommand: PluginCommand = topicCommand(
  "create",
  "Create a private topic owned by this node",
  "TOPIC",
  "Creates TOPIC as a private topic (key epoch 1) and subscribes to it.",
);

/** `meteor topic invite TOPIC MEMBER`. */
export const topicInviteCommand: PluginCommand = topicCommand(
  "invite",
  "Invite a member to a private topic",
  "TOPIC MEMBER",
  "Sends MEMBER the topic's current key, sealed to its X-Wing key.",
);

/** `meteor topic remove TOPIC MEMBER`. */
export const topicRemoveCommand: PluginCommand = topicCommand(
  "remove",
  "Remove a member from a private topic, rotating its key",
  "TOPIC MEMBER",
  "Removes MEMBER and sends a new key to the remaining members: MEMBER cannot\nread what is published after.",
);
