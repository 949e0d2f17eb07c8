/**
 * The auth store under kill -9: a daemon subprocess running the auth plugin
 * is killed with SIGKILL right after a login is acknowledged; after a
 * restart on the same home the session still works (WAL, synchronous FULL).
 */
import assert from "node:assert/strict";
import { deviceSigner, login } from "../../plugins/auth/client.ts";
import { freePorts, initTestHome, spawnMeteor } from "../_cli.ts";
import { withTempDir } from "../_temp.ts";
import { call, enrolDevice, identity } from "./_auth.ts";

/** Starts `meteor daemon` on `home` and waits (up to 30 s) until the auth listener answers. */
async function daemon(home: string, origin: string): Promise<Deno.ChildProcess> {
  const child = spawnMeteor(["daemon", "--home", home]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${origin}/auth/v1/openapi.json`);
      await r.body?.cancel();
      if (r.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.output();
      throw new Error("the daemon did not start in 30 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test("auth: a session acknowledged just before SIGKILL still works after restart", () =>
  withTempDir(async (root) => {
    const home = `${root}/server`;
    const [port] = freePorts(1);
    const origin = `http://127.0.0.1:${port}`;
    await initTestHome(home, 3, {
      plugins: ["auth"],
      pluginConfig: { auth: { listen: `127.0.0.1:${port}` } },
    });
    let child = await daemon(home, origin);
    let session: string;
    try {
      const device = await enrolDevice(root, origin, await identity(4));
      const seeds = await deviceSigner(device.home, origin);
      session = (await login(device.client, device.enrolment, seeds)).session;
    } finally {
      child.kill("SIGKILL");
    }
    const killed = await child.output();
    assert.equal(killed.signal, "SIGKILL");
    child = await daemon(home, origin);
    try {
      const r = await call(origin, "GET", "/session", undefined, session);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(typeof r.body!.meteorId, "string");
    } finally {
      child.kill("SIGTERM");
      await child.output();
    }
  }, "meteor-auth-kill-"));
