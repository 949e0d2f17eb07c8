import assert from "node:assert/strict";
import { hpkeOpen, xwingDecapsulate } from "../../core/crypto/mod.ts";
import { type ErrorCode, isMeteorError } from "../../core/errors.ts";
import { deriveKeys } from "../../core/identity/mod.ts";
import type { Decryptor } from "../../core/plugin.ts";
import { openDatabase } from "../../core/store/mod.ts";
import {
  checkTopicName,
  GROUP_TOPIC_PREFIX,
  groupTopic,
  openGrant,
  sealGrant,
} from "../../plugins/pubsub/group.ts";
import { MIGRATIONS, PubSubStore } from "../../plugins/pubsub/store.ts";

const member = await deriveKeys(new Uint8Array(32).fill(5));
const stranger = await deriveKeys(new Uint8Array(32).fill(6));
const decryptorOf = (seed: Uint8Array): Decryptor => ({
  decapsulate: (ciphertext) => xwingDecapsulate(seed, ciphertext),
  open: (enc, info, aad, ciphertext) => hpkeOpen(seed, enc, info, aad, ciphertext),
});
const ID = Uint8Array.from({ length: 16 }, (_, i) => i);
const KEY = new Uint8Array(32).fill(9);

Deno.test("sealGrant() and openGrant() carry a topic's name, ID, epoch and key to its member", async () => {
  for (const topic of ["t", "team", "é".repeat(127)]) {
    const grant = await sealGrant(member.publicKeys.xwing, { topic, id: ID, epoch: 3, key: KEY });
    const opened = await openGrant(decryptorOf(member.seeds.xwing), grant);
    assert.deepEqual(opened, { topic, id: ID, epoch: 3, key: KEY });
  }
});

Deno.test("openGrant() rejects a changed, truncated, old-version or misdirected grant", async () => {
  const grant = await sealGrant(member.publicKeys.xwing, {
    topic: "team",
    id: ID,
    epoch: 1,
    key: KEY,
  });
  const flip = (at: number) => grant.map((b, i) => i === at ? b ^ 1 : b);
  const version1 = grant.slice();
  version1[4] = 1;
  const cases: [string, Uint8Array, Decryptor, ErrorCode][] = [
    ["group ID changed", flip(5), decryptorOf(member.seeds.xwing), "E_DECRYPT_FAILED"],
    [
      "epoch changed",
      flip(4 + 1 + 16 + 2 + 4),
      decryptorOf(member.seeds.xwing),
      "E_DECRYPT_FAILED",
    ],
    [
      "sealed key changed",
      flip(grant.length - 1),
      decryptorOf(member.seeds.xwing),
      "E_DECRYPT_FAILED",
    ],
    ["another member's", grant, decryptorOf(stranger.seeds.xwing), "E_DECRYPT_FAILED"],
    ["version 1", version1, decryptorOf(member.seeds.xwing), "E_MALFORMED"],
    ["one byte short", grant.subarray(1), decryptorOf(member.seeds.xwing), "E_MALFORMED"],
    [
      "one byte long",
      new Uint8Array([...grant, 0]),
      decryptorOf(member.seeds.xwing),
      "E_MALFORMED",
    ],
    ["empty", new Uint8Array(0), decryptorOf(member.seeds.xwing), "E_MALFORMED"],
  ];
  for (const [name, bytes, decryptor, code] of cases) {
    await assert.rejects(openGrant(decryptor, bytes), (err) => isMeteorError(err, code), name);
  }
});

Deno.test("groupTopic() hides the name: the prefix and the 16-byte ID in hex", () => {
  assert.equal(groupTopic(ID), `${GROUP_TOPIC_PREFIX}000102030405060708090a0b0c0d0e0f`);
  for (const n of [0, 15, 17]) assert.throws(() => groupTopic(new Uint8Array(n)), RangeError);
});

Deno.test("checkTopicName() refuses names a private topic's gossipsub topic could have", () => {
  for (const name of ["team", "meteor-group", "meteor-group-x/1", "x/meteor-group/1"]) {
    assert.equal(checkTopicName(name), name);
  }
  for (const name of [groupTopic(ID), GROUP_TOPIC_PREFIX, "", "a\nb", "x".repeat(256)]) {
    assert.throws(() => checkTopicName(name), (err) => isMeteorError(err, "E_MALFORMED"), name);
  }
});

Deno.test("the store's migration 2 gives each private topic made before it a random ID", () => {
  const path = Deno.makeTempFileSync({ suffix: ".db" });
  try {
    const old = openDatabase(path, { migrations: MIGRATIONS.slice(0, 1) });
    old.prepare("INSERT INTO groups VALUES (?, ?, ?)").run("a", new Uint8Array(32), 1);
    old.prepare("INSERT INTO groups VALUES (?, ?, ?)").run("b", new Uint8Array(32), 2);
    old.close();
    const store = new PubSubStore(openDatabase(path, { migrations: MIGRATIONS }));
    const [a, b] = store.groups();
    assert.deepEqual([a.topic, a.id.length, b.topic, b.id.length], ["a", 16, "b", 16]);
    assert.notDeepEqual(a.id, b.id);
    assert.equal(store.groupById(b.id)?.topic, "b");
    assert.equal(store.groupById(new Uint8Array(16)), undefined);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("PubSubStore.putKey() records the owner's ID for a topic, replacing an older one", () => {
  const store = new PubSubStore(openDatabase(":memory:", { migrations: MIGRATIONS }));
  const owner = new Uint8Array(32).fill(1);
  store.putKey("team", ID, owner, 1, KEY);
  const other = ID.map((b) => b ^ 0xff);
  store.putKey("team", other, owner, 2, KEY);
  assert.deepEqual(store.group("team")?.id, other);
  assert.equal(store.group("team")?.epoch, 2);
  assert.equal(store.groupById(ID), undefined);
  assert.throws(() => store.putKey("other", other, owner, 1, KEY), "two topics never share an ID");
});
