// As a trader who left CopyTrade open for hours, when I make a change that could move my money
// (a new webhook, an API token), the app asks for my password right there, and once I give it,
// the change goes ahead without my clicking again. Someone who finds my browser open cannot.
//
// "Hours ago" is made, not waited for: the test re-signs its own session with an `iat` three
// hours back (support/session.ts), which is what the server sees of a log-in that old.
import { Page } from '@playwright/test';
import { enableTwoFactor, PASSWORD, signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';
import { ageSession, claimsOf, sessionToken } from './support/session';

function prompt(page: Page) {
  return page.getByRole('dialog', { name: 'Confirm it is you' });
}

test('an old session asks for the password in place, and the webhook is made once it is given', async ({
  page,
  context,
}) => {
  await signUp(page, uniqueEmail('sudo'));
  await ageSession(context, 3);
  await page.goto('/webhooks');
  await expect(page.getByRole('heading', { name: 'No webhooks yet' })).toBeVisible();

  await page.getByRole('button', { name: 'New webhook' }).click();
  const form = page.getByTestId('create-webhook-form');
  await form.getByLabel('Name').fill('After lunch');
  await form.getByRole('button', { name: 'Create webhook' }).click();

  // Asked in place; the second factor is not asked for, since it is off.
  const dialog = prompt(page);
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('more than 2 hours ago');
  await expect(dialog.getByLabel('Password')).toBeFocused();
  await expect(dialog.getByLabel('Authentication code')).toHaveCount(0);

  // Cancelled: nothing is made, and the form says why.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(form.getByTestId('form-error')).toHaveText('The action needs your password, so it was not done.');
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);

  // A wrong password keeps the dialog open with the error.
  await form.getByRole('button', { name: 'Create webhook' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Password').fill('not my password');
  await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
  await expect(dialog.getByText('That is not your current password.')).toBeVisible();
  await expect(dialog).toBeVisible();

  // The right one: the webhook is made without another click.
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
  await expect(dialog).toBeHidden();
  const secret = page.getByTestId('webhook-secret');
  await expect(secret.getByRole('heading', { name: '“After lunch” is ready' })).toBeVisible();
  const firstUrl = (await secret.getByTestId('webhook-url').textContent()) ?? '';
  expect(firstUrl).toContain('/hooks/');
  await expect(page.getByTestId('webhook')).toHaveCount(1);

  // The server gave this browser a fresh session: the next sensitive change just happens.
  expect(Date.now() / 1000 - claimsOf(await sessionToken(context)).iat).toBeLessThan(120);
  await secret.getByRole('button', { name: /^I have saved the URL/ }).click();
  await expect(secret).toHaveCount(0);
  await page.getByRole('button', { name: 'Rotate URL…' }).click();
  await page.getByTestId('rotate-confirm').getByRole('button', { name: 'Yes, rotate' }).click();
  await expect(secret.getByTestId('webhook-url')).toContainText('/hooks/');
  expect(await secret.getByTestId('webhook-url').textContent()).not.toBe(firstUrl);
  await expect(dialog).toBeHidden();
});

test('with two-factor login on, the prompt asks for a code too, and an API token is made after it', async ({
  page,
  context,
}) => {
  await signUp(page, uniqueEmail('sudo-2fa'));
  const { backupCodes } = await enableTwoFactor(page);
  await page.getByTestId('two-factor').getByRole('button', { name: 'I have saved them' }).click();
  await ageSession(context, 3);
  await page.reload();

  const card = page.getByTestId('api-tokens');
  await card.getByRole('button', { name: 'New API token' }).click();
  const form = card.getByTestId('create-api-token-form');
  await form.getByLabel('Name').fill('Night bot');
  await form.getByRole('button', { name: 'Create token' }).click();

  const dialog = prompt(page);
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('an authentication code');
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByLabel('Authentication code').fill('000000');
  await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
  await expect(dialog.getByText('That code is wrong or was already used.', { exact: false })).toBeVisible();

  // A backup code stands in for the authenticator, as at log-in.
  await dialog.getByLabel('Authentication code').fill(backupCodes[0]);
  await dialog.getByRole('button', { name: 'Confirm and continue' }).click();
  await expect(dialog).toBeHidden();
  const secret = card.getByTestId('api-token-secret');
  await expect(secret).toContainText('“Night bot”');
  await expect(secret.getByTestId('api-token-value')).toHaveText(/^ctk_/);
  await expect(card.getByTestId('api-token')).toHaveCount(1);
});
