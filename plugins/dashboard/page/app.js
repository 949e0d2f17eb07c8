// The dashboard page (docs/dashboard.md): plain JavaScript, no library. It
// trades a one-time login code for the session cookie, then drives the public
// API with it (header x-meteor-page on every request) and follows
// /v1/events. Text from the API is only ever set as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const VIEWS = ["identity", "contacts", "chat", "topics", "files", "stats"];
const state = { contacts: [], names: new Map(), chatWith: "", feed: [], socket: null, samples: [] };

function status(text, error = false) {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
}

function element(tag, text, className) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

function button(text, onClick) {
  const el = element("button", text);
  el.type = "button";
  el.addEventListener("click", onClick);
  return el;
}

async function api(method, path, body, headers = {}) {
  const init = { method, headers: { "x-meteor-page": "1", ...headers } };
  if (body instanceof Blob) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    const error = new Error(
      answer.error ? `${answer.error.code}: ${answer.error.message}` : `HTTP ${response.status}`,
    );
    error.status = response.status;
    throw error;
  }
  const type = response.headers.get("content-type") ?? "";
  if (response.status === 204) return null;
  return type.includes("json") ? response.json() : response.blob();
}

function report(err) {
  status(err.message, true);
}

function nameOf(meteorId) {
  return state.names.get(meteorId) ?? meteorId;
}

