/**
 * `meteor selftest [--json] [--home DIR]`: runs the known-answer tests of
 * every primitive on this machine and reports each; exits non-zero when any
 * fails. The batch cipher path checked is the home's config `cipher.path`
 * (issue 4: "overridable in config, reported by meteor selftest").
 *
 * @module
 */
import { readConfigIfAny } from "./_config.ts";
import type { Command } from "./command.ts";
import { homeFrom, parseCommandArgs, printJson, refuseExtraArguments } from "./command.ts";
import type { CipherPath } from "../core/crypto/batch.ts";
import { MeteorError } from "../core/errors.ts";
import { homePaths } from "../core/home.ts";
import { DEFAULT_CHECKS, selftest, type SelftestCheck } from "../core/selftest.ts";
import { gpuSelftestChecks } from "../core/gpu/selftest.ts";

const HELP = `Usage: meteor selftest [--json] [--home DIR]

Runs known-answer tests of every cryptographic primitive Meteor uses, on this
machine: SHA-2/SHA-3/SHAKE, HMAC and HKDF (FIPS and RFC vectors),
ChaCha20-Poly1305 (RFC 8439), X25519 (RFC 7748) and Ed25519 (RFC 8032),
ML-KEM-768 and ML-DSA-65 (native WebCrypto against @noble/post-quantum),
X-Wing (the draft's vectors) and age's HPKE (a CCTV age vector); the WebGPU
batch cipher against RFC 8439 and the CPU ("skipped: no WebGPU adapter" where
there is none), and the batch path the node's config sets (cipher.path in
config.json of the home: --home, else METEOR_HOME, else ~/.meteor; "auto"
when there is no config), with the calibration timings behind "auto".
Each check is listed with its result and time. Nothing is written and no
network is used.

Options:
  --home DIR  the node home whose config.json gives cipher.path
  --json      print one JSON object: {"ok": bool, "config": path or null,
              "cipherPath", "results": [{"name", "ok", "ms", "detail"?, "error"?}]}
  -h, --help  show this help

Exit status: 0 when every check passes, 1 when any fails.

Examples:
  meteor selftest
  meteor selftest --json | jq '.results[] | select(.ok | not)'`;

/**
 * The config file of the home `--home` / METEOR_HOME / ~/.meteor names and
 * its `cipher.path`; no config (or no home at all) means "auto".
 *
 * @throws {MeteorError} E_BAD_CONFIG (or the read's code) for a config that cannot be used
 */
async function configuredPath(
  home: string | undefined,
): Promise<{ config: string | null; cipherPath: CipherPath }> {
  let path: string;
  try {
    path = homePaths(homeFrom({ home })).config;
  } catch (err) {
    if (err instanceof TypeError) return { config: null, cipherPath: "auto" }; // no home folder
    throw err;
  }
  const config = await readConfigIfAny(path);
  return { config: config ? path : null, cipherPath: config?.cipher.path ?? "auto" };
}

/**
 * Builds the `selftest` command over `checks`, followed by the checks
 * `pathChecks` gives for the configured cipher path (tests pass their own).
 */
export function selftestCommand(
  checks: readonly SelftestCheck[] = DEFAULT_CHECKS,
  pathChecks: (path: CipherPath) => readonly SelftestCheck[] = () => [],
): Command {
  return {
    name: "selftest",
    summary: "Run known-answer tests of every cryptographic primitive on this machine",
    help: HELP,
    async run(args: string[]): Promise<number> {
      const { values, positionals } = parseCommandArgs(args, {});
      refuseExtraArguments(positionals, 0);
      const { config, cipherPath } = await configuredPath(values.home);
      const report = await selftest([...checks, ...pathChecks(cipherPath)]);
      if (values.json) {
        printJson({ ok: report.ok, config, cipherPath, results: report.results });
        return report.ok ? 0 : 1;
      }
      console.log(
        config === null
          ? `config: none (cipher.path ${cipherPath})`
          : `config: ${config} (cipher.path ${cipherPath})`,
      );
      const width = Math.max(...report.results.map((r) => r.name.length));
      for (const r of report.results) {
        const status = r.ok ? "ok  " : "FAIL";
        const line = `${status}  ${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(7)} ms`;
        const note = r.ok ? r.detail : r.error;
        console.log(note ? `${line}  ${note}` : line);
      }
      const failed = report.results.filter((r) => !r.ok).length;
      if (failed > 0) {
        throw new MeteorError(
          "E_SELFTEST",
          `Cannot pass self-test: ${failed} of ${report.results.length} checks failed`,
        );
      }
      console.log(`all ${report.results.length} checks passed`);
      return 0;
    },
  };
}

/** `meteor selftest` over the default checks and the GPU checks of the configured path. */
export const command: Command = selftestCommand(DEFAULT_CHECKS, gpuSelftestChecks);
