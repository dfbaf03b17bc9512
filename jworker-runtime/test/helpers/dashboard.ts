import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { BrowserContext } from 'playwright-core';
import { type DashboardOptions, startDashboard } from '../../src/cli/dashboard/server.js';
import { retryDelaysFor } from '../../src/cli/stats.js';
import { redact, secretsOf } from '../../src/log/mask.js';
import { AMQP_URL } from './broker.js';

/** Starts a dashboard on a free loopback port for `queues`; stopped when the test ends. */
export async function startTestDashboard(t: ExecutionContext, queues: readonly string[], options: Partial<DashboardOptions> = {}) {
  const secrets = secretsOf({ amqpUrl: AMQP_URL, others: options.token ? [options.token] : [] });
  const settings = { amqpUrl: AMQP_URL, tls: undefined, retry: {} };
  const dashboard = await startDashboard({
    settings,
    host: '127.0.0.1',
    port: 0,
    queues,
    retryDelays: (queue) => retryDelaysFor(settings, queue),
    token: undefined,
    rates: undefined,
    maxLetters: 50_000,
    autoSnapshot: 1000,
    redact: (text) => redact(text, secrets),
    ...options,
  });
  t.teardown(() => dashboard.close());
  return dashboard;
}

/** Debian's Chromium (apt-get install -y chromium), or CHROMIUM_PATH; undefined when neither is there. */
export const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((path) => path && existsSync(path));

/**
 * Launches headless Chromium with a fresh profile (its --user-data-dir), flags that keep it off the network (this
 * machine has none but the loopback), and no sandbox (CI runs as root).
 */
export async function launchChromium(): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  if (!CHROMIUM) throw new Error('no Chromium: apt-get install -y chromium');
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'jworker-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
