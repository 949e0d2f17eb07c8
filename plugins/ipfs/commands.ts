/**
 * The top-level commands of the IPFS plugin: `meteor put`, `get`, `pins`,
 * `unpin`, `gc`, `send-file` and `files`. They run in the CLI process and
 * reach the running daemon through its API; plaintext goes to the daemon
 * over the local API, which encrypts and decrypts with the node's key.
 *
 * @module
 */
import { basename } from "node:path";
import {
  apiClientFor,
  fromStream,
  homeFrom,
  MeteorError,
  openInput,
  parseCommandArgs,
  type PluginCommand,
  printJson,
  progress,
  refuseExtraArguments,
  resolveRecipients,
  writeOutput,
} from "../../plugin.ts";
import type { PutResult } from "./service.ts";

function one(positionals: string[], what: string): string {
  refuseExtraArguments(positionals, 1);
  if (positionals.length !== 1) {
    throw new MeteorError("E_USAGE", `Cannot parse arguments: expected ${what}`);
  }
  return positionals[0];
}

/** The query of a put: `plain=true`, or each -r value as an age recipient (or "self"). */
async function putQuery(home: string, plain: boolean, inputs: string[], to?: string) {
  const query = new URLSearchParams();
  if (plain) {
    if (inputs.length > 0) throw new MeteorError("E_USAGE", "Cannot put file: --plain takes no -r");
    query.set("plain", "true");
    return query;
  }
  const others = inputs.filter((r) => r !== "self");
  const { resolved } = await resolveRecipients(others, home);
  for (const input of inputs) {
    query.append(
      "recipient",
      input === "self" ? "self" : resolved[others.indexOf(input)].recipient,
    );
  }
  if (to !== undefined) {
    if (inputs.length === 0) query.append("recipient", "self");
    query.append("to", to);
  }
  return query;
}

/** Uploads FILE with `query` (a progress bar labelled `label`); resolves to the daemon's answer. */
async function upload(
  home: string,
  path: string,
  query: URLSearchParams,
  label: string,
): Promise<PutResult> {
  const input = await openInput(path);
  const bar = progress(label, input.size);
  input.onRead = (bytes) => bar.count(bytes);
  try {
    const client = await apiClientFor(home);
    const res = await client.stream("POST", `/v1/files?${query}`, input.stream());
    return await res.json() as PutResult;
  } finally {
    bar.end();
    input.close();
  }
}

/** `meteor put FILE [-r RECIPIENT ...] [--plain] [--json]`. */
export const putCommand: PluginCommand = {
  name: "put",
  summary: "Encrypt a file (to this node by default) and add and pin it on IPFS",
  help: `Usage: meteor put FILE [-r RECIPIENT ...] [--plain] [--home DIR] [--json]

Encrypts FILE with age (to this node unless -r names recipients, as
'meteor encrypt -r' takes them: self, age1pq1..., a contact, a MeteorID, an
identity document), adds it to IPFS through the running daemon, pins it and
prints its CID. --plain adds the bytes unencrypted. --json prints
{cid, size, stored, encrypted}.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      recipient: { type: "string", short: "r", multiple: true },
      plain: { type: "boolean", default: false },
    });
    const home = homeFrom(values);
    const path = one(positionals, "FILE");
    const result = await upload(
      home,
      path,
      await putQuery(home, values.plain, values.recipient ?? []),
      "put",
    );
    if (values.json) printJson(result);
    else console.log(result.cid);
    return 0;
  },
};

/** `meteor get CID [-o OUT] [--plain] [--force]`. */
export const getCommand: PluginCommand = {
  name: "get",
  summary: "Fetch a file from IPFS (here or from peers), verify, decrypt and write it",
  help: `Usage: meteor get CID [-o OUT] [--plain] [--force] [--home DIR]

Fetches CID through the running daemon (from this node or its peers), every
block checked against its CID, decrypts it with this node's key and writes it
to OUT (stdout by default). OUT appears only once all of it was verified; a
failure leaves no partial file. --plain writes the stored bytes as they are.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      output: { type: "string", short: "o" },
      plain: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
    });
    const home = homeFrom(values);
    const cid = one(positionals, "CID");
    const res = await (await apiClientFor(home)).stream(
      "GET",
      `/v1/files/${encodeURIComponent(cid)}${values.plain ? "?plain=true" : ""}`,
    );
    const bar = progress("get", null);
    try {
      const counted = res.body!.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bar.count(chunk.length);
            controller.enqueue(chunk);
          },
        }),
      );
      await writeOutput(fromStream(counted), values.output, values.force);
    } catch (err) {
      if (err instanceof MeteorError) throw err;
      throw new MeteorError(
        "E_IO",
        `Cannot get ${cid}: the transfer broke off (nothing was written)`,
      );
    } finally {
      bar.end();
    }
    return 0;
  },
};

