// The `test` of every spec that logs in: each test is its own client, at its own IP address.
//
// The server allows 10 log-in attempts per client IP in 15 minutes. All tests run from one
// machine, so they would share that budget and depend on each other's order. The test server
// trusts this machine as a reverse proxy (COPYTRADE_TRUSTED_PROXIES in playwright.config.ts),
// and each test's browser says, as a proxy would, which client it forwards for: a random
// private address.
import { test as base } from '@playwright/test';
import { randomInt } from 'node:crypto';

export { expect } from '@playwright/test';

export const test = base.extend<{ clientIp: string }>({
  clientIp: async ({}, use) => {
    await use(`10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`);
  },
  extraHTTPHeaders: async ({ clientIp }, use) => {
    await use({ 'X-Forwarded-For': clientIp });
  },
});
