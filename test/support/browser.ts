/**
 * Debian's Chromium (`/usr/bin/chromium`, which `scripts/ensure-chromium.sh` installs),
 * driven by playwright-core. The flags keep a headless browser off the network it has no use
 * for: this machine refuses outside connections, and Chromium would try many at start-up.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ISX_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