/** `meteor pins [--json]`. */
export const pinsCommand: PluginCommand = {
  name: "pins",
  summary: "List the files pinned on this node's IPFS",
  help: `Usage: meteor pins [--home DIR] [--json]

Prints each pinned CID with its plaintext size and whether it is encrypted
(when this node put it).`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 0);
    const client = await apiClientFor(homeFrom(values));
    const { pins } = await client.request<
      { pins: { cid: string; size: number | null; encrypted: boolean | null }[] }
    >("GET", "/v1/pins");
    if (values.json) printJson({ pins });
    else {
      for (const p of pins) {
        const what = p.encrypted === null ? "" : p.encrypted ? "  encrypted" : "  plain";
        console.log(`${p.cid}${p.size === null ? "" : `  ${p.size} B`}${what}`);
      }
    }
    return 0;
  },
};

/** `meteor unpin CID`. */
export const unpinCommand: PluginCommand = {
  name: "unpin",
  summary: "Unpin a file (its blocks go at the next 'meteor gc')",
  help: "Usage: meteor unpin CID [--home DIR]",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    const cid = one(positionals, "CID");
    await (await apiClientFor(homeFrom(values))).request(
      "DELETE",
      `/v1/pins/${encodeURIComponent(cid)}`,
    );
    if (!values.json) console.log(`Unpinned ${cid}.`);
    return 0;
  },
};

/** `meteor gc`. */
export const gcCommand: PluginCommand = {
  name: "gc",
  summary: "Delete the IPFS blocks no pin holds",
  help: "Usage: meteor gc [--home DIR] [--json]",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 0);
    const result = await (await apiClientFor(homeFrom(values))).request<{ removed: number | null }>(
      "POST",
      "/v1/ipfs/gc",
    );
    if (values.json) printJson(result);
    else console.log(`Removed ${result.removed ?? "some"} blocks.`);
    return 0;
  },
};

/** `meteor send-file PEER FILE [--wait]`. */
export const sendFileCommand: PluginCommand = {
  name: "send-file",
  summary: "Send a file to a peer over IPFS, encrypted to it",
  help: `Usage: meteor send-file PEER FILE [--wait] [--home DIR] [--json]

Encrypts FILE to PEER (a contact name or MeteorID) and to this node, adds and
pins it, and sends its CID, name and size to PEER over the Meteor session,
durably (retried until PEER acknowledges). PEER fetches it by bitswap,
decrypts and saves it ('meteor files' there). --wait returns once PEER has
saved it.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      wait: { type: "boolean", default: false },
    });
    refuseExtraArguments(positionals, 2);
    if (positionals.length !== 2) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected PEER FILE");
    }
    const [peer, path] = positionals;
    const home = homeFrom(values);
    const added = await upload(home, path, await putQuery(home, false, [], peer), "send-file");
    const client = await apiClientFor(home);
    const sent = await client.request<{ id: string; to: string }>(
      "POST",
      `/v1/files/${added.cid}/send`,
      { to: peer, name: basename(path) },
    );
    let state: { delivered: boolean; error: string | null } | undefined;
    while (values.wait) {
      state = await client.request("GET", `/v1/files/sent/${sent.id}`);
      if (state!.delivered) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (state?.error) {
      throw new MeteorError("E_INTERNAL", `Cannot deliver file: ${peer} answered ${state.error}`);
    }
    if (values.json) {
      printJson({
        ...sent,
        cid: added.cid,
        size: added.size,
        delivered: state?.delivered ?? false,
      });
    } else {console.log(
        values.wait ? `Delivered ${added.cid} to ${peer}.` : `Sending ${added.cid} to ${peer}.`,
      );}
    return 0;
  },
};

/** `meteor files [--json]`. */
export const filesCommand: PluginCommand = {
  name: "files",
  summary: "List the files peers sent to this node",
  help: `Usage: meteor files [--home DIR] [--json]

Prints each received file: who sent it, its name, size, CID, and where it was
saved (or why it could not be).`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 0);
    const { files } = await (await apiClientFor(homeFrom(values))).request<
      {
        files: {
          cid: string;
          name: string;
          size: number;
          from: string;
          state: string;
          path: string | null;
          error: string | null;
        }[];
      }
    >("GET", "/v1/files");
    if (values.json) printJson({ files });
    else {for (const f of files) {
        console.log(
          `${f.from}  ${f.name}  ${f.size} B  ${f.cid}  ${f.path ?? f.state}${
            f.error ? ` (${f.error})` : ""
          }`,
        );
      }}
    return 0;
  },
};
