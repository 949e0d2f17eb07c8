/**
 * The dashboard end to end in headless Chromium (Debian's chromium driven by
 * playwright-core, which downloads nothing) against two real daemons on
 * loopback: without the login link the page gets nothing; with it, it shows
 * the identity, adds the other node as a contact, sends a message that
 * arrives live on the other node's page, publishes on a topic the other
 * node's page receives verified, uploads and downloads a file, and shows the
 * stats; a page of one node cannot drive the other's API or open its event
 * stream. Screenshots of each view go to test-artifacts/ (git-ignored).
 * Skipped, saying why, when /usr/bin/chromium is missing (.ci/run installs it).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { readApiToken } from "../../core/api_token.ts";
import { homePaths } from "../../core/home.ts";
import { loginLink } from "../../server/_guard.ts";
import type { RunningDaemon } from "../../cli/daemon.ts";
import { freePorts } from "../_cli.ts";
import { ARTIFACTS, chromiumAvailable, launchChromium } from "../_browser.ts";
import { withTempDir } from "../_temp.ts";
import { startDashboardDaemon } from "./_dashboard.ts";

const PLUGINS = ["p2p", "pubsub", "ipfs", "dashboard"];

const available = await chromiumAvailable("dashboard browser test");

async function start(home: string, seed: number): Promise<RunningDaemon> {
  const [tcp] = freePorts(1);
  return await startDashboardDaemon(home, seed, PLUGINS, {
    p2p: { listen: [`/ip4/127.0.0.1/tcp/${tcp}`], bootstrap: [] },
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({
    path: new URL(`dashboard-${name}.png`, ARTIFACTS).pathname,
    fullPage: true,
  });
}

async function logIn(page: Page, daemon: RunningDaemon): Promise<void> {
  const token = await readApiToken(homePaths(daemon.home).apiToken);
  await page.goto(loginLink(daemon.url, token), { timeout: 15_000 });
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
  assert.ok(!page.url().includes("login="), "the code leaves the address bar");
}

async function addContact(page: Page, name: string, id: string): Promise<void> {
  await page.click('nav [data-view="contacts"]');
  await page.fill("#contact-name", name);
  await page.fill("#contact-id", id);
  await page.click('#contact-form button[type="submit"]');
  await page.waitForSelector(`#contact-list li:has-text("${name}")`, { timeout: 10_000 });
}

Deno.test({
  name: "dashboard: login link, identity, contacts, live messages, topics, files, stats",
  ignore: !available,
  sanitizeResources: false, // the browser's pipes close after the test's last await
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (root) => {
      const a = await start(`${root}/a`, 51);
      const b = await start(`${root}/b`, 52);
      const profile = await Deno.makeTempDir({ dir: root, prefix: "chromium-" });
      const browser = await launchChromium(profile, { acceptDownloads: true });
      try {
        await Deno.mkdir(ARTIFACTS, { recursive: true });
        const errors: string[] = [];
        const pa = await browser.newPage();
        pa.on("pageerror", (err) => errors.push(err.message));

        // Without the login link the page gets nothing.
        await pa.goto(`${a.url}/v1/dashboard`, { timeout: 15_000 });
        await pa.waitForSelector('body[data-state="login"]', { timeout: 15_000 });
        assert.equal(await pa.textContent("#meteor-id"), "");
        await shot(pa, "login");

        await logIn(pa, a);
        const idA = a.node.keys;
        await pa.waitForSelector("#meteor-id:not(:empty)");
        assert.match((await pa.textContent("#meteor-id"))!, /^meteor1/);
        assert.equal(await pa.textContent("#peer-id"), idA.peerId);
        assert.match((await pa.textContent("#age-recipient"))!, /^age1pq1/);
        await pa.waitForSelector("#addresses li");
        await pa.waitForFunction('document.getElementById("qr").naturalWidth > 0'); // the QR code drew
        await shot(pa, "identity");

        const pb = await browser.newPage();
        pb.on("pageerror", (err) => errors.push(err.message));
        await logIn(pb, b);

        // Each adds the other from its identity document (what a person pastes).
        const docOf = async (d: RunningDaemon) => {
          const token = await readApiToken(homePaths(d.home).apiToken);
          const res = await fetch(`${d.url}/v1/id`, {
            headers: { authorization: `Bearer ${token}` },
          });
          return (await res.json()).document as string;
        };
        await addContact(pa, "bob", await docOf(b));
        await addContact(pb, "alice", await docOf(a));
        await shot(pa, "contacts");

        // A message from A's page arrives live on B's page.
        await pb.click('button:has-text("Chat with alice")');
        await pa.click('button:has-text("Chat with bob")');
        await pa.fill("#message-text", "hello from the dashboard");
        await pa.click('#message-form button[type="submit"]');
        await pb.waitForSelector('#messages li.in:has-text("hello from the dashboard")', {
          timeout: 20_000,
        });
        await shot(pa, "chat-sent");
        await shot(pb, "chat-received");

        // A topic: both subscribe; A publishes until B's feed shows it, verified.
        for (const p of [pb, pa]) {
          await p.click('nav [data-view="topics"]');
          await p.fill("#topic-name", "news");
          await p.click('#topic-form button[type="submit"]');
          await p.waitForSelector('#publish-topic option[value="news"]', { state: "attached" });
        }
        const deadline = Date.now() + 20_000;
        let seen = false;
        while (!seen && Date.now() < deadline) {
          await pa.fill("#publish-text", "news from the dashboard");
          await pa.click('#publish-form button[type="submit"]');
          seen = await pb.waitForSelector('#feed li:has-text("news from the dashboard")', {
            timeout: 2_000,
          }).then(() => true, () => false);
        }
        assert.ok(seen, "B's feed shows A's topic message");
        assert.match((await pb.textContent("#feed li"))!, /alice.*signature verified/);
        await shot(pb, "topics");

        // A file: uploaded encrypted from A's page, listed as a pin, downloaded back.
        await pa.click('nav [data-view="files"]');
        const content = "a file the dashboard encrypts\n".repeat(100);
        await Deno.writeTextFile(`${root}/notes.txt`, content);
        await pa.setInputFiles("#upload-file", `${root}/notes.txt`);
        await pa.click('#upload-form button[type="submit"]');
        await pa.waitForSelector("#pin-list li:has-text('encrypted')", { timeout: 20_000 });
        const downloading = pa.waitForEvent("download", { timeout: 20_000 });
        await pa.click("#pin-list li button");
        const download = await downloading;
        const saved = `${root}/downloaded`;
        await download.saveAs(saved);
        assert.equal(await Deno.readTextFile(saved), content);
        await shot(pa, "files");

        await pa.click('nav [data-view="stats"]');
        await pa.waitForSelector("#stats-numbers dt", { timeout: 10_000 });
        await pa.waitForTimeout(2_500); // a few samples for the chart
        await shot(pa, "stats");

        // A page on another loopback port (same site: the browser sends the
        // session cookie along) can neither change A's contacts nor open its events.
        const [evilPort] = freePorts(1);
        const evil = Deno.serve(
          { hostname: "127.0.0.1", port: evilPort, onListen: () => {} },
          () =>
            new Response("<!doctype html><title>elsewhere</title>", {
              headers: { "content-type": "text/html" },
            }),
        );
        try {
          const pe = await browser.newPage();
          await pe.goto(`http://127.0.0.1:${evilPort}/`, { timeout: 15_000 });
          const attempt = await pe.evaluate(async ([api, doc]) => {
            await fetch(`${api}/v1/contacts`, {
              method: "POST",
              mode: "no-cors",
              credentials: "include",
              headers: { "content-type": "text/plain" },
              body: JSON.stringify({ name: "evil", id: doc }),
            }).catch(() => {});
            return await new Promise((done) => {
              const ws = new WebSocket(`${api.replace("http", "ws")}/v1/events`, ["meteor.v1"]);
              ws.onopen = () => done("open");
              ws.onerror = () => done("refused");
            });
          }, [a.url, await docOf(b)]);
          assert.equal(attempt, "refused", "the event stream refuses another origin");
          const tokenA = await readApiToken(homePaths(a.home).apiToken);
          const contacts = await (await fetch(`${a.url}/v1/contacts`, {
            headers: { authorization: `Bearer ${tokenA}` },
          })).json();
          assert.deepEqual(contacts.contacts.map((c: { name: string }) => c.name), ["bob"]);
          await pe.close();
        } finally {
          await evil.shutdown();
        }
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
        await b.stop();
        await a.stop();
      }
    }),
});