function show(view) {
  for (const name of VIEWS) {
    $(name).hidden = name !== view;
    const tab = document.querySelector(`nav [data-view="${name}"]`);
    if (name === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  if (view === "chat") loadChat().catch(report);
  if (view === "files") loadFiles().catch(report);
  if (view === "topics") loadTopics().catch(report);
  if (view === "contacts") loadContacts().catch(report);
}

async function logIn() {
  const match = /^#login=(.+)$/.exec(location.hash);
  if (!match) return;
  // The code works once; it leaves the address bar and history at once.
  history.replaceState(null, "", location.pathname);
  await fetch("/v1/login", { method: "POST", headers: { "x-meteor-login": match[1] } });
}

async function loadIdentity() {
  const id = await api("GET", "/v1/id");
  $("meteor-id").textContent = id.meteorId;
  $("peer-id").textContent = id.peerId;
  const own = await api("GET", "/v1/dashboard/identity");
  $("age-recipient").textContent = own.ageRecipient;
  $("qr").src = URL.createObjectURL(new Blob([own.qrSvg], { type: "image/svg+xml" }));
  $("addresses").replaceChildren(...id.addresses.map((a) => element("li", a)));
  if (id.addresses.length === 0) $("addresses").append(element("li", "none (no p2p plugin)"));
}

async function loadContacts() {
  const [{ contacts }, { peers }] = await Promise.all([
    api("GET", "/v1/contacts"),
    api("GET", "/v1/peers"),
  ]);
  state.contacts = contacts;
  state.names = new Map(contacts.map((c) => [c.meteorId, c.name]));
  $("contact-list").replaceChildren(...contacts.map((c) => {
    const li = element("li");
    li.append(
      element("strong", c.name),
      " ",
      element("code", c.meteorId),
      " ",
      element(
        "span",
        c.hasDocument ? "identity document verified" : "MeteorID only",
        c.hasDocument ? "verified" : "meta",
      ),
      " ",
      button(`Chat with ${c.name}`, () => {
        state.chatWith = c.name;
        show("chat");
      }),
    );
    return li;
  }));
  if (contacts.length === 0) $("contact-list").append(element("li", "No contacts yet."));
  $("peer-list").replaceChildren(...peers.map((p) => {
    const who = p.contact ?? p.meteorId ?? "not a Meteor peer";
    return element("li", `${who} — ${p.peerId}`);
  }));
  if (peers.length === 0) $("peer-list").append(element("li", "No peers connected."));
  for (const select of [$("chat-with"), $("upload-to")]) {
    const keep = select.id === "upload-to" ? [element("option", "nobody")] : [];
    if (keep[0]) keep[0].value = "";
    const current = select.value;
    select.replaceChildren(
      ...keep,
      ...contacts.map((c) => {
        const option = element("option", c.name);
        option.value = c.name;
        return option;
      }),
    );
    if (current) select.value = current;
  }
}

function messageItem(direction, text, meta) {
  const li = element("li", undefined, direction);
  li.append(element("div", text), element("div", meta, "meta"));
  return li;
}

async function loadChat() {
  await loadContacts();
  const name = state.chatWith || $("chat-with").value;
  if (!name) {
    $("messages").replaceChildren(element("li", "Add a contact first."));
    return;
  }
  state.chatWith = name;
  $("chat-with").value = name;
  const contact = state.contacts.find((c) => c.name === name);
  const [inbox, outbox] = await Promise.all([
    api("GET", `/v1/inbox?from=${encodeURIComponent(name)}`),
    api("GET", "/v1/outbox?limit=1000"),
  ]);
  const items = [
    ...inbox.messages.map((m) => ({
      at: m.receivedAt,
      el: messageItem("in", m.text ?? "(bytes)", `${name}, ${time(m.receivedAt)}`),
    })),
    ...outbox.messages.filter((m) => m.to === contact.meteorId).map((m) => ({
      at: m.createdAt,
      el: messageItem(
        "out",
        m.text,
        `me, ${time(m.createdAt)}, ${m.deliveredAt ? "delivered" : "waiting"}`,
      ),
    })),
  ].sort((a, b) => a.at - b.at);
  $("messages").replaceChildren(...items.map((i) => i.el));
}

function time(ms) {
  return new Date(ms).toLocaleTimeString();
}

async function loadTopics() {
  try {
    const { topics } = await api("GET", "/v1/topics");
    $("topic-list").replaceChildren(...topics.map((t) => {
      const li = element(
        "li",
        `${t.topic}: ${t.peers} peers${t.role ? `, private (${t.role})` : ""} `,
      );
      li.append(button(`Unsubscribe ${t.topic}`, () => {
        api("POST", `/v1/topics/${encodeURIComponent(t.topic)}/unsubscribe`).then(loadTopics).catch(
          report,
        );
      }));
      return li;
    }));
    $("publish-topic").replaceChildren(...topics.map((t) => {
      const option = element("option", t.topic);
      option.value = t.topic;
      return option;
    }));
  } catch (err) {
    if (err.status !== 404) throw err;
    $("topic-list").replaceChildren(element("li", "The pubsub plugin is not running."));
  }
}

function feedItem(m) {
  const li = element("li");
  li.append(
    element("div", m.text),
    element("span", `${m.topic} · ${nameOf(m.from)} · ${time(m.receivedAt)} · `, "meta"),
    element(
      "span",
      m.verified ? "signature verified" : "not verified",
      m.verified ? "verified" : "unverified",
    ),
  );
  return li;
}

async function download(cid, name) {
  const blob = await api("GET", `/v1/files/${encodeURIComponent(cid)}`);
  const link = element("a", `Save ${name}`);
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.dataset.cid = cid;
  return link;
}

function downloadButton(cid, name, li) {
  return button(`Download ${name}`, () => {
    download(cid, name).then((link) => {
      li.append(" ", link);
      link.click();
    }).catch(report);
  });
}

async function loadFiles() {
  await loadContacts();
  try {
    const [{ pins }, { files }] = await Promise.all([
      api("GET", "/v1/pins"),
      api("GET", "/v1/files"),
    ]);
    $("pin-list").replaceChildren(...pins.map((p) => {
      const li = element("li");
      li.append(
        element("code", p.cid),
        ` ${p.size ?? "?"} bytes${p.encrypted ? ", encrypted" : ""} `,
      );
      li.append(downloadButton(p.cid, p.cid.slice(-8), li));
      return li;
    }));
    $("received-list").replaceChildren(...files.map((f) => {
      const li = element("li", `${f.name ?? f.cid} from ${nameOf(f.from)} (${f.state}) `);
      li.append(downloadButton(f.cid, f.name ?? f.cid, li));
      return li;
    }));
  } catch (err) {
    if (err.status !== 404) throw err;
    $("pin-list").replaceChildren(element("li", "The ipfs plugin is not running."));
  }
}

async function sampleStats() {
  const stats = await api("GET", "/v1/stats");
  const t = stats.totals;
  const now = {
    at: Date.now(),
    messages: t.messagesIn + t.messagesOut,
    bytes: t.bytesIn + t.bytesOut,
  };
  const last = state.samples.at(-1);
  if (last) {
    const seconds = Math.max((now.at - last.at) / 1000, 0.001);
    now.mps = (now.messages - last.messages) / seconds;
    now.kbps = (now.bytes - last.bytes) / seconds / 1000;
  }
  state.samples = [...state.samples.slice(-60), now];
  const numbers = [
    ["Uptime", `${Math.round(stats.uptimeMs / 1000)} s`],
    ["Peers", String(stats.peers)],
    ["Messages in / out", `${t.messagesIn} / ${t.messagesOut}`],
    ["Bytes in / out", `${t.bytesIn} / ${t.bytesOut}`],
    ["Cipher", `${stats.cipher?.engine ?? "?"}`],
  ];
  $("stats-numbers").replaceChildren(
    ...numbers.flatMap(([k, v]) => [element("dt", k), element("dd", v)]),
  );
  drawChart();
}

function drawChart() {
  const canvas = $("chart");
  const g = canvas.getContext("2d");
  const style = getComputedStyle(document.body);
  g.clearRect(0, 0, canvas.width, canvas.height);
  const points = state.samples.filter((s) => s.mps !== undefined);
  const series = [["mps", style.getPropertyValue("--accent")], [
    "kbps",
    style.getPropertyValue("--ok"),
  ]];
  for (const [key, color] of series) {
    const top = Math.max(1, ...points.map((p) => p[key]));
    g.strokeStyle = color.trim() || "#0b5cad";
    g.lineWidth = 2;
    g.beginPath();
    points.forEach((p, i) => {
      const x = (i / 60) * canvas.width;
      const y = canvas.height - 4 - (p[key] / top) * (canvas.height - 8);
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
  }
}

function follow() {
  const socket = new WebSocket(`ws://${location.host}/v1/events`, ["meteor.v1"]);
  state.socket = socket;
  socket.onopen = () => document.body.dataset.events = "open";
  socket.onclose = () => {
    document.body.dataset.events = "closed";
    setTimeout(follow, 2000);
  };
  socket.onmessage = (e) => {
    const { name, detail } = JSON.parse(e.data);
    if (name === "message") {
      const from = nameOf(detail.from);
      if (from === state.chatWith && !$("chat").hidden) {
        $("messages").append(
          messageItem("in", detail.text ?? "(bytes)", `${from}, ${time(detail.receivedAt)}`),
        );
      } else status(`New message from ${from}`);
    } else if (name === "pubsub:message") {
      $("feed").append(feedItem(detail));
    } else if (name === "p2p:delivered" && !$("chat").hidden) {
      loadChat().catch(report);
    } else if (name.startsWith("peer:") || name.startsWith("contact:")) {
      if (!$("contacts").hidden) loadContacts().catch(report);
    }
  };
}

function wire() {
  for (const tab of document.querySelectorAll("nav [data-view]")) {
    tab.addEventListener("click", () => show(tab.dataset.view));
  }
  $("copy-id").addEventListener("click", () => {
    navigator.clipboard.writeText($("meteor-id").textContent)
      .then(
        () => status("MeteorID copied"),
        () => status("Cannot copy: the clipboard is not available", true),
      );
  });
  $("chat-with").addEventListener("change", () => {
    state.chatWith = $("chat-with").value;
    loadChat().catch(report);
  });
  $("contact-form").addEventListener("submit", (e) => {
    e.preventDefault();
    api("POST", "/v1/contacts", {
      name: $("contact-name").value.trim(),
      id: $("contact-id").value.trim(),
    })
      .then(() => {
        status(`Added ${$("contact-name").value.trim()}`);
        e.target.reset();
        return loadContacts();
      }).catch(report);
  });
  $("message-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("message-text").value;
    api("POST", "/v1/messages", { to: state.chatWith, text }).then(() => {
      $("message-text").value = "";
      $("messages").append(messageItem("out", text, `me, ${time(Date.now())}, queued`));
    }).catch(report);
  });
  $("topic-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const topic = $("topic-name").value.trim();
    api("POST", `/v1/topics/${encodeURIComponent(topic)}/subscribe`).then(() => {
      status(`Subscribed to ${topic}`);
      return loadTopics();
    }).catch(report);
  });
  $("publish-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const topic = $("publish-topic").value;
    api("POST", `/v1/topics/${encodeURIComponent(topic)}`, { text: $("publish-text").value }).then(
      (r) => {
        $("publish-text").value = "";
        status(`Published on ${topic} to ${r.recipients ?? 0} recipients`);
      },
    ).catch(report);
  });
  $("upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const file = $("upload-file").files[0];
    const to = $("upload-to").value;
    const query = to ? `?recipient=self&to=${encodeURIComponent(to)}` : "";
    api("POST", `/v1/files${query}`, file).then(async (put) => {
      if (to) await api("POST", `/v1/files/${put.cid}/send`, { to, name: file.name });
      status(`Uploaded ${file.name}: ${put.cid}${to ? `, sent to ${to}` : ""}`);
      return loadFiles();
    }).catch(report);
  });
}

async function main() {
  wire();
  // A login link opened on the page already showing: trade it, then start afresh.
  addEventListener("hashchange", () => {
    if (location.hash.startsWith("#login=")) logIn().then(() => location.reload(), report);
  });
  await logIn();
  try {
    await loadIdentity();
  } catch (err) {
    if (err.status !== 401) throw err;
    document.body.dataset.state = "login";
    $("login").hidden = false;
    return;
  }
  document.body.dataset.state = "ready";
  show(VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "identity");
  await loadContacts().catch(report);
  follow();
  setInterval(() => sampleStats().catch(() => {}), 1000);
}

main().catch(report);
