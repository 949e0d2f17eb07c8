import assert from "node:assert/strict";
import { isMeteorError, type MeteorError } from "../../core/errors.ts";
import type { Plugin, PluginContext } from "../../core/plugin.ts";
import { orderPlugins, PluginRegistry } from "../../core/registry.ts";
import { hybridVerify } from "../../core/crypto/sign.ts";
import { statusOf } from "../../server/_errors.ts";
import { fakePlugin, testHost, testKeys } from "./_helpers.ts";

function names(plugins: readonly Plugin[]): string[] {
  return plugins.map((p) => p.name);
}

function assertPluginError(err: unknown, code: string, ...mentions: string[]): true {
  assert.ok(isMeteorError(err), `expected a MeteorError, got ${err}`);
  assert.equal((err as MeteorError).code, code);
  for (const m of mentions) assert.match((err as Error).message, new RegExp(`"${m}"`));
  return true;
}

Deno.test("orderPlugins() puts each plugin after its needs and keeps the given order otherwise", () => {
  const cases: { plugins: Plugin[]; expected: string[] }[] = [
    { plugins: [], expected: [] },
    { plugins: [fakePlugin("a")], expected: ["a"] },
    { plugins: [fakePlugin("b"), fakePlugin("a")], expected: ["b", "a"] },
    { plugins: [fakePlugin("b", { needs: ["a"] }), fakePlugin("a")], expected: ["a", "b"] },
    {
      plugins: [
        fakePlugin("d", { needs: ["b", "c"] }),
        fakePlugin("c", { needs: ["a"] }),
        fakePlugin("b", { needs: ["a"] }),
        fakePlugin("a"),
      ],
      expected: ["a", "b", "c", "d"],
    },
    {
      plugins: [
        fakePlugin("chat", { needs: ["transport"] }),
        fakePlugin("p2p", { provides: ["transport"] }),
      ],
      expected: ["p2p", "chat"],
    },
  ];
  for (const { plugins, expected } of cases) {
    assert.deepEqual(names(orderPlugins(plugins)), expected);
  }
});

Deno.test("orderPlugins() refuses duplicates, missing needs, cycles and ambiguous provides, naming them", () => {
  const cases: { plugins: Plugin[]; mentions: string[] }[] = [
    { plugins: [fakePlugin("a"), fakePlugin("a")], mentions: ["a"] },
    { plugins: [fakePlugin("a", { needs: ["ghost"] })], mentions: ["a", "ghost"] },
    { plugins: [fakePlugin("a", { needs: ["a"] })], mentions: ["a"] },
    {
      plugins: [fakePlugin("a", { needs: ["b"] }), fakePlugin("b", { needs: ["a"] })],
      mentions: ["a", "b"],
    },
    {
      plugins: [
        fakePlugin("x"),
        fakePlugin("a", { needs: ["c"] }),
        fakePlugin("b", { needs: ["a"] }),
        fakePlugin("c", { needs: ["b"] }),
      ],
      mentions: ["a", "b", "c"],
    },
    {
      plugins: [fakePlugin("a", { provides: ["t"] }), fakePlugin("b", { provides: ["t"] })],
      mentions: ["t", "a", "b"],
    },
    { plugins: [fakePlugin("a", { provides: ["b"] }), fakePlugin("b")], mentions: ["b", "a"] },
  ];
  for (const { plugins, mentions } of cases) {
    assert.throws(
      () => orderPlugins(plugins),
      (err) => assertPluginError(err, "E_PLUGIN", ...mentions),
    );
  }
});

Deno.test("orderPlugins() refuses a malformed plugin shape", () => {
  const good = fakePlugin("ok");
  const bad: unknown[] = [
    null,
    { ...good, name: "Bad Name" },
    { ...good, name: "" },
    { ...good, name: "a".repeat(33) },
    { ...good, version: "" },
    { ...good, needs: "a" },
    { ...good, needs: [1] },
    { ...good, provides: ["No"] },
    { ...good, configSchema: {} },
    { ...good, start: undefined },
  ];
  for (const plugin of bad) {
    assert.throws(
      () => orderPlugins([plugin as Plugin]),
      (err) => assertPluginError(err, "E_PLUGIN"),
    );
  }
  assert.deepEqual(names(orderPlugins([{ ...good, name: "a".repeat(32) }])), ["a".repeat(32)]);
});

