/**
 * The harness's view of one node's local API: JSON requests with the node's
 * token, and the `pubsub:message` events its WebSocket stream delivered.
 * {@link directApi} talks to 127.0.0.1 itself; inside a network namespace
 * bench/net/_agent.ts runs it and the harness reaches it through
 * {@link agentApi} over the agent's stdin and stdout.
 *
 * @module
 */

/** One answer: HTTP status and the body (parsed JSON, else its text, null when empty). */
export interface ApiAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A pubsub message one node received, with the harness clock's time of arrival. */
export interface PubsubArrival {
  topic: string;
  from: string;
  text: string;
  sentAt: number;
  at: number;
}

/** What the harness calls on a node. */
export interface NodeApi {
  /** A JSON request; a `raw` string body goes as it is (application/octet-stream). */
  request(method: string, path: string, body?: unknown, raw?: boolean): Promise<ApiAnswer>;
  /** Opens the event stream (again, after a restart). */
  listen(): Promise<void>;
  /** The pubsub messages received since the last call. */
  arrivals(): Promise<PubsubArrival[]>;
  close(): Promise<void>;
}

/** How long one API request may take. */
const REQUEST_MS = 30_000;
/** How long opening the event stream may take, tries included. */
const LISTEN_MS = 60_000;

/** A client of the API at `base` (http://127.0.0.1:PORT) with `token`. */
export function directApi(base: string, token: string): NodeApi {
  let socket: WebSocket | undefined;
  let received: PubsubArrival[] = [];
  const open = () => {
    socket?.close();
    const ws = new WebSocket(`${base.replace("http", "ws")}/v1/events`, [
      "meteor.v1",
      `meteor.token.${token}`,
    ]);
    socket = ws;
    ws.onmessage = (e) => {
      const event = JSON.parse(String(e.data));
      if (event.name !== "pubsub:message") return;
      const { topic, from, text, sentAt } = event.detail;
      received.push({ topic, from, text, sentAt, at: Date.now() });
    };
    return new Promise<void>((resolve, reject) => {
      const fail = () => {
        clearTimeout(timer);
        ws.close();
        reject(new Error("Cannot open the event stream"));
      };
      const timer = setTimeout(fail, 10_000);
      ws.onopen = () => (clearTimeout(timer), resolve());
      ws.onerror = fail;
    });
  };
  return {
    async request(method, path, body, raw) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body != null) {
        headers["content-type"] = raw ? "application/octet-stream" : "application/json";
      }
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body == null ? undefined : raw ? String(body) : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_MS),
      });
      const text = await response.text();
      const json = response.headers.get("content-type")?.includes("json");
      return { status: response.status, body: json && text ? JSON.parse(text) : text || null };
    },
    async listen() {
      // A daemon that just printed its startup line may be slow to take the
      // socket on a loaded machine: try again until LISTEN_MS have passed.
      const deadline = Date.now() + LISTEN_MS;
      for (;;) {
        try {
          return await open();
        } catch (err) {
          if (Date.now() + 500 > deadline) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    arrivals() {
      const out = received;
      received = [];
      return Promise.resolve(out);
    },
    close() {
      socket?.close();
      socket = undefined;
      return Promise.resolve();
    },
  };
}

/** A client that forwards every call to an agent process (JSON lines on its stdio). */
export function agentApi(child: Deno.ChildProcess): NodeApi {
  const writer = child.stdin.getWriter();
  const pending = new Map<number, (answer: { ok: boolean; value: unknown }) => void>();
  let next = 0;
  (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        const line = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        pending.get(line.id)?.(line);
        pending.delete(line.id);
      }
    }
    for (const settle of pending.values()) settle({ ok: false, value: "the agent exited" });
  })();
  const call = <T>(method: string, args: unknown[], ms = REQUEST_MS): Promise<T> => {
    const id = next++;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`Cannot call ${method}: the agent did not answer`));
      }, ms + 5_000);
      pending.set(id, ({ ok, value }) => {
        clearTimeout(timer);
        ok ? resolve(value as T) : reject(new Error(String(value)));
      });
    });
    writer.write(new TextEncoder().encode(JSON.stringify({ id, method, args }) + "\n")).catch(
      () => pending.get(id)?.({ ok: false, value: "the agent exited" }),
    );
    return answer;
  };
  return {
    request: (method, path, body, raw) => call("request", [method, path, body, raw]),
    listen: () => call("listen", [], LISTEN_MS),
    arrivals: () => call("arrivals", []),
    async close() {
      await writer.close().catch(() => {});
      await child.status;
    },
  };
}
