// As a trader, I send a signal to my webhook and watch it being copied: both follower accounts
// of my copy group fill, and the fills appear on the Dashboard as they happen; the Trade log
// shows each follower's copy with its fill and exports it as CSV; the kill switch stops all
// copying and closes every follower's position, and the closing fills arrive live too.
//
// Accounts and the webhook are made through the UI; the copy group through the API from the
// logged-in page (the Copy groups page has its own test). The signal comes from outside the
// browser, with the real curl, the way TradingView (or any script) sends one.
import { Locator, Page, WebSocketRoute } from '@playwright/test';
import { downloadText, signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';
import {
  Account,
  BUY_SIGNAL,
  createCopyGroup,
  createWebhook,
  linkPaperAccount,
  sendWithCurl,
  tradingAccounts,
} from './support/trading';

const WEBHOOK = 'TradingView ES';
const GROUP = 'ES followers';
// The signal names TradingView's continuous contract, `ES1!`; followers trade its root.
const SYMBOL = 'ES';

/** A new user with two paper accounts following a webhook's signals; returns the webhook URL. */
async function setUpCopying(page: Page, label: string): Promise<{ url: string; followers: Account[] }> {
  await signUp(page, uniqueEmail(label));
  await linkPaperAccount(page, 'Follower A');
  await linkPaperAccount(page, 'Follower B');
  const url = await createWebhook(page, WEBHOOK);
  const followers = await tradingAccounts(page);
  expect(followers.map((account) => account.label)).toEqual(['Follower A', 'Follower B']);
  // Each fill names its account: the two names must tell them apart.
  expect(followers[0].name).not.toBe(followers[1].name);
  await createCopyGroup(page, GROUP, WEBHOOK, followers);
  return { url, followers };
}

/** Sends the buy signal with curl; the webhook takes it. */
function sendBuySignal(url: string): void {
  const answer = sendWithCurl(url, BUY_SIGNAL);
  expect(answer).toContain('"status":"accepted"');
}

/** Opens the Dashboard and waits until its fills feed is live. */
async function openDashboard(page: Page): Promise<Locator> {
  await page.goto('/');
  const feed = page.getByTestId('fills');
  await expect(feed.getByTestId('fills-live')).toHaveAttribute('data-state', 'live');
  return feed;
}

/** Marks the page, so the test can tell it was never reloaded (a reload drops the mark). */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { notReloaded?: boolean }).notReloaded = true;
  });
}

async function wasNotReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
}

test('create a webhook and a group of two paper followers, send a signal with curl, see both fills appear on the Dashboard without reloading', async ({
  page,
}) => {
  // Signing up, linking two accounts and making a webhook come first.
  test.setTimeout(90_000);
  const { url, followers } = await setUpCopying(page, 'copier');

  const feed = await openDashboard(page);
  await expect(feed.getByTestId('fills-empty')).toBeVisible();
  const group = page.getByTestId('group-status').getByTestId('group');
  await expect(group).toHaveCount(1);
  await expect(group.getByTestId('group-name')).toHaveText(GROUP);
  await expect(group.getByTestId('group-state')).toHaveText('Copying');
  await expect(group.getByTestId('group-followers')).toHaveText('2 followers');
  await expect(group.getByTestId('group-latest')).toHaveText('No copied orders yet.');
  await expect(page.getByTestId('overview-empty')).toHaveCount(0);
  await markPage(page);

  sendBuySignal(url);

  // One fill per follower, named, as the broker reported it: no reload, no click.
  const fills = feed.getByTestId('fill');
  await expect(fills).toHaveCount(2);
  for (const account of followers) {
    const fill = fills.filter({ hasText: account.name });
    await expect(fill).toHaveCount(1);
    await expect(fill.getByTestId('fill-account')).toHaveText(account.name);
    await expect(fill.getByTestId('fill-symbol')).toHaveText(SYMBOL);
    await expect(fill.getByTestId('fill-side')).toHaveText('Buy');
    await expect(fill.getByTestId('fill-size')).toHaveText(/^1 @ \d{1,3}(,\d{3})*\.\d{2,8}$/);
    await expect(fill.getByTestId('fill-time')).toHaveText(/^\d{2}:\d{2}:\d{2} UTC$/);
  }
  await expect(feed.getByTestId('fills-empty')).toHaveCount(0);
  // The group's latest copy, from the live order updates.
  await expect(group.getByTestId('group-latest')).toHaveAttribute('data-status', 'FILLED');
  await expect(group.getByTestId('group-latest')).toContainText('Filled');
  expect(await wasNotReloaded(page)).toBe(true);

  // The feed is the server's too: after a reload the same two fills are listed.
  await page.reload();
  await expect(fills).toHaveCount(2);
});

