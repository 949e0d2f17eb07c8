import assert from "node:assert/strict";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isMeteorError } from "../../core/errors.ts";
import { customPluginUrl, loadCustomPlugin, loadCustomPlugins } from "../../core/plugin_loader.ts";

const ECHO = fileURLToPath(new URL("../../examples/echo-plugin.ts", import.meta.url));

Deno.test("customPluginUrl() resolves paths relative to the home, absolute ones as they are", () => {
  const cases: [string, string][] = [
    ["plugins/echo.ts", "file:///srv/meteor/plugins/echo.ts"],
    ["./echo.ts", "file:///srv/meteor/echo.ts"],
    ["../shared/echo.ts", "file:///srv/shared/echo.ts"],
    ["/opt/echo.ts", "file:///opt/echo.ts"],
    ["with space.ts", "file:///srv/meteor/with%20space.ts"],
  ];
  for (const [path, href] of cases) assert.equal(customPluginUrl("/srv/meteor", path).href, href);
  assert.throws(() => customPluginUrl("relative/home", "x.ts"), TypeError);
  assert.throws(() => customPluginUrl("/srv", ""), (err) => isMeteorError(err, "E_BAD_CONFIG"));
});

Deno.test("loadCustomPlugins() loads the example plugin by absolute and home-relative path", async () => {
  const home = await Deno.makeTempDir();
  try {
    const plugins = await loadCustomPlugins(home, [ECHO, relative(home, ECHO)]);
    assert.deepEqual(plugins.map((p) => [p.name, p.version]), [["echo", "1.0.0"], [
      "echo",
      "1.0.0",
    ]]);
    assert.ok(!isAbsolute(relative(home, ECHO)));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("loadCustomPlugin() refuses modules that are not plugins, naming the module", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const modules: Record<string, string> = {
      "no-default.ts": "export const x = 1;",
      "not-function.ts": "export default { name: 'x' };",
      "throws.ts": "export default () => { throw new Error('factory broke'); };",
      "bad-shape.ts": "export default () => ({ name: 'Bad Name', version: '1' });",
      "syntax.ts": "export default (",
    };
    for (const [file, source] of Object.entries(modules)) {
      await Deno.writeTextFile(`${dir}/${file}`, source);
      await assert.rejects(loadCustomPlugin(customPluginUrl(dir, file)), (err) => {
        assert.ok(isMeteorError(err, "E_PLUGIN"), `${file}: ${err}`);
        assert.ok(err.message.includes(file) || file === "bad-shape.ts", err.message);
        return true;
      });
    }
    await assert.rejects(
      loadCustomPlugin(customPluginUrl(dir, "absent.ts")),
      (err) => isMeteorError(err, "E_PLUGIN") && err.message.includes("absent.ts"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
