/**
 * `pluginConfig.ipfs` (docs/config.md §ipfs): which backend, and the bounds
 * of uploads, fetches and transfers.
 *
 * @module
 */
import { MeteorError } from "../../core/errors.ts";

/** The IPFS plugin's config. */
export interface IpfsConfig {
  /** A Kubo RPC API URL (`http://127.0.0.1:5001`): use Kubo instead of the embedded Helia. */
  kubo?: string;
  /** How long a fetch may wait for the next block before E_TIMEOUT, in ms; default 60000. */
  fetchTimeoutMs: number;
  /** The largest upload POST /v1/files takes, in bytes; default 64 GiB. */
  maxUploadBytes: number;
  /** The first retry period of the send-file outbox and received-file fetches, in ms; default 1000. */
  retryMs: number;
  /** Where received files are saved; default `<home>/plugins/ipfs/received`. */
  saveDir?: string;
}

/** The defaults. */
export const DEFAULT_IPFS_CONFIG: Readonly<IpfsConfig> = Object.freeze({
  fetchTimeoutMs: 60_000,
  maxUploadBytes: 64 * 1024 ** 3,
  retryMs: 1_000,
});

const KEYS = new Set(["kubo", "fetchTimeoutMs", "maxUploadBytes", "retryMs", "saveDir"]);

function bad(key: string, expected: string): MeteorError {
  return new MeteorError(
    "E_BAD_CONFIG",
    `Cannot load config: "pluginConfig.ipfs${key}" must be ${expected}`,
  );
}

function positive(raw: Record<string, unknown>, key: keyof IpfsConfig): number {
  const value = raw[key] ?? DEFAULT_IPFS_CONFIG[key];
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw bad(`.${key}`, "a positive integer");
  }
  return value as number;
}

/** Validates `pluginConfig.ipfs` (absent: the defaults). */
export function parseIpfsConfig(raw: unknown): IpfsConfig {
  if (raw === undefined) return { ...DEFAULT_IPFS_CONFIG };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("", "an object");
  const section = raw as Record<string, unknown>;
  const unknown = Object.keys(section).find((k) => !KEYS.has(k));
  if (unknown !== undefined) throw bad(`.${unknown}`, "absent (unknown key)");
  const { kubo, saveDir } = section;
  if (kubo !== undefined && (typeof kubo !== "string" || !/^https?:\/\/[^/]+/.test(kubo))) {
    throw bad(".kubo", "an http:// or https:// URL of a Kubo RPC API");
  }
  if (saveDir !== undefined && (typeof saveDir !== "string" || saveDir === "")) {
    throw bad(".saveDir", "a folder path");
  }
  return {
    ...(kubo === undefined ? {} : { kubo: kubo as string }),
    ...(saveDir === undefined ? {} : { saveDir: saveDir as string }),
    fetchTimeoutMs: positive(section, "fetchTimeoutMs"),
    maxUploadBytes: positive(section, "maxUploadBytes"),
    retryMs: positive(section, "retryMs"),
  };
}