test('fills made while the live connection is down show up once it is back, without reloading', async ({ page }) => {
  test.setTimeout(90_000);
  const { url, followers } = await setUpCopying(page, 'reconnect');
  // Sit between page and server, to cut the live connection and keep it down for a while.
  let online = true;
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket('/graphql/ws', (socket) => {
    sockets.push(socket);
    // Offline, the socket opens but nothing answers, like a dead network.
    if (online) socket.connectToServer();
  });
  const feed = await openDashboard(page);
  await expect(feed.getByTestId('fills-empty')).toBeVisible();
  await markPage(page);

  online = false;
  await sockets[sockets.length - 1].close({ code: 1012, reason: 'service restart' });
  const live = feed.getByTestId('fills-live');
  await expect(live).toHaveAttribute('data-state', 'reconnecting');
  // Copied and filled while nobody listens: the subscription cannot deliver these.
  sendBuySignal(url);
  await expect(feed.getByTestId('fills-empty')).toBeVisible();

  online = true;
  await sockets[sockets.length - 1].close();
  await expect(live).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
  const fills = feed.getByTestId('fill');
  await expect(fills).toHaveCount(2);
  for (const account of followers) await expect(fills.filter({ hasText: account.name })).toHaveCount(1);
  expect(await wasNotReloaded(page)).toBe(true);
});

test('the trade log shows the signal with both followers filled, filters it and exports it as CSV', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const { url, followers } = await setUpCopying(page, 'trade-log');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trade log', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trade log' })).toBeVisible();
  await expect(page.getByTestId('log-empty')).toContainText('No signals yet');

  // The signal's copies arrive live: the page offers to show them.
  sendBuySignal(url);
  const behind = page.getByTestId('log-behind');
  await expect(behind).toContainText('New copies arrived');
  await behind.getByRole('button', { name: 'Show them' }).click();
  await expect(behind).toHaveCount(0);

  const entry = page.getByTestId('log-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry).toHaveAttribute('data-status', 'ACCEPTED');
  await expect(entry.getByTestId('log-entry-status')).toHaveText('Accepted');
  await expect(entry.getByTestId('log-entry-time')).toHaveText(/^\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2} UTC$/);
  await expect(entry.getByTestId('log-entry-result')).toHaveText(/\S/);
  const orders = entry.getByTestId('log-order');
  await expect(orders).toHaveCount(2);
  await expect(orders.getByTestId('order-status')).toHaveText(['Filled', 'Filled']);
  for (const account of followers) {
    const order = orders.filter({ hasText: account.name });
    await expect(order).toHaveCount(1);
    await expect(order).toHaveAttribute('data-status', 'FILLED');
    await expect(order.getByTestId('order-account')).toHaveText(account.name);
    await expect(order.getByTestId('order-group')).toHaveText(GROUP);
    await expect(order.getByTestId('order-what')).toHaveText(`Buy 1 ${SYMBOL} market`);
    await expect(order.getByTestId('order-filled')).toHaveText(/^1 @ \d{1,3}(,\d{3})*\.\d{2,8}$/);
    await expect(order.getByTestId('order-latency')).toHaveText(/^\d+ ms$/);
  }
  await expect(page.getByTestId('log-end')).toBeVisible();

  // The payload as received is folded away until asked for.
  const payload = entry.getByTestId('log-entry-payload');
  await expect(payload).toBeHidden();
  await entry.getByText('Raw payload').click();
  await expect(payload).toHaveText(BUY_SIGNAL);

  // Filters narrow the log at once.
  const filters = page.getByTestId('log-filters');
  await filters.getByLabel('Copy status').selectOption('REJECTED');
  await expect(page.getByTestId('log-empty')).toContainText('Nothing matches these filters');
  await filters.getByRole('button', { name: 'Clear filters' }).click();
  await expect(orders).toHaveCount(2);
  await filters.getByLabel('Account', { exact: true }).selectOption(followers[0].id);
  await expect(orders).toHaveCount(1);
  await expect(orders.getByTestId('order-account')).toHaveText(followers[0].name);
  await filters.getByRole('button', { name: 'Clear filters' }).click();
  await expect(orders).toHaveCount(2);

  // The CSV holds one line per copy, with the client order ids and the account names.
  const clientOrderIds = await orders.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-client-order-id')));
  expect(clientOrderIds.every((id) => !!id)).toBe(true);
  const { name, text } = await downloadText(page, () => page.getByRole('button', { name: 'Export CSV' }).click());
  expect(name).toMatch(/^copytrade-trade-log-\d{4}-\d{2}-\d{2}\.csv$/);
  await expect(page.getByTestId('export-status')).toHaveText('Saved 1 signal.');
  const lines = text.replace(/^\uFEFF/, '').split('\r\n').filter((line) => line.length > 0);
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^signal_id,received_at,signal_status,/);
  for (const id of clientOrderIds) expect(text).toContain(`,${id},`);
  for (const account of followers) expect(text).toContain(`,${account.name},`);
  for (const line of lines.slice(1)) {
    expect(line).toContain(',ACCEPTED,');
    expect(line).toContain(',FILLED,');
    expect(line).toContain(`,${GROUP},`);
  }
  // The payload's quotes are doubled inside a quoted field.
  expect(lines[1].endsWith(`"${BUY_SIGNAL.replace(/"/g, '""')}"`)).toBe(true);
});