Deno.test("PluginRegistry.start() starts in need order and stop() stops in reverse", async () => {
  const host = await testHost();
  const log: string[] = [];
  try {
    const registry = new PluginRegistry([
      fakePlugin("c", { needs: ["b"], log }),
      fakePlugin("b", { needs: ["a"], log }),
      fakePlugin("a", { log }),
    ]);
    await registry.start(host);
    assert.deepEqual(names(registry.running.map((r) => r.plugin)), ["a", "b", "c"]);
    await registry.stop();
    await registry.stop();
    assert.deepEqual(log, ["start:a", "start:b", "start:c", "stop:c", "stop:b", "stop:a"]);
    assert.equal(registry.running.length, 0);
    await assert.rejects(registry.start(host), (err) => assertPluginError(err, "E_PLUGIN"));
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry.start() rolls back the started plugins and names the one that failed", async () => {
  const host = await testHost();
  const log: string[] = [];
  const boom = new Error("port in use");
  try {
    const registry = new PluginRegistry([
      fakePlugin("a", { log }),
      fakePlugin("b", { log, needs: ["a"] }),
      fakePlugin("c", { log, needs: ["b"], failStart: boom }),
      fakePlugin("d", { log, needs: ["c"] }),
    ]);
    await assert.rejects(registry.start(host), (err) => {
      assertPluginError(err, "E_PLUGIN", "c");
      assert.match((err as Error).message, /port in use/);
      assert.equal((err as Error).cause, boom);
      return true;
    });
    assert.deepEqual(log, ["start:a", "start:b", "stop:b", "stop:a"]);
    assert.equal(registry.running.length, 0);
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry.start() refuses an instance without stop() and rolls back", async () => {
  const host = await testHost();
  const log: string[] = [];
  try {
    const broken: Plugin = { ...fakePlugin("b"), start: () => Promise.resolve({} as never) };
    const registry = new PluginRegistry([fakePlugin("a", { log }), broken]);
    await assert.rejects(registry.start(host), (err) => assertPluginError(err, "E_PLUGIN", "b"));
    assert.deepEqual(log, ["start:a", "stop:a"]);
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry.start() validates every config before starting any plugin", async () => {
  const host = await testHost({ a: { ok: true }, b: { port: "x" } });
  const log: string[] = [];
  const seen: unknown[] = [];
  try {
    const registry = new PluginRegistry([
      fakePlugin("a", { log, validate: (raw) => (seen.push(raw), raw) }),
      fakePlugin("b", {
        log,
        validate: () => {
          throw new TypeError("port must be a number");
        },
      }),
    ]);
    await assert.rejects(registry.start(host), (err) => {
      assertPluginError(err, "E_BAD_CONFIG", "b");
      assert.match((err as Error).message, /port must be a number/);
      return true;
    });
    assert.deepEqual(seen, [{ ok: true }]);
    assert.deepEqual(log, []);
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry gives each plugin only the apis it declared, in a frozen context", async () => {
  const host = await testHost({ c: { level: 3 } });
  const contexts = new Map<string, PluginContext>();
  const keep = (context: PluginContext) => contexts.set(context.name, context);
  try {
    const registry = new PluginRegistry([
      fakePlugin("a", { onContext: keep }),
      fakePlugin("b", { onContext: keep, provides: ["transport"] }),
      fakePlugin("c", { onContext: keep, needs: ["transport"] }),
      fakePlugin("d", { onContext: keep, needs: ["a", "c"] }),
    ]);
    await registry.start(host);
    assert.deepEqual(Object.keys(contexts.get("a")!.plugins), []);
    assert.deepEqual({ ...contexts.get("c")!.plugins }, { transport: { name: "b" } });
    assert.deepEqual({ ...contexts.get("d")!.plugins }, { a: { name: "a" }, c: { name: "c" } });
    const c = contexts.get("c")!;
    assert.deepEqual(
      Object.keys(c).sort(),
      [
        "config",
        "contributions",
        "dataDir",
        "events",
        "identity",
        "logger",
        "name",
        "plugins",
        "signal",
        "startBudgetMs",
      ],
    );
    assert.deepEqual(c.config, { level: 3 });
    assert.equal(contexts.get("a")!.config, undefined);
    assert.equal(c.dataDir, "/nowhere/plugins/c");
    assert.equal(c.logger.scope, "meteor:plugin:c");
    assert.equal(c.events, host.events);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.plugins));
    assert.throws(() => {
      (c.plugins as Record<string, unknown>).a = {};
    }, TypeError);
    assert.equal(registry.get("transport"), registry.get("b"));
    assert.equal(registry.get("nope"), undefined);
    await registry.stop();
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry.stop() stops every plugin and then names the one that failed", async () => {
  const host = await testHost();
  const log: string[] = [];
  try {
    const registry = new PluginRegistry(
      [
        fakePlugin("a", { log }),
        fakePlugin("b", { log, failStop: new Error("socket stuck") }),
        fakePlugin("c", { log, hangStop: true }),
      ],
      { stopTimeoutMs: 20 },
    );
    await registry.start(host);
    await assert.rejects(registry.stop(), (err) => {
      assertPluginError(err, "E_PLUGIN", "c");
      assert.match((err as Error).message, /timed out/);
      return true;
    });
    assert.deepEqual(log.slice(3), ["stop:c", "stop:b", "stop:a"]);
    assert.ok(host.lines.some((l) => l.includes("socket stuck")));
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry.stats() reports each plugin's stats and survives a failing one", async () => {
  const host = await testHost();
  try {
    const withStats = (name: string, stats: () => Record<string, number>): Plugin => ({
      ...fakePlugin(name),
      start: () => Promise.resolve({ stats, stop: () => Promise.resolve() }),
    });
    const registry = new PluginRegistry([
      withStats("a", () => ({ peers: 2 })),
      withStats("b", () => {
        throw new Error("not ready");
      }),
      fakePlugin("c"),
    ]);
    await registry.start(host);
    assert.deepEqual(registry.stats(), { a: { peers: 2 }, b: { error: "not ready" }, c: {} });
    await registry.stop();
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry hands a plugin only the components it declared in uses", async () => {
  const host = await testHost({ a: { nested: { list: [1] } } });
  const contexts = new Map<string, PluginContext>();
  const keep = (context: PluginContext) => contexts.set(context.name, context);
  try {
    const registry = new PluginRegistry([
      { ...fakePlugin("a", { onContext: keep }), uses: ["counters", "contacts"] },
      fakePlugin("b", { onContext: keep }),
    ]);
    await registry.start(host);
    const a = contexts.get("a")!;
    a.counters.add({ messagesIn: 2 });
    assert.equal(host.store.counters.get("a").messagesIn, 2);
    assert.equal(a.contacts, host.store.contacts);
    const b = contexts.get("b")!;
    for (const component of ["signer", "decryptor", "hostKey", "database", "counters"] as const) {
      assert.throws(
        () => b[component],
        (err) => assertPluginError(err, "E_PLUGIN", component, "b"),
      );
    }
    await registry.stop();
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry gives a deeply immutable context: changes throw and change nothing", async () => {
  const host = await testHost({ a: { nested: { list: [1] } } });
  let context: PluginContext | undefined;
  try {
    const registry = new PluginRegistry([fakePlugin("a", { onContext: (c) => context = c })]);
    await registry.start(host);
    const c = context!;
    const raw = c as unknown as Record<string, unknown>;
    assert.throws(() => (raw.name = "evil"), TypeError);
    assert.throws(() => delete raw.events, TypeError);
    assert.throws(() => Object.defineProperty(c, "signer", { value: {} }), TypeError);
    assert.throws(
      () => ((c.config as { nested: { list: number[] } }).nested.list.push(2)),
      TypeError,
    );
    const id = c.identity.meteorId;
    id.fill(0);
    assert.deepEqual(c.identity.meteorId, (await testKeys()).meteorId);
    c.identity.publicKeys.ed25519.fill(0);
    assert.deepEqual(c.identity.publicKeys.ed25519, (await testKeys()).publicKeys.ed25519);
    assert.equal(c.identity.peerId, (await testKeys()).peerId);
    await registry.stop();
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry signs only under a plugin's declared labels and reserves the document label", async () => {
  const host = await testHost();
  let context: PluginContext | undefined;
  try {
    const registry = new PluginRegistry([{
      ...fakePlugin("a", { onContext: (c) => context = c }),
      uses: ["signer"],
      signingLabels: ["a/v1/hello"],
    }]);
    await registry.start(host);
    const message = new Uint8Array([1, 2, 3]);
    const keys = await testKeys();
    const signature = await context!.signer.sign("a/v1/hello", message);
    await hybridVerify(keys.publicKeys, "a/v1/hello", message, signature);
    await assert.rejects(
      context!.signer.sign("meteor/v1/identity-document", message),
      (err) => assertPluginError(err, "E_PLUGIN", "a"),
    );
    await registry.stop();
    const cases: Plugin[][] = [
      [{ ...fakePlugin("x"), signingLabels: ["meteor/v1/identity-document"] }],
      [{ ...fakePlugin("x"), signingLabels: ["l"] }, { ...fakePlugin("y"), signingLabels: ["l"] }],
      [{ ...fakePlugin("x"), uses: ["seeds" as never] }],
    ];
    for (const plugins of cases) {
      assert.throws(() => new PluginRegistry(plugins), (err) => assertPluginError(err, "E_PLUGIN"));
    }
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry collects contributions for the owner of each extension point", async () => {
  const host = await testHost({ dht: { k: 20 } });
  let seen: unknown;
  try {
    const owner: Plugin = {
      ...fakePlugin("p2p"),
      owns: ["libp2p"],
      start(context) {
        seen = context.contributions("libp2p");
        return Promise.resolve({ api: {}, stop: () => Promise.resolve() });
      },
    };
    const contributor = (name: string, needs: string[]): Plugin => ({
      ...fakePlugin(name, { needs }),
      extend: (config) => ({ libp2p: { services: { [name]: () => config } } }),
    });
    const registry = new PluginRegistry([owner, contributor("dht", ["p2p"])]);
    await registry.start(host);
    const [only] = seen as { plugin: string; value: { services: Record<string, () => unknown> } }[];
    assert.equal(only.plugin, "dht");
    assert.deepEqual(only.value.services.dht(), { k: 20 });
    await registry.stop();
    // A point nobody owns, and a contributor that does not start after the owner.
    for (const plugins of [[contributor("dht", [])], [contributor("dht", []), owner]]) {
      const other = await testHost();
      try {
        await assert.rejects(
          new PluginRegistry(plugins).start(other),
          (err) => assertPluginError(err, "E_PLUGIN", "dht"),
        );
      } finally {
        other.close();
      }
    }
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry builds each consumer's api with apiFor() and refuses a need with no api", async () => {
  const host = await testHost();
  const got = new Map<string, unknown>();
  try {
    const scoped: Plugin = {
      ...fakePlugin("p2p"),
      start: () =>
        Promise.resolve({
          apiFor: (consumer: string) => ({ for: consumer }),
          capabilities: { network: { addresses: () => ["/ip4/127.0.0.1/tcp/1"], peers: () => [] } },
          stop: () => Promise.resolve(),
        }),
    };
    const registry = new PluginRegistry([
      scoped,
      fakePlugin("x", { needs: ["p2p"], onContext: (c) => got.set("x", c.plugins.p2p) }),
      fakePlugin("y", { needs: ["p2p"], onContext: (c) => got.set("y", c.plugins.p2p) }),
    ]);
    await registry.start(host);
    assert.deepEqual(got.get("x"), { for: "x" });
    assert.deepEqual(got.get("y"), { for: "y" });
    assert.deepEqual(registry.capability("network")?.addresses(), ["/ip4/127.0.0.1/tcp/1"]);
    await registry.stop();
    const silent: Plugin = {
      ...fakePlugin("quiet"),
      start: () => Promise.resolve({ stop: () => Promise.resolve() }),
    };
    const other = await testHost();
    try {
      await assert.rejects(
        new PluginRegistry([silent, fakePlugin("z", { needs: ["quiet"] })]).start(other),
        (err) => assertPluginError(err, "E_PLUGIN", "z", "quiet"),
      );
    } finally {
      other.close();
    }
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry aborts a start() that overruns its budget and rolls back", async () => {
  const host = await testHost();
  let aborted = false;
  try {
    const slow: Plugin = {
      ...fakePlugin("slow"),
      start: (context) =>
        new Promise((_, reject) => {
          context.signal.addEventListener("abort", () => {
            aborted = true;
            reject(new Error("gave up"));
          });
        }),
    };
    const log: string[] = [];
    await assert.rejects(
      new PluginRegistry([fakePlugin("a", { log }), slow], { startTimeoutMs: 30 }).start(host),
      (err) => assertPluginError(err, "E_PLUGIN", "slow"),
    );
    assert.ok(aborted);
    assert.deepEqual(log, ["start:a", "stop:a"]);
  } finally {
    host.close();
  }
});

Deno.test("PluginRegistry registers a plugin's error codes for the API while it runs", async () => {
  const host = await testHost();
  try {
    const plugin = {
      ...fakePlugin("auth"),
      errors: { E_REVOKED: { status: 403, description: "revoked" } },
    };
    const registry = new PluginRegistry([plugin]);
    await registry.start(host);
    assert.equal(statusOf("E_REVOKED" as never), 403);
    await registry.stop();
    assert.equal(statusOf("E_REVOKED" as never), 500);
    assert.throws(
      () =>
        new PluginRegistry([{
          ...fakePlugin("x"),
          errors: { E_MALFORMED: { status: 400, description: "core" } },
        }]),
      (err) => assertPluginError(err, "E_PLUGIN"),
    );
  } finally {
    host.close();
  }
});
