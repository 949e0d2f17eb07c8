/**
 * No secret in errors: a seed or an age secret key that a user puts in the
 * wrong place (a split or misplaced argument, a key given where a file name
 * is expected, a near-miss seed) never comes back in an error message, which
 * may end up in a terminal log or a CI transcript.
 */
import { decryptCommand } from "../../cli/decrypt.ts";
import { resolveRecipients } from "../../cli/_recipients.ts";
import { parseSeedHex, seedExportCommand, seedImportCommand } from "../../cli/seed.ts";
import { HybridIdentity } from "../../core/age/mod.ts";
import { toHex } from "../../core/bytes.ts";
import { assertNoSecret, expectCode } from "./_fuzz.ts";
import { Prng } from "./_prng.ts";

const SEED = toHex(new Prng("secrets seed").bytes(32));
const AGE_KEY = new HybridIdentity(new Prng("secrets key").bytes(32)).toString();
/** Every half and the whole of each secret: a leaked half is a leaked secret. */
const SECRETS = [SEED, SEED.slice(0, 32), SEED.slice(32), AGE_KEY, AGE_KEY.slice(20, 60)];

Deno.test("parseSeedHex() never echoes a near-miss seed", async () => {
  const prng = new Prng("secrets near misses");
  const inputs = [
    SEED.slice(1),
    SEED + "0",
    SEED.slice(0, 40) + "g" + SEED.slice(41),
    `${SEED.slice(0, 32)} ${SEED.slice(32)}`,
    `0x${SEED}`,
  ];
  for (let i = 0; i < 30; i++) {
    const at = prng.int(64);
    inputs.push(SEED.slice(0, at) + prng.pick(["z", " ", "-", "\u00e9"]) + SEED.slice(at + 1));
  }
  for (const text of inputs) {
    const err = await expectCode(() => parseSeedHex(text), ["E_MALFORMED"], "near miss");
    assertNoSecret(err, SECRETS, `parseSeedHex(${text.length} chars)`);
  }
});

// Regression: usage errors, -i and -r once quoted a seed or key given in the wrong place.
Deno.test(
  "seed and decrypt commands never echo a seed or secret key given in the wrong place",
  async () => {
    const home = await Deno.makeTempDir({ prefix: "meteor-fuzz-secrets-" });
    try {
      const cases: [string, () => Promise<unknown>][] = [
        ["seed export SEED", () => seedExportCommand.run([SEED, "--home", home])],
        [
          "seed import HALF HALF",
          () => seedImportCommand.run([SEED.slice(0, 32), SEED.slice(32), "--home", home]),
        ],
        ["seed import --SEED", () => seedImportCommand.run([`--${SEED}`, "--home", home])],
        ["decrypt -i KEY", () => decryptCommand.run(["-i", AGE_KEY, "--home", home])],
        ["decrypt IN KEY", () => decryptCommand.run(["in.age", AGE_KEY, "--home", home])],
        ["encrypt -r KEY", () => resolveRecipients([AGE_KEY], home)],
      ];
      for (const [name, run] of cases) {
        const err = await expectCode(run, [
          "E_USAGE",
          "E_NOT_FOUND",
          "E_IO",
          "E_MALFORMED",
          "E_BAD_RECIPIENT",
        ], name);
        assertNoSecret(err, SECRETS, name);
      }
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);
