// As a trader on my phone, I can open the menu, move around, log in and out, and read the
// status; no page scrolls sideways.
import { Page } from '@playwright/test';
import { enableTwoFactor, signUp, submitPassword, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

const PUBLIC_PATHS = ['/', '/login', '/signup', '/forgot-password', '/reset-password', '/verify-email', '/no/such/page'];
const PRIVATE_PATHS = ['/', '/accounts', '/webhooks', '/copy-groups', '/trade-log', '/settings'];

async function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test('the menu button opens the navigation, and choosing a page closes it', async ({ page }) => {
  await signUp(page, uniqueEmail('phone-menu'));
  const toggle = page.getByTestId('nav-toggle');
  const nav = page.getByRole('navigation', { name: 'Main' });

  await expect(toggle).toBeVisible();
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');

  await toggle.tap();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(nav).toBeVisible();
  for (const name of ['Dashboard', 'Accounts', 'Webhooks', 'Copy groups', 'Trade log', 'Settings']) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeInViewport();
  }
  await expect(nav.getByRole('button', { name: 'Log out' })).toBeInViewport();

  await nav.getByRole('link', { name: 'Trade log', exact: true }).tap();
  await expect(page.getByRole('heading', { level: 1, name: 'Trade log' })).toBeVisible();
  await expect(page).toHaveURL((url) => url.pathname === '/trade-log');
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');

  // Tapping the button again closes the menu without navigating.
  await toggle.tap();
  await expect(nav).toBeVisible();
  await toggle.tap();
  await expect(nav).toBeHidden();
});

test('logging out and in from the menu', async ({ page }) => {
  const email = uniqueEmail('phone-session');
  await signUp(page, email);
  const toggle = page.getByTestId('nav-toggle');
  const nav = page.getByRole('navigation', { name: 'Main' });

  await toggle.tap();
  await expect(nav.getByTestId('nav-user')).toHaveText(email);
  await nav.getByRole('button', { name: 'Log out' }).tap();
  await expect(page.getByRole('heading', { level: 1, name: 'Log in to CopyTrade' })).toBeVisible();
  await expect(nav).toBeHidden();

  await toggle.tap();
  await expect(nav.getByRole('link', { name: 'Sign up', exact: true })).toBeInViewport();
  await nav.getByRole('link', { name: 'Log in', exact: true }).tap();
  await submitPassword(page, email);
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
});

test('the status bar stays on screen with the version and live state', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('server-version')).toBeInViewport();
  await expect(page.getByTestId('server-time')).toBeInViewport();
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  await expect(page.getByTestId('live-status')).toBeInViewport();
});

test('no page is wider than the phone', async ({ page }) => {
  for (const path of PUBLIC_PATHS) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await sidewaysOverflow(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  await signUp(page, uniqueEmail('phone-width'));
  for (const path of PRIVATE_PATHS) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await sidewaysOverflow(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  // The widest parts of Settings: the QR code with its key, then the backup codes.
  await page.goto('/settings');
  await page.getByRole('button', { name: 'Set up two-factor login' }).tap();
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  expect(await sidewaysOverflow(page), 'two-factor setup scrolls sideways').toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Cancel' }).tap();
  await enableTwoFactor(page);
  expect(await sidewaysOverflow(page), 'backup codes scroll sideways').toBeLessThanOrEqual(0);

  // The widest parts of Webhooks: the one-time URL with its messages, and the signals table.
  await page.goto('/webhooks');
  await page.getByRole('button', { name: 'New webhook' }).tap();
  await page.getByLabel('Name').fill('Phone');
  await page.getByRole('button', { name: 'Create webhook' }).tap();
  await expect(page.getByTestId('webhook-url')).toBeVisible();
  expect(await sidewaysOverflow(page), 'the one-time URL scrolls sideways').toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Send test signal' }).tap();
  await expect(page.getByTestId('signal')).toHaveCount(1);
  expect(await sidewaysOverflow(page), 'the signals table scrolls sideways').toBeLessThanOrEqual(0);
});
