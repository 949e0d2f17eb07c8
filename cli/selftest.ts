/**
 * `meteor selftest [--json]`: runs the known-answer tests of every primitive
 * on this machine and reports each; exits non-zero when any fails.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { parseCommandArgs, printJson, refuseExtraArguments } from "./command.ts";
import { MeteorError } from "../core/errors.ts";
import { DEFAULT_CHECKS, selftest, type SelftestCheck } from "../core/selftest.ts";
import { gpuSelftestChecks } from "../core/gpu/selftest.ts";

const HELP = `Usage: meteor selftest [--json]

Runs known-answer tests of every cryptographic primitive Meteor uses, on this
machine: SHA-2/SHA-3/SHAKE, HMAC and HKDF (FIPS and RFC vectors),
ChaCha20-Poly1305 (RFC 8439), X25519 (RFC 7748) and Ed25519 (RFC 8032),
ML-KEM-768 and ML-DSA-65 (native WebCrypto against @noble/post-quantum),
X-Wing (the draft's vectors) and age's HPKE (a CCTV age vector); the WebGPU
batch cipher against RFC 8439 and the CPU ("skipped: no WebGPU adapter" where
there is none), and the batch path "auto" calibration picks, with its timings.
Each check is listed with its result and time. Nothing is written and no
network is used.

Options:
  --json      print one JSON object:
              {"ok": bool, "results": [{"name", "ok", "ms", "detail"?, "error"?}]}
  -h, --help  show this help

Exit status: 0 when every check passes, 1 when any fails.

Examples:
  meteor selftest
  meteor selftest --json | jq '.results[] | select(.ok | not)'`;

/** Builds the `selftest` command over `checks` (tests pass their own). */
export function selftestCommand(checks: readonly SelftestCheck[] = DEFAULT_CHECKS): Command {
  return {
    name: "selftest",
    summary: "Run known-answer tests of every cryptographic primitive on this machine",
    help: HELP,
    async run(args: string[]): Promise<number> {
      const { values, positionals } = parseCommandArgs(args, {});
      refuseExtraArguments(positionals, 0);
      const report = await selftest(checks);
      if (values.json) {
        printJson(report);
        return report.ok ? 0 : 1;
      }
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

/** `meteor selftest` over the default checks. */
export const command: Command = selftestCommand([...DEFAULT_CHECKS, ...gpuSelftestChecks()]);
