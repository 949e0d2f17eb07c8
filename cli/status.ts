/**
 * `meteor status`: what the running daemon of a home reports about itself
 * (GET /v1/id and GET /v1/stats, docs/api.md): its MeteorID, uptime, peers,
 * message totals, plugins, and which batch cipher engine it uses and why.
 *
 * @module
 */
import { apiClientFor } from "./_api.ts";
import {
  type Command,
  homeFrom,
  parseCommandArgs,
  printJson,
  refuseExtraArguments,
} from "./command.ts";

/** The parts of GET /v1/stats that `meteor status` prints. */
export interface Stats {
  uptimeMs: number;
  peers: number;
  totals: Record<string, number>;
  plugins: Record<string, { version: string }>;
  cipher?: { path: string | null; engine: string; reason: string; calibrating: boolean };
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The lines `meteor status` prints for `id` and `stats`. */
export function describeStatus(id: { meteorId: string; peerId: string }, stats: Stats): string[] {
  const totals = Object.entries(stats.totals).map(([k, v]) => `${k} ${v}`).join(", ");
  const plugins = Object.entries(stats.plugins).map(([name, p]) => `${name} ${p.version}`);
  const cipher = stats.cipher;
  return [
    `MeteorID: ${id.meteorId}`,
    `PeerId:   ${id.peerId}`,
    `Uptime:   ${duration(stats.uptimeMs)}`,
    `Peers:    ${stats.peers} connected`,
    `Totals:   ${totals === "" ? "none" : totals}`,
    `Plugins:  ${plugins.length === 0 ? "none" : plugins.join(", ")}`,
    cipher === undefined
      ? "Cipher:   not reported by this daemon"
      : `Cipher:   ${cipher.engine}${cipher.calibrating ? " (calibrating)" : ""} ` +
        `(cipher.path ${cipher.path ?? "n/a"}): ${cipher.reason}`,
  ];
}

/** `meteor status`. */
export const statusCommand: Command = {
  name: "status",
  summary: "Show the running daemon's status, including its cipher engine",
  help: `Usage: meteor status [--json] [--home DIR]

Asks the running daemon of the home for its status: MeteorID and PeerId,
uptime, connected peers, message totals, running plugins, and the batch
cipher engine in use ("cpu", "webgpu", or "mixed": WebGPU for the batch
sizes its calibration found faster) with the reason (config cipher.path,
docs/config.md). Fails with E_UNREACHABLE when no daemon runs.

Options:
  --json       print {"id": GET /v1/id, "stats": GET /v1/stats} as JSON
  --home DIR   the node home (default $METEOR_HOME or ~/.meteor)`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    refuseExtraArguments(positionals, 0);
    const client = await apiClientFor(homeFrom(values));
    const id = await client.request<{ meteorId: string; peerId: string }>("GET", "/v1/id");
    const stats = await client.request<Stats>("GET", "/v1/stats");
    if (values.json) printJson({ id, stats });
    else console.log(describeStatus(id, stats).join("\n"));
    return 0;
  },
};
