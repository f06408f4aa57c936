// As a trader on my phone, I can open the menu, move around, and read the status.
import { expect, test } from '@playwright/test';

test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

const PATHS = ['/', '/accounts', '/copy-groups', '/trade-log', '/settings', '/login', '/no/such/page'];

test('the menu button opens the navigation, and choosing a page closes it', async ({ page }) => {
  await page.goto('/');
  const toggle = page.getByTestId('nav-toggle');
  const nav = page.getByRole('navigation', { name: 'Main' });

  await expect(toggle).toBeVisible();
  await expect(nav).toBeHidden();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');

  await toggle.tap();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(nav).toBeVisible();
  for (const name of ['Dashboard', 'Accounts', 'Copy groups', 'Trade log', 'Settings', 'Log in']) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeInViewport();
  }

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

test('the status bar stays on screen with the version and live state', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('server-version')).toBeInViewport();
  await expect(page.getByTestId('server-time')).toBeInViewport();
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  await expect(page.getByTestId('live-status')).toBeInViewport();
});

test('no page is wider than the phone', async ({ page }) => {
  for (const path of PATHS) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} scrolls sideways`).toBeLessThanOrEqual(0);
  }
});
