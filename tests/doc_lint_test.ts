import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

const REPO = new URL("../", import.meta.url).pathname;

Deno.test("deno doc --lint of every module deno.json exports finds nothing", async () => {
  const modules = Object.values(denoJson.exports);
  assert.ok(modules.includes("./core/mod.ts") && modules.includes("./plugin.ts"));
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...modules],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(run.stderr) + new TextDecoder().decode(run.stdout);
  assert.ok(run.success, output);
});
