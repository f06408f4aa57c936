// As a trader, I make a webhook for my TradingView alerts, copy its URL and signing secret
// (shown only once), and see every signal that reaches it, accepted or rejected; I can send a
// test signal, limit who may send, require my scripts to sign, rotate the URL and the secret
// when they leak, and delete the webhook.
//
// Signals are sent the way TradingView sends them: a POST to the URL from outside the browser
// (Playwright's request context, which carries this test's client IP like the page does).
// Signed ones the way a script signs them (the README's openssl line, in Node).
import { createHmac } from 'node:crypto';
import { Locator, Page } from '@playwright/test';
import { signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

const FIRST_SIGNAL = '{"ticker":"ES1!","action":"buy","quantity":1}';
// "hold" is no action the server knows: the signal is logged as rejected, naming the field.
const MALFORMED_SIGNAL = '{"ticker":"ES1!","action":"hold","quantity":1}';
// TradingView sends alert messages as text/plain; the server reads the body whatever its type.
const AS_TRADINGVIEW = { 'content-type': 'text/plain' };

/** Reads the URL and signing secret from the one-time panel, checking the URL is this server's. */
async function takeUrl(page: Page): Promise<{ url: string; secret: string }> {
  const panel = page.getByTestId('webhook-secret');
  await expect(panel).toContainText('shown only this once');
  const url = ((await panel.getByTestId('webhook-url').textContent()) ?? '').trim();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:18080\/hooks\/[A-Za-z0-9_-]{20,}$/);
  const secret = ((await panel.getByTestId('webhook-signing-secret').textContent()) ?? '').trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  return { url, secret };
}

/** `X-CopyTrade-Signature` for `body`, signed now with `secret`. */
function signature(secret: string, body: string): Record<string, string> {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return { ...AS_TRADINGVIEW, 'x-copytrade-signature': `t=${t},v1=${v1}` };
}

/** The table's rows, newest first. */
function signalRows(page: Page): Locator {
  return page.getByTestId('signals').getByTestId('signal');
}

