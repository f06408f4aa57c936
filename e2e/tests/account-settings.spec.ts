// As a trader, I change my password, end my sessions and can delete my account from
// Settings; a device that loses its session notices and asks me to log in again.
import { Browser } from '@playwright/test';
import { logOut, PASSWORD, signUp, submitPassword, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

const NEW_PASSWORD = 'a brand new passphrase';

/** A second device: its own browser context (cookies), logged in as `email`. */
async function otherDevice(browser: Browser, clientIp: string, email: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': clientIp } });
  const page = await context.newPage();
  await page.goto('/login?next=/settings');
  await submitPassword(page, email);
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  return { context, page };
}

test('changing the password keeps me logged in here and logs out every other device', async ({
  page,
  browser,
  clientIp,
}) => {
  const email = uniqueEmail('password');
  await signUp(page, email);
  const other = await otherDevice(browser, clientIp, email);
  // A third device that is closed during the change: it finds out when it next opens.
  const closed = await otherDevice(browser, clientIp, email);
  await closed.page.goto('about:blank');

  await page.goto('/settings');
  const card = page.getByTestId('password');
  await card.getByLabel('Current password').fill('not my password');
  await card.getByLabel('New password').fill(NEW_PASSWORD);
  await card.getByRole('button', { name: 'Change password' }).click();
  await expect(card.getByText('That is not your current password.')).toBeVisible();

  await card.getByLabel('Current password').fill(PASSWORD);
  await card.getByLabel('New password').fill('short');
  await card.getByRole('button', { name: 'Change password' }).click();
  await expect(card.getByText('New password must be at least 10 characters.')).toBeVisible();

  await card.getByLabel('New password').fill(NEW_PASSWORD);
  await card.getByRole('button', { name: 'Change password' }).click();
  await expect(card.getByTestId('password-changed')).toContainText('Every other browser and device was logged out');
  await expect(card.getByLabel('Current password')).toHaveValue('');

  // This browser got a fresh session: it stays in, across a reload too.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await expect(page.getByTestId('security-events').locator('[data-kind="PASSWORD_CHANGED"]')).toHaveCount(1);

  // The open device is told at once: the server closes its live connection.
  await expect(other.page).toHaveURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/settings');
  await expect(other.page.getByTestId('session-notice')).toContainText('Your session has ended');
  await expect(other.page.getByTestId('live-status')).toHaveText('Live');

  // The closed one on its next visit; its dead cookie is cleared and the live feed works.
  await closed.page.goto('/settings');
  await expect(closed.page).toHaveURL((url) => url.pathname === '/login');
  await expect(closed.page.getByTestId('live-status')).toHaveText('Live');

  // Only the new password opens the account now.
  await submitPassword(closed.page, email);
  await expect(closed.page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  await submitPassword(closed.page, email, NEW_PASSWORD);
  await expect(closed.page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();

  await other.context.close();
  await closed.context.close();
});

test('logging out of all devices ends this session too', async ({ page, browser, clientIp }) => {
  const email = uniqueEmail('everywhere');
  await signUp(page, email);
  const other = await otherDevice(browser, clientIp, email);

  await page.goto('/settings');
  const card = page.getByTestId('sessions');
  await card.getByRole('button', { name: 'Log out of all devices' }).click();
  await card.getByRole('button', { name: 'Yes, log out everywhere' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  await expect(page.getByTestId('session-notice')).toHaveText('You were logged out of every browser and device.');

  await other.page.reload();
  await expect(other.page).toHaveURL((url) => url.pathname === '/login');
  await other.context.close();

  await page.goto('/settings');
  await expect(page).toHaveURL((url) => url.pathname === '/login');
});

test('deleting the account asks for the password, then logs out for good', async ({ page }) => {
  const email = uniqueEmail('delete');
  await signUp(page, email);
  await page.goto('/settings');
  const card = page.getByTestId('delete-account');

  await card.getByRole('button', { name: 'Delete account…' }).click();
  const form = card.getByTestId('delete-form');
  await form.getByLabel('Password', { exact: true }).fill('not my password');
  await form.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(form.getByText('That is not your current password.')).toBeVisible();

  // Cancelling closes the form and forgets what was typed.
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toHaveCount(0);
  await card.getByRole('button', { name: 'Delete account…' }).click();
  await expect(form.getByLabel('Password', { exact: true })).toHaveValue('');

  await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await form.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  await expect(page.getByTestId('session-notice')).toHaveText('Your account and everything it held are deleted.');

  await submitPassword(page, email);
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  // The email is free again.
  await signUp(page, email);
  await logOut(page);
});
