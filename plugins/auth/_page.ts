/**
 * The login page the plugin serves at the root of its public mount: plain
 * HTML and JavaScript, nothing from elsewhere. It asks for a login request,
 * shows its QR code and the same URL as text, waits on the request's
 * server-sent events, and on approval reads the session it now holds and
 * shows who logged in. An expired request is replaced by a fresh one.
 *
 * @module
 */

/** The page, with `nonce` allowed by its Content-Security-Policy for its one script and style. */
export function loginPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meteor login</title>
<style nonce="${nonce}">
body { font-family: system-ui, sans-serif; max-width: 34rem; margin: 3rem auto; padding: 0 1rem; color: #111; }
#qr svg { display: block; margin: 1rem 0; }
code { word-break: break-all; background: #f3f3f3; padding: .1rem .3rem; }
#done { display: none; border: 2px solid #2a7; padding: 1rem; }
body[data-state="done"] #done { display: block; }
body[data-state="done"] #pending { display: none; }
</style>
</head>
<body data-state="loading">
<h1>Log in with Meteor</h1>
<div id="pending">
<p>Scan this code with a device that holds your identity, or run:</p>
<p><code id="command"></code></p>
<div id="qr"></div>
<p>Login request: <code id="request"></code></p>
<p id="status">Preparing a login request...</p>
</div>
<div id="done">
<p>Logged in as <code id="who"></code></p>
<p>Device <code id="device"></code>, session valid until <span id="until"></span>.</p>
</div>
<script nonce="${nonce}">
"use strict";
const base = location.pathname.replace(/\\/$/, "");
const $ = (id) => document.getElementById(id);

async function json(response) {
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.code + ": " + body.error.message : String(response.status));
  return body;
}

function* events(text) {
  for (const block of text.split("\\n\\n")) {
    const event = { name: "message", data: "" };
    for (const line of block.split("\\n")) {
      if (line.startsWith("event: ")) event.name = line.slice(7);
      else if (line.startsWith("data: ")) event.data += line.slice(6);
    }
    if (event.data) yield event;
  }
}

async function waitFor(request) {
  const response = await fetch(base + "/requests/" + request.id + "/events", {
    headers: { authorization: "Bearer " + request.secret },
  });
  if (!response.ok) return json(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { name: "expired" };
    buffer += value;
    const end = buffer.lastIndexOf("\\n\\n");
    if (end < 0) continue;
    for (const event of events(buffer.slice(0, end))) if (event.name !== "message") return event;
    buffer = buffer.slice(end + 2);
  }
}

async function run() {
  for (;;) {
    const request = await json(await fetch(base + "/requests", { method: "POST" }));
    $("qr").innerHTML = request.qr; // SVG markup made by this server
    $("request").textContent = request.url;
    $("command").textContent = "meteor auth approve " + request.url;
    $("status").textContent = "Waiting for a device to approve (expires " + request.expiresAt + ")";
    document.body.dataset.state = "waiting";
    document.body.dataset.request = request.id;
    const event = await waitFor(request);
    if (event.name !== "approved") continue;
    const session = await json(await fetch(base + "/session", {
      headers: { authorization: "Bearer " + request.secret },
    }));
    $("who").textContent = session.meteorId;
    $("device").textContent = session.deviceId;
    $("until").textContent = session.expiresAt;
    document.body.dataset.state = "done";
    return;
  }
}

run().catch((err) => {
  $("status").textContent = "Cannot log in: " + err.message;
  document.body.dataset.state = "error";
});
</script>
</body>
</html>
`;
}