test('a webhook receives signals, shows its URL once, rotates it and is deleted', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  await signUp(page, uniqueEmail('webhooks'));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/webhooks');
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No webhooks yet' })).toBeVisible();
  await expect(page.getByTestId('signals-empty')).toBeVisible();

  // Create it: the URL, the TradingView message and a curl command appear once.
  await page.getByRole('button', { name: 'New webhook' }).click();
  const form = page.getByTestId('create-webhook-form');
  await form.getByLabel('Name').fill('TradingView ES');
  await form.getByRole('button', { name: 'Create webhook' }).click();
  const { url, secret } = await takeUrl(page);
  const panel = page.getByTestId('webhook-secret');
  await expect(panel.getByRole('heading', { name: '“TradingView ES” is ready' })).toBeVisible();
  await expect(panel.getByTestId('tradingview-message')).toHaveText(
    '{"ticker":"{{ticker}}","action":"{{strategy.order.action}}","sentiment":"{{strategy.market_position}}","quantity":"{{strategy.order.contracts}}","price":"{{close}}","id":"{{strategy.order.id}}-{{timenow}}"}',
  );
  await expect(panel.getByTestId('curl-example')).toHaveText(
    `curl -X POST -H 'Content-Type: application/json' -d '${FIRST_SIGNAL}' ${url}`,
  );
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await panel.getByRole('button', { name: 'Copy URL' }).click();
  await expect(panel.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  // The signing secret, with how a script uses it, and its own copy button.
  expect(url).not.toContain(secret.slice('whsec_'.length));
  await expect(panel.getByTestId('signature-format')).toContainText(
    'X-CopyTrade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with this secret>',
  );
  await panel.getByRole('button', { name: 'Copy signing secret' }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  const card = page.getByTestId('webhook');
  await expect(card).toHaveCount(1);
  await expect(card.getByRole('heading', { name: 'TradingView ES' })).toBeVisible();
  const hint = ((await card.getByTestId('webhook-token-hint').textContent()) ?? '').replace(/•/g, '');
  expect(hint.length).toBeGreaterThan(0);
  expect(url.endsWith(hint)).toBe(true);
  await expect(card.getByTestId('webhook-last-signal')).toHaveText('never');
  await expect(card.getByTestId('webhook-signature')).toHaveText('Not required');
  await expect(card.getByTestId('webhook-allowed')).toHaveText('Anyone with the URL');

  // Once closed, the URL and the secret are nowhere to be seen again.
  await panel.getByRole('button', { name: 'I have saved the URL and secret' }).click();
  await expect(panel).toHaveCount(0);
  await page.reload();
  await expect(card.getByRole('heading', { name: 'TradingView ES' })).toBeVisible();
  await expect(page.getByText(url)).toHaveCount(0);
  await expect(page.getByText(secret)).toHaveCount(0);

  // A signal from outside, as TradingView would send it, shows up after a refresh.
  const accepted = await request.post(url, { data: FIRST_SIGNAL, headers: AS_TRADINGVIEW });
  expect(accepted.status()).toBe(202);
  expect(await accepted.json()).toMatchObject({ status: 'accepted' });
  await page.getByTestId('signals').getByRole('button', { name: 'Refresh' }).click();
  await expect(signalRows(page)).toHaveCount(1);
  const first = signalRows(page).first();
  await expect(first).toHaveAttribute('data-status', 'ACCEPTED');
  await expect(first.getByTestId('signal-status')).toHaveText('Accepted');
  await expect(first.getByTestId('signal-webhook')).toHaveText('TradingView ES');
  await expect(first.getByTestId('signal-payload')).toHaveText(FIRST_SIGNAL);
  await expect(first.getByTestId('signal-payload')).toHaveAttribute('title', FIRST_SIGNAL);
  await expect(card.getByTestId('webhook-last-signal')).not.toHaveText('never');

  // The test signal (buy 1 ES1! at market, another body) is accepted and listed on top.
  await card.getByRole('button', { name: 'Send test signal' }).click();
  const result = card.getByTestId('test-signal-result');
  await expect(result).toHaveAttribute('data-status', 'accepted');
  await expect(result).toContainText('Test signal accepted');
  await expect(signalRows(page)).toHaveCount(2);
  await expect(signalRows(page).first()).toHaveAttribute('data-status', 'ACCEPTED');
  await expect(signalRows(page).first().getByTestId('signal-payload')).toContainText('"orderType":"market"');

  // A malformed signal is refused with 400, and logged as rejected, naming the field.
  const malformed = await request.post(url, { data: MALFORMED_SIGNAL, headers: AS_TRADINGVIEW });
  expect(malformed.status()).toBe(400);
  await page.getByTestId('signals').getByRole('button', { name: 'Refresh' }).click();
  await expect(signalRows(page)).toHaveCount(3);
  const rejected = signalRows(page).first();
  await expect(rejected).toHaveAttribute('data-status', 'REJECTED');
  await expect(rejected.getByTestId('signal-status')).toHaveText('Rejected');
  await expect(rejected.getByTestId('signal-error-field')).toHaveText('action');
  await expect(rejected.getByTestId('signal-payload')).toHaveText(MALFORMED_SIGNAL);

  // Who may send: each switch saves at once and the card says what the server keeps.
  const requireSignature = card.getByRole('switch', { name: 'Require signature' });
  await requireSignature.check();
  await expect(card.getByTestId('webhook-signature')).toHaveText('Required');
  // Now only signed requests go through, each once.
  const unsigned = await request.post(url, { data: FIRST_SIGNAL, headers: AS_TRADINGVIEW });
  expect(unsigned.status()).toBe(401);
  const SIGNED_SIGNAL = '{"ticker":"ES1!","action":"sell","quantity":1}';
  const signedHeaders = signature(secret, SIGNED_SIGNAL);
  const signed = await request.post(url, { data: SIGNED_SIGNAL, headers: signedHeaders });
  expect(signed.status()).toBe(202);
  const replayed = await request.post(url, { data: SIGNED_SIGNAL, headers: signedHeaders });
  expect(replayed.status()).toBe(401);
  expect((await replayed.json()).error.message).toContain('received already');
  await requireSignature.uncheck();
  await expect(card.getByTestId('webhook-signature')).toHaveText('Not required');
  const tradingView = card.getByRole('switch', { name: "Only TradingView's servers" });
  await tradingView.check();
  await expect(card.getByTestId('webhook-allowed')).toContainText("TradingView's alert servers only");
  await page.reload();
  await expect(tradingView).toBeChecked();
  await tradingView.uncheck();
  await expect(card.getByTestId('webhook-allowed')).toHaveText('Anyone with the URL');
  await expect(tradingView).not.toBeChecked();

  // Rotating asks first; the new URL and secret are shown once, and the old URL answers 404
  // at once (the old secret signs nothing either).
  await card.getByRole('button', { name: 'Rotate URL…' }).click();
  const rotateConfirm = card.getByTestId('rotate-confirm');
  await expect(rotateConfirm).toContainText('Rotate the URL of “TradingView ES”?');
  await rotateConfirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(rotateConfirm).toHaveCount(0);
  await card.getByRole('button', { name: 'Rotate URL…' }).click();
  await rotateConfirm.getByRole('button', { name: 'Yes, rotate' }).click();
  const { url: rotatedUrl, secret: rotatedSecret } = await takeUrl(page);
  expect(rotatedUrl).not.toBe(url);
  expect(rotatedSecret).not.toBe(secret);
  await expect(page.getByTestId('webhook-secret')).toContainText('The old URL has stopped working');
  await expect(page.getByTestId('webhook-secret')).toContainText('so has the old signing secret');
  const gone = await request.post(url, { data: '{"ticker":"NQ1!","action":"sell","quantity":1}', headers: AS_TRADINGVIEW });
  expect(gone.status()).toBe(404);
  const ROTATED_SIGNAL = '{"ticker":"NQ1!","action":"sell","quantity":2}';
  const oldSecret = await request.post(rotatedUrl, { data: ROTATED_SIGNAL, headers: signature(secret, ROTATED_SIGNAL) });
  expect(oldSecret.status()).toBe(401);
  const works = await request.post(rotatedUrl, {
    data: ROTATED_SIGNAL,
    headers: signature(rotatedSecret, ROTATED_SIGNAL),
  });
  expect(works.status()).toBe(202);

  // Deleting asks first too; the signals stay in the log.
  await card.getByRole('button', { name: 'Delete…' }).click();
  const deleteConfirm = card.getByTestId('delete-confirm');
  await expect(deleteConfirm).toContainText('Delete “TradingView ES”?');
  await deleteConfirm.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page.getByTestId('webhooks-notice')).toContainText('“TradingView ES” is deleted');
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'No webhooks yet' })).toBeVisible();
  // 3 before, 3 while signatures were required (unsigned, signed, replayed), 2 after rotating.
  await expect(signalRows(page)).toHaveCount(8);
  const deletedAfter = await request.post(rotatedUrl, { data: FIRST_SIGNAL, headers: AS_TRADINGVIEW });
  expect(deletedAfter.status()).toBe(404);
});
