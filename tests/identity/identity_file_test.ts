import assert from "node:assert/strict";
import { identityIn } from "../../cli/_identity_file.ts";
import { utf8 } from "../../core/bytes.ts";

const DOC = "meteor-doc:TVRSRAE=";
const ID = "meteor1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqsp9ayn";

Deno.test("identityIn() finds the identity in every form an identity file takes", () => {
  const cases: [string, string, string][] = [
    ["bare document", `${DOC}\n`, DOC],
    ["wrapped document", `meteor-doc:TVRS\n  RAE=\n`, "meteor-doc:TVRS\n  RAE="],
    [
      "meteor id text output",
      `MeteorID   ${ID}\nPeerId     12D3Koo\nRecipient  age1pq1x\n` +
      `Document   (valid until 2026-12-25T00:00:00.000Z)\n${DOC}\n`,
      DOC,
    ],
    ["meteor id --json", JSON.stringify({ meteorId: ID, document: DOC }) + "\n", DOC],
    ["a MeteorID", ` ${ID}\n`, ID],
    ["JSON without a document", '{"meteorId": "x"}', '{"meteorId": "x"}'],
    ["not JSON", "{ nope", "{ nope"],
    ["empty", "", ""],
  ];
  for (const [name, contents, expected] of cases) {
    assert.equal(identityIn(utf8(contents)), expected, name);
  }
});

Deno.test("identityIn() returns a binary document as its bytes", () => {
  for (const bytes of [utf8("MTRD"), new Uint8Array([0x4d, 0x54, 0x52, 0x44, 0xff, 0])]) {
    assert.equal(identityIn(bytes), bytes);
  }
  // Three of the four magic bytes are text.
  assert.equal(identityIn(utf8("MTR")), "MTR");
});
