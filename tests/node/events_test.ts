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
