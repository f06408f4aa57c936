// As a trader opening CopyTrade, I see which server I am on and that its live feed works.
import { expect, test } from '@playwright/test';

const CLOCK = /^(\d{2}):(\d{2}):(\d{2}) UTC$/;

/** Seconds between a `HH:MM:SS UTC` reading and this machine's clock, across midnight. */
function secondsFromNow(reading: string): number {
  const [, h, m, s] = CLOCK.exec(reading) ?? [];
  const server = Number(h) * 3600 + Number(m) * 60 + Number(s);
  const now = new Date();
  const local = now.getUTCHours() * 3600 + now.getUTCMinutes() * 60 + now.getUTCSeconds();
  const diff = Math.abs(server - local) % 86_400;
  return Math.min(diff, 86_400 - diff);
}

test('opening the app shows the server version, its database and a ticking clock', async ({ page }) => {
  await page.goto('/');
  const statusBar = page.getByTestId('status-bar');

  await expect(statusBar.getByTestId('server-version')).toHaveText(/^v\d+\.\d+\.\d+/);
  await expect(statusBar.getByTestId('server-database')).toHaveText('SQLite');
  await expect(statusBar.getByTestId('live-status')).toHaveText('Live');
  await expect(statusBar.getByTestId('live-status')).toHaveAttribute('data-state', 'live');

  // The clock comes over the WebSocket subscription, once a second.
  const clock = statusBar.getByTestId('server-time');
  await expect(clock).toHaveText(CLOCK);
  const first = (await clock.textContent()) ?? '';
  await expect(clock).not.toHaveText(first, { timeout: 3_000 });
  const second = (await clock.textContent()) ?? '';
  expect(second).toMatch(CLOCK);
  // Same machine: the server's UTC clock and ours agree.
  expect(secondsFromNow(second)).toBeLessThanOrEqual(5);
});

test("the dashboard's Server card shows the same facts", async ({ page }) => {
  await page.goto('/');
  const card = page.getByTestId('server-card');
  const version = (await page.getByTestId('server-version').textContent()) ?? '';
  expect(version).toMatch(/^v\d+\.\d+\.\d+/);

  await expect(card.getByRole('heading', { name: 'Server' })).toBeVisible();
  await expect(card).toContainText(version);
  await expect(card).toContainText('SQLite');
  await expect(card).toContainText(/\d{2}:\d{2}:\d{2} UTC/);
  await expect(card).toContainText('Live');
});

test('when the live connection drops, the app reconnects and the clock resumes', async ({ page }) => {
  // Sit between page and server so the test can cut the socket like a network blip would.
  const sockets: { close: (options?: { code?: number; reason?: string }) => Promise<void> }[] = [];
  await page.routeWebSocket('/graphql/ws', (socket) => {
    socket.connectToServer();
    sockets.push(socket);
  });

  await page.goto('/');
  const status = page.getByTestId('live-status');
  const clock = page.getByTestId('server-time');
  await expect(status).toHaveText('Live');
  await expect(clock).toHaveText(CLOCK);
  expect(sockets).toHaveLength(1);

  await sockets[0].close({ code: 1012, reason: 'service restart' });
  await expect(status).toHaveText(/reconnecting/i);
  await expect(status).toHaveText('Live', { timeout: 10_000 });
  expect(sockets).toHaveLength(2);

  // The subscription was renewed on the new socket: the clock ticks again.
  const after = (await clock.textContent()) ?? '';
  await expect(clock).not.toHaveText(after, { timeout: 3_000 });
  await expect(clock).toHaveText(CLOCK);
});