test('the kill switch pauses the group, flattens both followers, and their closing fills arrive live', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const { url, followers } = await setUpCopying(page, 'kill-switch');
  const feed = await openDashboard(page);
  await markPage(page);
  sendBuySignal(url);
  const fills = feed.getByTestId('fill');
  await expect(fills).toHaveCount(2);

  const killSwitch = page.getByTestId('kill-switch');
  await killSwitch.getByRole('button', { name: 'Kill switch', exact: true }).click();
  const confirm = killSwitch.getByTestId('kill-switch-confirm');
  await expect(confirm).toContainText('Pause every copy group now?');
  // Cancelling changes nothing.
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId('group-state')).toHaveText('Copying');

  await killSwitch.getByRole('button', { name: 'Kill switch', exact: true }).click();
  const flatten = confirm.getByRole('checkbox', {
    name: 'Also cancel working orders and close every follower position',
  });
  await expect(flatten).not.toBeChecked();
  await flatten.check();
  await confirm.getByRole('button', { name: 'Stop copying and flatten' }).click();

  const result = killSwitch.getByTestId('kill-switch-result');
  await expect(result.getByTestId('kill-switch-paused')).toHaveText('1 copy group paused.');
  const flattened = result.getByTestId('kill-switch-flattened');
  await expect(flattened).toHaveAttribute('data-count', '2');
  await expect(flattened).toContainText('2 accounts flattened');
  for (const account of followers) await expect(flattened).toContainText(account.name);
  await expect(result.getByTestId('kill-switch-failure')).toHaveCount(0);
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId('group-state')).toHaveText('Paused');

  // Each follower's long position is closed by a sell, which the feed shows as it fills.
  await expect(fills).toHaveCount(4);
  const sells = feed.locator('[data-testid="fill"][data-side="SELL"]');
  await expect(sells).toHaveCount(2);
  for (const account of followers) {
    const sell = sells.filter({ hasText: account.name });
    await expect(sell).toHaveCount(1);
    await expect(sell.getByTestId('fill-symbol')).toHaveText(SYMBOL);
    await expect(sell.getByTestId('fill-size')).toHaveText(/^1 @ /);
  }
  expect(await wasNotReloaded(page)).toBe(true);
});
