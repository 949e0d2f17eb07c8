import assert from "node:assert/strict";
import { isMeteorError } from "../../core/errors.ts";
import { daemonSpec, startDaemon } from "./_daemon.ts";

Deno.test({
  name: "P2PNode.start() reports a busy listen address in one line, and releases the others",
  fn: async () => {
    for (const busy of ["tcp", "ws"] as const) {
      const spec = await daemonSpec(81);
      const taken = Deno.listen({ hostname: "127.0.0.1", port: spec.ports[busy] });
      try {
        const suffix = busy === "ws" ? "/ws" : "";
        await assert.rejects(startDaemon(spec), (err) => {
          assert.ok(isMeteorError(err, "E_PLUGIN"));
          assert.equal(
            err.message,
            `Cannot start plugin "p2p": Cannot listen on /ip4/127.0.0.1/tcp/${
              spec.ports[busy]
            }${suffix}: port ${spec.ports[busy]} is in use by another process; ` +
              "choose another port in config.json p2p.listen",
          );
          assert.ok(isMeteorError(err.cause, "E_ADDR_IN_USE"));
          return true;
        });
        // Nothing stayed bound: the same ports serve a node once freed.
        taken.close();
        const daemon = await startDaemon(spec);
        await daemon.stop();
      } finally {
        try {
          taken.close();
        } catch {
          // closed above
        }
        await Deno.remove(spec.home, { recursive: true });
      }
    }
  },
});
