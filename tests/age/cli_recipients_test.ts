import assert from "node:assert/strict";
import { resolveRecipients } from "../../cli/_recipients.ts";
import { setUpHome } from "../../cli/init.ts";
import { homePaths } from "../../core/home.ts";
import {
  createDocument,
  deriveKeys,
  encodeDocument,
  formatMeteorId,
  type IdentityDocument,
  wipeNodeKeys,
} from "../../core/identity/mod.ts";
import { openStore } from "../../core/store/mod.ts";
import { withTempHome } from "../_cli.ts";

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
