import assert from "node:assert/strict";
import { armor, armorDecoder, armorEncoder, dearmor } from "../../core/age/armor.ts";
import { readAll } from "../../core/age/_io.ts";
import { fromUtf8, toBase64, utf8 } from "../../core/bytes.ts";
import { isMeteorError } from "../../core/errors.ts";
import { randomBytes } from "../crypto/_random.ts";

const SIZES = [0, 1, 47, 48, 49, 95, 96, 97, 5000];
const isArmorError = (e: unknown) => isMeteorError(e, "E_ARMOR_INVALID");

/** A stream handing out `bytes` in pieces of `size`. */
function pieces(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

Deno.test("armor() writes strict PEM: BEGIN, 64-column padded base64 lines, END", () => {
  const data = randomBytes(100);
  const lines = armor(data).split("\n");
  assert.equal(lines[0], "-----BEGIN AGE ENCRYPTED FILE-----");
  assert.deepEqual(lines.slice(1, -2).map((l) => l.length), [64, 64, 8]);
  assert.equal(lines.slice(1, -2).join(""), toBase64(data));
  assert.equal(lines.at(-2), "-----END AGE ENCRYPTED FILE-----");
  assert.equal(lines.at(-1), "");
  assert.equal(
    armor(new Uint8Array(0)),
    "-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n",
  );
});

Deno.test("dearmor() inverts armor() for sizes around the 48-byte line", () => {
  for (const size of SIZES) {
    const data = randomBytes(size);
    assert.deepEqual(dearmor(armor(data)), data, `size ${size}`);
    assert.deepEqual(dearmor(armor(data).replaceAll("\n", "\r\n")), data, `CRLF size ${size}`);
  }
});

Deno.test("armorEncoder() and armorDecoder() agree with armor() for any piece size", async () => {
  for (const size of SIZES) {
    const data = randomBytes(size);
    for (const piece of [1, 7, 48, 1000]) {
      const armored = await readAll(pieces(data, piece).pipeThrough(armorEncoder()));
      assert.equal(fromUtf8(armored), armor(data));
      const decoded = await readAll(pieces(armored, piece).pipeThrough(armorDecoder()));
      assert.deepEqual(decoded, data, `size ${size} piece ${piece}`);
      const crlf = utf8(armor(data).replaceAll("\n", "\r\n"));
      const fromCrlf = await readAll(pieces(crlf, piece).pipeThrough(armorDecoder()));
      assert.deepEqual(fromCrlf, data, `CRLF size ${size} piece ${piece}`);
    }
  }
});

const BODY = armor(randomBytes(100)).split("\n").slice(1, -2);
const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";
const wrap = (lines: string[]) => [BEGIN, ...lines, END, ""].join("\n");

const MALFORMED: [string, string][] = [
  ["", "empty"],
  ["   \n", "only whitespace"],
  [BODY.join("\n"), "no BEGIN line"],
  [[BEGIN, ...BODY].join("\n"), "no END line"],
  [wrap([...BODY.slice(0, 2), "", BODY[2]]), "blank line"],
  [wrap([BODY[0] + " ", ...BODY.slice(1)]), "trailing space"],
  [wrap([" " + BODY[0], ...BODY.slice(1)]), "leading space"],
  [wrap([BODY[0].slice(0, 60), BODY[0].slice(60) + BODY[1], BODY[2]]), "short line in the middle"],
  [wrap([BODY[0] + BODY[1], BODY[2]]), "long line"],
  [wrap([...BODY.slice(0, 2), BODY[2].replace(/=*$/, "")]), "missing padding"],
  [wrap([...BODY, "===="]), "extra line after padding"],
  [wrap(["Version: 1", "", ...BODY]), "PEM header"],
  [wrap([BODY[0].replace(/^./, "*"), ...BODY.slice(1)]), "invalid character"],
  [wrap(BODY) + "garbage\n", "trailing garbage"],
  ["garbage\n" + wrap(BODY), "leading garbage"],
  [" ".repeat(1025) + wrap(BODY), "too much leading whitespace"],
  [wrap(BODY) + " ".repeat(1025), "too much trailing whitespace"],
  [wrap(BODY).replace("BEGIN AGE", "BEGIN age"), "lower-case label"],
  [wrap(BODY).replace(BEGIN, "-----BEGIN AGE ENCRYPTED FILE-----\u00e9"), "non-ASCII"],
];

Deno.test("dearmor() and armorDecoder() reject malformed armor with E_ARMOR_INVALID", async () => {
  for (const [text, why] of MALFORMED) {
    assert.throws(() => dearmor(text), isArmorError, why);
    await assert.rejects(
      readAll(pieces(utf8(text), 5).pipeThrough(armorDecoder())),
      isArmorError,
      why,
    );
  }
});

Deno.test("dearmor() accepts whitespace around the block and a missing final line end", () => {
  const data = randomBytes(100);
  const text = armor(data);
  assert.deepEqual(dearmor(" \t\r\n" + text + "\r\n \t"), data);
  assert.deepEqual(dearmor(text.trimEnd()), data);
});

Deno.test("armorDecoder() stops at an endless line without buffering it", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(utf8(pulled === 1 ? BEGIN + "\n" : "A".repeat(4096)));
    },
  });
  await assert.rejects(readAll(endless.pipeThrough(armorDecoder())), isArmorError);
  assert.ok(pulled < 10, `pulled ${pulled} pieces`);
});
