import assert from "node:assert/strict";
import { isMeteorError, type MeteorError } from "../../core/errors.ts";
import type { Plugin, PluginContext } from "../../core/plugin.ts";
import { orderPlugins, PluginRegistry } from "../../core/registry.ts";
import { fakePlugin, testHost } from "./_helpers.ts";

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
      ["config", "crypto", "dataDir", "events", "identity", "logger", "name", "plugins", "store"],
    );
    assert.deepEqual(c.config, { level: 3 });
    assert.equal(contexts.get("a")!.config, undefined);
    assert.equal(c.dataDir, "/nowhere/plugins/c");
    assert.equal(c.logger.scope, "meteor:plugin:c");
    assert.equal(c.store, host.store);
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
