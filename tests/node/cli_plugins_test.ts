import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startDaemon } from "../../cli/daemon.ts";
import { pluginsListCommand, pluginsRunCommand } from "../../cli/plugins.ts";
import { isMeteorError } from "../../core/errors.ts";
import { captured, initTestHome, withTempHome } from "../_cli.ts";
import { memoryLogger } from "./_helpers.ts";

const ECHO = fileURLToPath(new URL("../../examples/echo-plugin.ts", import.meta.url));

Deno.test("meteor plugins list and run: the echo example's command through a running daemon", () =>
  withTempHome(async (home) => {
    await initTestHome(home, 4, {
      customPlugins: [ECHO],
      pluginConfig: { echo: { prefix: "< " } },
    });

    const listed = JSON.parse(
      (await captured(() => pluginsListCommand.run(["--home", home, "--json"])))[0],
    );
    assert.deepEqual(listed.plugins, [{
      name: "echo",
      version: "1.0.0",
      source: ECHO,
      needs: [],
      provides: [],
      commands: [{ name: "say", summary: "Have the running daemon echo a text" }],
    }]);

    const failures: [string[], string][] = [
      [["--home", home], "E_USAGE"],
      [["--home", home, "echo"], "E_USAGE"],
      [["--home", home, "nope", "say", "x"], "E_NOT_FOUND"],
      [["--home", home, "echo", "shout", "x"], "E_NOT_FOUND"],
      [["--home", home, "echo", "say"], "E_USAGE"],
      [["--home", home, "echo", "say", "hi"], "E_UNREACHABLE"],
    ];
    for (const [args, code] of failures) {
      await assert.rejects(
        pluginsRunCommand.run(args),
        (err) => isMeteorError(err, code as "E_USAGE"),
        args.join(" "),
      );
    }

    const { logger } = memoryLogger();
    const daemon = await startDaemon({ home, logger });
    try {
      const said = await captured(() =>
        pluginsRunCommand.run(["--home", home, "echo", "say", "hi"])
      );
      assert.deepEqual(said, ["< hi"]);
      const json = await captured(() =>
        pluginsRunCommand.run(["echo", "say", "again", "--home", home, "--json"])
      );
      assert.deepEqual(JSON.parse(json[0]), { text: "< again", count: 2 });
    } finally {
      await daemon.stop();
    }
  }));

Deno.test("meteor plugins list and run refuse a home that is not a node (E_NOT_INITIALIZED)", () =>
  withTempHome(async (home) => {
    const missing = `${home}/nonexistent`;
    const cases: [string, () => Promise<number>][] = [
      ["list, missing home", () => pluginsListCommand.run(["--home", missing])],
      ["list, empty home", () => pluginsListCommand.run(["--home", home, "--json"])],
      ["run, missing home", () => pluginsRunCommand.run(["--home", missing, "echo", "say", "x"])],
    ];
    for (const [what, run] of cases) {
      await assert.rejects(
        run(),
        (err) => isMeteorError(err, "E_NOT_INITIALIZED") && err.message.includes("meteor init"),
        what,
      );
    }
  }));
