import assert from "node:assert/strict";
import { type BusEvent, EventBus, type EventName } from "../../core/events.ts";

Deno.test("EventBus.emit() delivers the detail to named and wildcard listeners", () => {
  const bus = new EventBus();
  const named: unknown[] = [];
  const any: BusEvent[] = [];
  bus.on("peer:connect", (d) => named.push(d));
  bus.onAny((e) => any.push(e));
  bus.emit("peer:connect", { peerId: "p1" });
  bus.emit("peer:disconnect", { peerId: "p1" });
  bus.emit("echo:count", { n: 1 });
  assert.deepEqual(named, [{ peerId: "p1" }]);
  assert.deepEqual(any.map((e) => [e.name, e.detail]), [
    ["peer:connect", { peerId: "p1" }],
    ["peer:disconnect", { peerId: "p1" }],
    ["echo:count", { n: 1 }],
  ]);
  assert.ok(any.every((e) => typeof e.at === "number"));
});

Deno.test("EventBus.on() stops on its remover or its signal", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  const remove = bus.on("peer:connect", (d) => seen.push(`a:${d.peerId}`));
  const controller = new AbortController();
  bus.onAny((e) => seen.push(`any:${e.name}`), { signal: controller.signal });
  const aborted = AbortSignal.abort();
  bus.on("peer:connect", () => seen.push("never"), { signal: aborted });
  bus.emit("peer:connect", { peerId: "1" });
  remove();
  controller.abort();
  bus.emit("peer:connect", { peerId: "2" });
  assert.deepEqual(seen, ["a:1", "any:peer:connect"]);
});

Deno.test("EventBus keeps delivering when a listener throws, and reports the error", () => {
  const errors: [unknown, string][] = [];
  const bus = new EventBus((err, name) => errors.push([err, name]));
  const seen: number[] = [];
  const boom = new Error("listener bug");
  bus.on("message", () => {
    throw boom;
  });
  bus.on("message", (d) => seen.push(d.seq));
  bus.emit("message", { id: "m1", from: "meteor1x", text: "hi", receivedAt: 1, seq: 7 });
  assert.deepEqual(seen, [7]);
  assert.deepEqual(errors, [[boom, "message"]]);
});

Deno.test("EventBus.emit() refuses names that are neither listed nor plugin:event", () => {
  const bus = new EventBus();
  for (const name of ["", "*", "peer", "Peer:connect", ":x", "x:", "a b:c"]) {
    assert.throws(() => bus.emit(name as EventName, {} as never), TypeError, name);
  }
});

Deno.test("EventBus reports a rejected promise from an async listener and keeps delivering", async () => {
  const boom = new Error("async listener bug");
  const reported = Promise.withResolvers<[unknown, string]>();
  const bus = new EventBus((err, name) => reported.resolve([err, name]));
  const seen: string[] = [];
  bus.on("peer:connect", async () => {
    await Promise.resolve();
    throw boom;
  });
  bus.on("peer:connect", (d) => seen.push(d.peerId));
  bus.onAny(async (e) => {
    await Promise.resolve();
    seen.push(`any:${e.name}`);
  });
  bus.emit("peer:connect", { peerId: "p1" });
  assert.deepEqual(await reported.promise, [boom, "peer:connect"]);
  assert.deepEqual(seen, ["p1", "any:peer:connect"]);
});

declare module "../../core/events.ts" {
  interface MeteorEventMap {
    /** An event a plugin adds by augmentation: its detail is typed on emit and on listen. */
    "augmented:tick": { count: number };
  }
}

Deno.test("MeteorEventMap is extended by interface augmentation: typed emit and listen", () => {
  const bus = new EventBus();
  const counts: number[] = [];
  bus.on("augmented:tick", (d) => counts.push(d.count));
  bus.emit("augmented:tick", { count: 3 });
  // @ts-expect-error: the augmented detail is typed, so a wrong shape does not compile.
  bus.emit("augmented:tick", { count: "3" });
  assert.deepEqual(counts, [3, "3"]);
});
