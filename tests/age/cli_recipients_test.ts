import assert from "node:assert/strict";
import { resolveRecipients } from "../../cli/_recipients.ts";
import { setUpHome } from "../../cli/init.ts";
import { fromBase64 } from "../../core/bytes.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  deriveKeys,
  DOCUMENT_TEXT_PREFIX,
  encodeDocument,
  formatMeteorId,
  type IdentityDocument,
  wipeNodeKeys,
} from "../../core/identity/mod.ts";
import { openStore } from "../../core/store/mod.ts";
import { meteor, withTempHome } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";

/** Sets up `home` and stores another node's verified document as its contact "bob". */
async function homeWithBob(home: string): Promise<IdentityDocument> {
  await setUpHome(home, new Uint8Array(32).fill(1));
  const keys = await deriveKeys(new Uint8Array(32).fill(2));
  let bob: IdentityDocument;
  try {
    bob = await createDocument(keys);
  } finally {
    wipeNodeKeys(keys);
  }
  const store = openStore(homePaths(home).state);
  try {
    store.contacts.add({ name: "bob", meteorId: bob.meteorId, document: encodeDocument(bob) });
  } finally {
    store.close();
  }
  return bob;
}

Deno.test("resolveRecipients() finds a contact by its MeteorID in either case", () =>
  withTempHome(async (home) => {
    const bob = await homeWithBob(home);
    const id = formatMeteorId(bob.meteorId);
    for (const input of [id, id.toUpperCase()]) {
      const { resolved } = await resolveRecipients([input], home);
      assert.equal(resolved[0].kind, "contact", input);
      assert.equal(resolved[0].meteorId, id, input);
    }
  }));

Deno.test("resolveRecipients() reads the document in what meteor id and meteor id --json print", () =>
  withTempDir(async (dir) => {
    const [alice, bob] = [`${dir}/alice`, `${dir}/bob`];
    await setUpHome(alice, new Uint8Array(32).fill(1));
    await setUpHome(bob, new Uint8Array(32).fill(2));
    const text = await meteor("id", "--home", bob);
    const json = await meteor("id", "--home", bob, "--json");
    assert.deepEqual([text.code, json.code], [0, 0]);
    const bobId = JSON.parse(json.stdout).meteorId;
    const document = JSON.parse(json.stdout).document;
    const files: [string, string | Uint8Array][] = [
      ["id.txt", text.stdout + "\n"], // meteor id > id.txt
      ["id.json", json.stdout + "\n"], // meteor id --json > id.json
      ["doc.txt", document],
      [
        "doc.bin",
        fromBase64(document.slice(DOCUMENT_TEXT_PREFIX.length)),
      ],
    ];
    for (const [name, contents] of files) {
      const path = `${dir}/${name}`;
      if (typeof contents === "string") await Deno.writeTextFile(path, contents);
      else await Deno.writeFile(path, contents);
      const { resolved } = await resolveRecipients([path], alice);
      assert.deepEqual([resolved[0].kind, resolved[0].meteorId], ["document", bobId], name);
    }
  }));
