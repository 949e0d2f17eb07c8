/**
 * Headless Chromium for the browser tests: Debian's chromium driven by
 * playwright-core (which downloads nothing), started with the flags a closed
 * network needs, and where the tests put their screenshots.
 *
 * @module
 */
import { chromium } from "playwright-core";

/** Debian's chromium; .ci/run installs it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = new URL("../test-artifacts/", import.meta.url);

/** Whether Chromium is here; when it is not, prints that test `what` is skipped and why. */
export async function chromiumAvailable(what: string): Promise<boolean> {
  const found = await Deno.stat(CHROMIUM).then((s) => s.isFile, () => false);
  if (!found) console.log(`${what} skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
  return found;
}

/**
 * A headless browser with a fresh profile folder `profile` (passed as
 * --user-data-dir) and no background networking.
 */
export function launchChromium(profile: string, options: { acceptDownloads?: boolean } = {}) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    ...options,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
