/**
 * An example Meteor plugin (docs/plugins.md walks through it). It serves
 * `POST /v1/echo` (echoes a text back, optionally prefixed) and
 * `GET /v1/echo/counts` (how many bus events of each name it has seen),
 * emits an "echo:echoed" event per echo, counts its traffic in the node's
 * counters, reports stats for /v1/stats, gives other plugins an api, and
 * adds the CLI command `meteor plugins run echo say TEXT`.
 *
 * Load it by adding its path to `customPlugins` in the node's config.json:
 *
 * ```json
 * { "customPlugins": ["/path/to/meteor/examples/echo-plugin.ts"],
 *   "pluginConfig": { "echo": { "prefix": "echo: " } } }
 * ```
 *
 * @module
 */
import { Hono } from "hono";
import {
  apiClientFor,
  homeFrom,
  MeteorError,
  parseCommandArgs,
  type Plugin,
  type PluginCommand,
  type PluginContext,
  type PluginInstance,
  printJson,
  readJsonBody,
} from "../plugin.ts";

/** The plugin's config section, `pluginConfig.echo`. */
export interface EchoConfig {
  /** Put before every echoed text; default "". */
  prefix: string;
}

/** What plugins that need "echo" receive. */
export interface EchoApi {
  /** How many texts were echoed since start. */
  echoes(): number;
}

/** The longest text echoed, in characters. */
const MAX_TEXT = 4096;

function validate(raw: unknown): EchoConfig {
  if (raw === undefined) return { prefix: "" };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new MeteorError(
      "E_BAD_CONFIG",
      'Cannot load config: "pluginConfig.echo" must be an object',
    );
  }
  const { prefix = "", ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new MeteorError(
      "E_BAD_CONFIG",
      `Cannot load config: unknown key "pluginConfig.echo.${unknown}"`,
    );
  }
  if (typeof prefix !== "string" || prefix.length > 64) {
    throw new MeteorError(
      "E_BAD_CONFIG",
      'Cannot load config: "pluginConfig.echo.prefix" must be a string of at most 64 characters',
    );
  }
  return { prefix };
}

/** Route documentation, merged into /v1/openapi.json (paths relative to /v1/echo). */
const OPENAPI = {
  "/": {
    post: {
      summary: "Echoes a text back (example plugin)",
      requestBody: {
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["text"],
              properties: { text: { type: "string", maxLength: MAX_TEXT } },
            },
          },
        },
      },
      responses: {
        "200": { description: "The echo and how many echoes so far" },
        "400": { description: "No text (E_MALFORMED)" },
      },
    },
  },
  "/counts": {
    get: {
      summary: "How many events of each name the plugin has seen on the bus",
      responses: { "200": { description: "Counts by event name" } },
    },
  },
};

function start(
  context: PluginContext<EchoConfig, Record<string, unknown>, "counters">,
): Promise<PluginInstance<EchoApi>> {
  const { config, events, logger, counters } = context;
  const seen: Record<string, number> = {};
  let echoes = 0;
  const stopListening = new AbortController();
  events.onAny((event) => {
    seen[event.name] = (seen[event.name] ?? 0) + 1;
  }, { signal: stopListening.signal });

  const app = new Hono();
  app.post("/", async (c) => {
    const body = await readJsonBody(c, { maxBytes: 4 * MAX_TEXT + 64 });
    if (typeof body.text !== "string" || body.text.length > MAX_TEXT) {
      throw new MeteorError(
        "E_MALFORMED",
        `Cannot echo: "text" must be a string of at most ${MAX_TEXT} characters`,
      );
    }
    const text = config.prefix + body.text;
    echoes++;
    const bytes = new TextEncoder().encode(body.text).length;
    counters.add({ messagesIn: 1, bytesIn: bytes, messagesOut: 1, bytesOut: bytes });
    events.emit("echo:echoed", { text, count: echoes });
    return c.json({ text, count: echoes });
  });
  app.get("/counts", (c) => c.json({ counts: seen }));

  logger.info("echo plugin ready", { prefix: config.prefix });
  return Promise.resolve({
    api: { echoes: () => echoes },
    routes: { app, openapi: OPENAPI },
    stats: () => ({ echoes, eventsSeen: Object.values(seen).reduce((a, b) => a + b, 0) }),
    stop() {
      stopListening.abort();
      return Promise.resolve();
    },
  });
}

/** `meteor plugins run echo say TEXT`: asks the running daemon to echo TEXT. */
const say: PluginCommand = {
  name: "say",
  summary: "Have the running daemon echo a text",
  help: `Usage: meteor plugins run echo say TEXT [--home DIR] [--json]

Sends TEXT to the running daemon's POST /v1/echo and prints the echo.`,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {});
    if (positionals.length !== 1) {
      throw new MeteorError("E_USAGE", "Cannot parse arguments: expected one TEXT");
    }
    const client = await apiClientFor(homeFrom(values));
    const echo = await client.request<{ text: string; count: number }>("POST", "/v1/echo", {
      text: positionals[0],
    });
    if (values.json) printJson(echo);
    else console.log(echo.text);
    return 0;
  },
};

/** The plugin factory: the module's default export. */
export default function echoPlugin(): Plugin<
  EchoConfig,
  EchoApi,
  Record<string, unknown>,
  "counters"
> {
  return {
    name: "echo",
    version: "1.0.0",
    needs: [],
    uses: ["counters"],
    configSchema: { validate },
    commands: [say],
    start,
  };
}
