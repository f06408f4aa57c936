// As a trader, I link a paper account to try CopyTrade, see its balance, test it and unlink
// it; the link form asks each broker for exactly the credentials it needs, and says plainly
// what is missing or not possible yet.
import { Locator, Page } from '@playwright/test';
import { enableTwoFactor, signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';
import { codeAfter } from './support/totp';

/** Opens /accounts and its link form. */
async function openLinkForm(page: Page): Promise<Locator> {
  await page.goto('/accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
  await page.getByRole('button', { name: 'Link an account', exact: true }).click();
  const form = page.getByTestId('link-form');
  await expect(form).toBeVisible();
  return form;
}

/** The `data-testid`s of the credential inputs shown, in order. */
async function credentialInputs(form: Locator): Promise<(string | null)[]> {
  return form
    .getByTestId('credential-fields')
    .locator('input')
    .evaluateAll((inputs) => inputs.map((input) => input.getAttribute('data-testid')));
}

test('linking a paper account, testing it, then unlinking it', async ({ page }) => {
  await signUp(page, uniqueEmail('paper'));
  await page.goto('/accounts');
  await expect(page.getByRole('heading', { name: 'No accounts linked yet' })).toBeVisible();

  const form = await openLinkForm(page);
  await form.getByRole('radio', { name: 'Paper trading' }).check();
  // Paper trading is always a demo, needs no credentials and starts with 100,000.
  await expect(form.getByRole('group', { name: 'Environment' })).toHaveCount(0);
  await expect(form.getByTestId('credential-fields')).toHaveCount(0);
  await expect(form.getByLabel('Starting balance')).toHaveValue('100000');
  await form.getByLabel('Label').fill('Practice');
  await form.getByLabel('Starting balance').fill('25000');
  await form.getByRole('button', { name: 'Link account' }).click();

  await expect(page.getByTestId('accounts-notice')).toContainText('“Practice” is linked');
  await expect(form).toHaveCount(0);
  const card = page.getByTestId('connection');
  await expect(card).toHaveCount(1);
  await expect(card.getByRole('heading', { name: 'Practice' })).toBeVisible();
  await expect(card.getByTestId('connection-broker')).toHaveText('Paper trading');
  await expect(card.getByTestId('connection-environment')).toHaveText('Demo');
  await expect(card.getByTestId('connection-status')).toHaveText('Connected');
  await expect(card).toHaveAttribute('data-status', 'CONNECTED');
  await expect(card.getByTestId('trading-account')).toHaveCount(1);
  await expect(card.getByTestId('account-balance')).toHaveText('25,000.00');
  await expect(card.getByTestId('trading-account')).toContainText('No open positions.');
  // A paper account has no credentials to rotate, and nothing is old enough to need it.
  await expect(card.getByRole('button', { name: 'Rotate credentials' })).toHaveCount(0);
  await expect(card.getByTestId('rotation-due')).toHaveCount(0);

  await card.getByRole('button', { name: 'Test connection' }).click();
  await expect(card.getByTestId('connection-notice')).toContainText('Checked just now: connected.');
  await expect(card.getByTestId('connection-status')).toHaveText('Connected');

  // Unlinking asks first; cancelling leaves the account linked.
  await card.getByRole('button', { name: 'Unlink…', exact: true }).click();
  const confirm = card.getByTestId('unlink-confirm');
  await expect(confirm).toContainText('Unlink “Practice”?');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveCount(1);

  await card.getByRole('button', { name: 'Unlink…', exact: true }).click();
  await confirm.getByRole('button', { name: 'Yes, unlink' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText('“Practice” is unlinked');
  await expect(page.getByRole('heading', { name: 'No accounts linked yet' })).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'No accounts linked yet' })).toBeVisible();

  // Both show up in the security log.
  await page.goto('/settings');
  const log = page.getByTestId('security-events');
  await expect(log.locator('[data-kind="BROKER_LINKED"]')).toContainText('Broker account linked');
  await expect(log.locator('[data-kind="BROKER_UNLINKED"]')).toContainText('Broker account unlinked');
});

test('OKX asks for exactly its key, secret and passphrase, and the server says what is missing', async ({
  page,
}) => {
  await signUp(page, uniqueEmail('okx'));
  const form = await openLinkForm(page);
  await form.getByRole('radio', { name: 'OKX' }).check();

  expect(await credentialInputs(form)).toEqual([
    'credential-apiKey',
    'credential-apiSecret',
    'credential-passphrase',
  ]);
  const fields = form.getByTestId('credential-fields');
  await expect(fields.getByLabel('API key')).toHaveAttribute('type', 'text');
  await expect(fields.getByLabel('API secret')).toHaveAttribute('type', 'password');
  await expect(fields.getByLabel('Passphrase')).toHaveAttribute('type', 'password');
  await expect(form.getByTestId('broker-guidance')).toContainText('withdrawals off, IP whitelist if offered');
  await expect(form.getByLabel('Starting balance')).toHaveCount(0);
  await expect(form.getByRole('radio', { name: 'Demo' })).toBeChecked();

  await form.getByLabel('Label').fill('OKX main');
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(fields.getByText('OKX needs apiKey, apiSecret and passphrase.')).toBeVisible();
  await expect(form.getByTestId('form-error')).toHaveCount(0);

  // Blank fields count as missing.
  await fields.getByLabel('API key').fill('   ');
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(fields.getByText('OKX needs apiKey, apiSecret and passphrase.')).toBeVisible();

  // Complete: this version has no OKX adapter and says so above the form. The secrets are
  // emptied after the attempt; the key stays for another try.
  await fields.getByLabel('API key').fill('okx-key-1234');
  await fields.getByLabel('API secret').fill('okx-secret');
  await fields.getByLabel('Passphrase').fill('okx-passphrase');
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(form.getByTestId('form-error')).toContainText('OKX accounts cannot be linked yet');
  await expect(fields.getByText('OKX needs apiKey')).toHaveCount(0);
  await expect(fields.getByLabel('API secret')).toHaveValue('');
  await expect(fields.getByLabel('Passphrase')).toHaveValue('');
  await expect(fields.getByLabel('API key')).toHaveValue('okx-key-1234');

  // Another broker asks for its own fields, required ones first, and starts empty.
  await form.getByRole('radio', { name: 'Tradovate' }).check();
  expect(await credentialInputs(form)).toEqual([
    'credential-username',
    'credential-password',
    'credential-appId',
    'credential-cid',
    'credential-sec',
    'credential-appVersion',
    'credential-deviceId',
  ]);
  await expect(fields.getByLabel('Client secret (sec)')).toHaveAttribute('type', 'password');
  await expect(fields.getByLabel('App version')).not.toHaveAttribute('aria-required', 'true');
  await expect(fields.getByLabel('Username')).toHaveAttribute('aria-required', 'true');
  await expect(form.getByTestId('broker-guidance')).toContainText('CopyTrade needs your username and password too');
  await expect(page.getByTestId('connection')).toHaveCount(0);
});

test('with two-factor login on, linking asks for a code', async ({ page }) => {
  // Up to one 30-second TOTP step is waited out below.
  test.setTimeout(90_000);
  await signUp(page, uniqueEmail('link-2fa'));
  const twoFactor = await enableTwoFactor(page);

  const form = await openLinkForm(page);
  await form.getByRole('radio', { name: 'Paper trading' }).check();
  await form.getByLabel('Label').fill('Guarded');
  const code = form.getByLabel('Authentication code');
  await expect(code).toBeVisible();
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(form.getByText('Enter the 6-digit code from your authenticator app', { exact: false })).toBeVisible();
  await expect(code).toHaveAttribute('aria-invalid', 'true');

  const { code: fresh } = await codeAfter(twoFactor.secret, twoFactor.usedStep);
  await code.fill(fresh);
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText('“Guarded” is linked');
  await expect(page.getByTestId('connection').getByTestId('account-balance')).toHaveText('100,000.00');
});
