/**
 * The harness's agent inside a node's network namespace: the node's API is on
 * that namespace's 127.0.0.1, out of the harness's reach, so this process
 * serves bench/net/_api.ts's {@link directApi} as JSON lines on stdin/stdout.
 *
 * Usage: deno run --allow-net bench/net/_agent.ts BASE_URL TOKEN
 *
 * @module
 */
import { directApi } from "./_api.ts";

const [base, token] = Deno.args;
const api = directApi(base, token);
const out = Deno.stdout.writable.getWriter();
const reply = (line: unknown) => out.write(new TextEncoder().encode(JSON.stringify(line) + "\n"));

let buffer = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffer += chunk;
  for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
    const { id, method, args } = JSON.parse(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
    // deno-lint-ignore no-explicit-any
    ((api as any)[method](...args) as Promise<unknown>).then(
      (value) => reply({ id, ok: true, value: value ?? null }),
      (err) => reply({ id, ok: false, value: (err as Error).message }),
    );
  }
}
await api.close();
