import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ensureBinary } from '../setup/system-packages.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * A headless Chromium with a fresh profile and a fake camera and microphone that need no permission prompt.
 * Debian's Chromium is installed with apt-get when missing and running as root; otherwise the error
 * says the exact command. Browsers are never downloaded.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  ensureBinary(CHROMIUM, 'chromium');
  const profile = mkdtempSync(join(tmpdir(), 'callgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 844 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
