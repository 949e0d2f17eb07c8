/**
 * Helpers of the IPFS daemon tests: daemons with the ipfs plugin, and the
 * file routes as calls.
 *
 * @module
 */
import ipfs from "../../plugins/ipfs/mod.ts";
import { type DaemonSpec, daemonSpec, type TestDaemon } from "../p2p/_daemon.ts";

/** A spec of a daemon running the ipfs plugin with `config` (pluginConfig.ipfs). */
export async function ipfsSpec(
  seed: number,
  config: Record<string, unknown> = {},
): Promise<DaemonSpec> {
  return {
    ...await daemonSpec(seed),
    plugins: () => [ipfs()],
    pluginConfig: { ipfs: { fetchTimeoutMs: 3_000, retryMs: 200, ...config } },
  };
}

/** POST /v1/files with `bytes` and `query`; the parsed answer and status. */
export async function put(
  d: TestDaemon,
  bytes: Uint8Array,
  query = "",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await d.api(`/v1/files${query}`, {
    method: "POST",
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream" },
  });
  return { status: res.status, body: await res.json() };
}

/** GET /v1/files/{cid}: the status, and the bytes or the error body. */
export async function get(
  d: TestDaemon,
  cid: string,
  query = "",
): Promise<{ status: number; bytes: Uint8Array; error?: { code: string } }> {
  const res = await d.api(`/v1/files/${cid}${query}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.ok) return { status: res.status, bytes };
  return { status: res.status, bytes, error: JSON.parse(new TextDecoder().decode(bytes)).error };
}

/** Deterministic bytes with no repeated chunk (xorshift32 from `seed`). */
export function content(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
