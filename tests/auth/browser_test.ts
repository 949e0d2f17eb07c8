/**
 * The login page end to end in headless Chromium (Debian's chromium driven
 * by playwright-core, which downloads nothing): open the page, read the
 * login request it shows, approve it with `meteor auth approve` from a
 * second home, and see the page complete and show who logged in. Screenshots
 * (the QR code, then the completed page) go to test-artifacts/ (git-ignored). Skipped, saying why,
 * when /usr/bin/chromium is missing (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { initTestHome, meteor } from "../_cli.ts";
import { ARTIFACTS, chromiumAvailable, launchChromium } from "../_browser.ts";
import { withTempDir } from "../_temp.ts";
import { startAuthDaemon } from "./_auth.ts";

const available = await chromiumAvailable("auth browser test");

Deno.test({
  name: "login page: a device approves the QR request and the page shows who logged in",
  ignore: !available,
  sanitizeResources: false, // the browser's pipes close after the test's last await
  sanitizeOps: false,
  fn: () =>
    withTempDir(async (root) => {
      const server = await startAuthDaemon(`${root}/server`);
      const profile = await Deno.makeTempDir({ dir: root, prefix: "chromium-" });
      // A fresh profile folder: launchPersistentContext passes it as --user-data-dir.
      const browser = await launchChromium(profile);
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on("pageerror", (err) => errors.push(err.message));
        await page.goto(`${server.origin}/auth/v1`, { timeout: 15_000 });
        await page.waitForSelector('body[data-state="waiting"]', { timeout: 15_000 });
        const url = (await page.textContent("#request"))!;
        assert.match(url, new RegExp(`^${server.origin}/auth/v1\\?request=[0-9a-f]{32}$`));
        assert.equal(await page.locator("#qr svg path").count(), 1, "the QR code is drawn");

        await Deno.mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: new URL("auth-login-qr.png", ARTIFACTS).pathname });

        const device = `${root}/device`;
        await initTestHome(device, 31);
        const id = JSON.parse((await meteor("id", "--home", device, "--json")).stdout);
        const approved = await meteor("auth", "approve", url, "--home", device, "--json");
        assert.equal(approved.code, 0, approved.stderr);
        const answer = JSON.parse(approved.stdout);
        assert.equal(answer.meteorId, id.meteorId);

        const started = performance.now();
        await page.waitForSelector('body[data-state="done"]', { timeout: 5_000 });
        console.log(
          `login page completed ${Math.round(performance.now() - started)} ms after approval`,
        );
        assert.equal(await page.textContent("#who"), id.meteorId);
        assert.equal(await page.textContent("#device"), answer.deviceId);
        await page.screenshot({ path: new URL("auth-login-done.png", ARTIFACTS).pathname });
        assert.deepEqual(errors, []);

        // The request is spent: approving it again is refused.
        const again = await meteor("auth", "approve", url, "--home", device, "--json");
        assert.equal(JSON.parse(again.stderr).error.code, "E_AUTH_REPLAYED");
      } finally {
        await browser.close();
        await server.stop();
      }
    }, "meteor-auth-browser-"),
});
