/**
 * A payload worker that says it started (on a BroadcastChannel) as soon as
 * it loads, then works as the real one (tests/age/file_test.ts, StreamPool.start).
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import "../../core/age/_stream_worker.ts";

const channel = new BroadcastChannel("meteor-stream-pool-started");
channel.postMessage("started");
channel.close();
