/**
 * Test daemons running the dht plugin, started in a line: each bootstraps
 * only to the one before it (no full mesh).
 *
 * @module
 */
import dht from "../../plugins/dht/mod.ts";
import { type DaemonSpec, daemonSpec, startDaemon, type TestDaemon } from "../p2p/_daemon.ts";

/** Fast publication retries and a short resolve bound, for tests. */
export const TEST_DHT_CONFIG = { resolveTimeoutMs: 10_000, publishTimeoutMs: 10_000 };

/** A spec running p2p and dht, bootstrapping to `bootstrap`. */
export async function dhtSpec(
  seed: number,
  bootstrap: string[] = [],
  pluginConfig: Record<string, unknown> = { dht: TEST_DHT_CONFIG },
): Promise<DaemonSpec> {
  return { ...await daemonSpec(seed), bootstrap, plugins: () => [dht()], pluginConfig };
}

/** The TCP multiaddr of `daemon` (it ends in /p2p/<PeerId>), to bootstrap to. */
export function bootstrapAddress(daemon: TestDaemon): string {
  return daemon.p2p.addresses().find((a) => !a.includes("/ws/"))!;
}

/** The dht plugin's stats of `daemon`. */
export function dhtStats(daemon: TestDaemon): Record<string, number> {
  const running = daemon.node.registry.running.find((r) => r.plugin.name === "dht")!;
  return running.instance.stats!() as Record<string, number>;
}

/**
 * Starts `count` daemons in a line; daemon i bootstraps to daemon i - 1.
 * `pluginConfig` replaces the test config (TEST_DHT_CONFIG).
 */
export async function startLine(
  count: number,
  firstSeed: number,
  pluginConfig?: Record<string, unknown>,
): Promise<{
  daemons: TestDaemon[];
  specs: DaemonSpec[];
}> {
  const daemons: TestDaemon[] = [];
  const specs: DaemonSpec[] = [];
  for (let i = 0; i < count; i++) {
    const bootstrap = i === 0 ? [] : [bootstrapAddress(daemons[i - 1])];
    const spec = await dhtSpec(firstSeed + i, bootstrap, pluginConfig);
    specs.push(spec);
    daemons.push(await startDaemon(spec));
  }
  return { daemons, specs };
}

/** Stops every daemon and removes their homes. */
export async function stopAll(daemons: TestDaemon[], specs: DaemonSpec[]): Promise<void> {
  await Promise.allSettled(daemons.map((d) => d.stop()));
  await Promise.allSettled(specs.map((s) => Deno.remove(s.home, { recursive: true })));
}
