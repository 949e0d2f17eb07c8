/**
 * The harness's network: one Linux network namespace per node, each joined by
 * a veth pair to a bridge that lives in a hub namespace of its own, so that
 * nothing changes in the machine's own network. Node i has 10.99.0.(i+1)/24
 * (a private test subnet used only inside these namespaces). Faults are
 * applied inside the node namespaces: `tc netem` on each node's eth0
 * (delay with jitter, loss), random drops by nftables where the kernel has
 * no netem (loss only: nothing else here can delay a packet), and blackhole
 * routes for a partition.
 *
 * @module
 */

/** The test subnet's first three octets. */
const SUBNET = "10.99.0";

/** Runs `ip`/`tc` with `args`; throws with its stderr when it fails. */
async function sh(cmd: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" })
    .output();
  if (code !== 0) {
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  }
}

/** The nftables table {@link NetNamespaces.loss} keeps its rule in. */
const LOSS_TABLE = "meteornet";

/** Netem settings for every node's egress. */
export interface Netem {
  delayMs: number;
  jitterMs: number;
  lossPercent: number;
}

/** The namespaces of one run. */
export class NetNamespaces {
  readonly #hub: string;
  readonly #nodes: string[] = [];

  private constructor(readonly prefix: string) {
    this.#hub = `${prefix}hub`;
  }

  /** The address of node `i`. */
  static address(i: number): string {
    return `${SUBNET}.${i + 1}`;
  }

  /**
   * Whether namespaces can be made here: resolves to null when they can, or
   * the reason they cannot.
   */
  static async unavailable(): Promise<string | null> {
    if (Deno.build.os !== "linux") return `namespaces need Linux, not ${Deno.build.os}`;
    const probe = `mnprobe${Deno.pid}`;
    try {
      await sh("ip", "netns", "add", probe);
      await sh("ip", "netns", "del", probe);
      return null;
    } catch (err) {
      return (err as Error).message.trim();
    }
  }

  /** Creates the hub with its bridge and `count` node namespaces. */
  static async create(count: number): Promise<NetNamespaces> {
    if (count > 250) throw new RangeError(`Cannot make ${count} namespaces: at most 250`);
    const net = new NetNamespaces(`mn${Deno.pid % 100000}-`);
    try {
      await sh("ip", "netns", "add", net.#hub);
      const hub = ["ip", "netns", "exec", net.#hub] as const;
      await sh(...hub, "ip", "link", "add", "br0", "type", "bridge");
      await sh(...hub, "ip", "link", "set", "br0", "up");
      for (let i = 0; i < count; i++) {
        const ns = `${net.prefix}${i}`;
        await sh("ip", "netns", "add", ns);
        net.#nodes.push(ns);
        await sh(
          "ip",
          "-n",
          net.#hub,
          "link",
          "add",
          `v${i}`,
          "type",
          "veth",
          "peer",
          "eth0",
          "netns",
          ns,
        );
        await sh("ip", "-n", net.#hub, "link", "set", `v${i}`, "master", "br0", "up");
        await sh("ip", "-n", ns, "link", "set", "lo", "up");
        await sh("ip", "-n", ns, "addr", "add", `${NetNamespaces.address(i)}/24`, "dev", "eth0");
        await sh("ip", "-n", ns, "link", "set", "eth0", "up");
      }
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  /** The namespace name of node `i`. */
  node(i: number): string {
    return this.#nodes[i];
  }

  /** Sets (or clears, with null) netem on every node's egress. */
  async netem(settings: Netem | null): Promise<void> {
    for (const ns of this.#nodes) {
      await sh("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "eth0", "root").catch(
        () => {},
      );
      if (!settings) continue;
      const args = ["delay", `${settings.delayMs}ms`];
      if (settings.jitterMs > 0) args.push(`${settings.jitterMs}ms`, "distribution", "normal");
      if (settings.lossPercent > 0) args.push("loss", `${settings.lossPercent}%`);
      await sh(
        "ip",
        "netns",
        "exec",
        ns,
        "tc",
        "qdisc",
        "add",
        "dev",
        "eth0",
        "root",
        "netem",
        ...args,
      );
    }
  }

  /**
   * Drops `percent` of every node's outgoing eth0 packets at random with an
   * nftables rule (`numgen random mod 10000 < percent x 100`, so down to
   * 0.01%), or removes the rule with null: netem's `loss` for kernels
   * without sch_netem (nf_tables and nft_numgen are common where it is not).
   */
  async loss(percent: number | null): Promise<void> {
    for (const ns of this.#nodes) {
      const nft = (...args: string[]) => sh("ip", "netns", "exec", ns, "nft", ...args);
      await nft("delete", "table", "inet", LOSS_TABLE).catch(() => {});
      if (percent === null) continue;
      await nft("add", "table", "inet", LOSS_TABLE);
      await nft(
        "add",
        "chain",
        "inet",
        LOSS_TABLE,
        "out",
        "{ type filter hook output priority 0; policy accept; }",
      );
      const below = Math.round(percent * 100);
      await nft(
        "add",
        "rule",
        "inet",
        LOSS_TABLE,
        "out",
        ..."oifname eth0 numgen random mod 10000 <".split(" "),
        String(below),
        "drop",
      );
    }
  }

  /** Cuts every node of `side` off from every other node (blackhole routes both ways). */
  async partition(side: readonly number[]): Promise<void> {
    await this.#routes("add", side);
  }

  /** Removes the partition {@link partition} made for `side`. */
  async heal(side: readonly number[]): Promise<void> {
    await this.#routes("del", side);
  }

  async #routes(op: "add" | "del", side: readonly number[]): Promise<void> {
    const inside = new Set(side);
    for (let i = 0; i < this.#nodes.length; i++) {
      for (let j = 0; j < this.#nodes.length; j++) {
        if (inside.has(i) === inside.has(j)) continue;
        await sh(
          "ip",
          "-n",
          this.#nodes[i],
          "route",
          op,
          "blackhole",
          `${NetNamespaces.address(j)}/32`,
        ).catch((err) => {
          if (op === "add") throw err;
        });
      }
    }
  }

  /** Deletes every namespace this run made (their veths go with them). */
  async destroy(): Promise<void> {
    for (const ns of [...this.#nodes, this.#hub]) {
      await sh("ip", "netns", "del", ns).catch(() => {});
    }
    this.#nodes.length = 0;
  }
}
