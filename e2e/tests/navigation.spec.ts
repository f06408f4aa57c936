// As a user, I can reach every part of CopyTrade from the menu or straight from an address;
// the parts that hold my data ask me to log in first.
import { Page } from '@playwright/test';
import { signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

const PUBLIC_PAGES = [
  { path: '/', heading: 'Dashboard' },
  { path: '/login', heading: 'Log in to CopyTrade' },
  { path: '/signup', heading: 'Create your CopyTrade account' },
  { path: '/forgot-password', heading: 'Reset your password' },
  // The pages of email links, opened without the link's token.
  { path: '/reset-password', heading: 'This link does not work' },
  { path: '/verify-email', heading: 'This link does not work' },
];

const PRIVATE_PAGES = [
  { link: 'Accounts', path: '/accounts', heading: 'Accounts' },
  { link: 'Webhooks', path: '/webhooks', heading: 'Webhooks' },
  { link: 'Copy groups', path: '/copy-groups', heading: 'Copy groups' },
  { link: 'Trade log', path: '/trade-log', heading: 'Trade log' },
  { link: 'Settings', path: '/settings', heading: 'Settings' },
];

const MENU = [...PRIVATE_PAGES, { link: 'Dashboard', path: '/', heading: 'Dashboard' }];

async function markDocument(page: Page): Promise<void> {
  // A reload would wipe this, and reopen the live connection.
  await page.evaluate(() => ((window as unknown as { spaMarker: string }).spaMarker = 'still here'));
}

async function documentMarked(page: Page): Promise<boolean> {
  return (await page.evaluate(() => (window as unknown as { spaMarker?: string }).spaMarker)) === 'still here';
}

test('the menu reaches every page, marks the current one, and never reloads the app', async ({ page }) => {
  await signUp(page, uniqueEmail('menu'));
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  await markDocument(page);
  const nav = page.getByRole('navigation', { name: 'Main' });

  // Start away from the dashboard so every click is a real navigation.
  for (const target of MENU) {
    const link = nav.getByRole('link', { name: target.link, exact: true });
    await link.click();
    await expect(page).toHaveURL((url) => url.pathname === target.path);
    await expect(page.getByRole('heading', { level: 1, name: target.heading })).toBeVisible();
    await expect(link).toHaveAttribute('aria-current', 'page');
    await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
  }

  expect(await documentMarked(page)).toBe(true);
  await expect(page.getByTestId('live-status')).toHaveText('Live');
});

test('logged out, the menu offers to log in or sign up, and private pages lead there', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  await markDocument(page);
  const nav = page.getByRole('navigation', { name: 'Main' });

  await nav.getByRole('link', { name: 'Sign up', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Create your CopyTrade account' })).toBeVisible();
  await nav.getByRole('link', { name: 'Log in', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Log in to CopyTrade' })).toBeVisible();

  for (const target of PRIVATE_PAGES) {
    await nav.getByRole('link', { name: target.link, exact: true }).click();
    await expect(page).toHaveURL((url) => url.pathname === '/login' && url.searchParams.get('next') === target.path);
    await expect(page.getByRole('heading', { level: 1, name: 'Log in to CopyTrade' })).toBeVisible();
  }
  expect(await documentMarked(page)).toBe(true);
});

test('every page opens directly from its address', async ({ page }) => {
  for (const target of PUBLIC_PAGES) {
    const response = await page.goto(target.path);
    expect(response?.ok(), `${target.path} answers`).toBe(true);
    await expect(page.getByRole('heading', { level: 1, name: target.heading })).toBeVisible();
    await expect(page).toHaveTitle(/CopyTrade/);
  }

  await signUp(page, uniqueEmail('deep-links'));
  for (const target of PRIVATE_PAGES) {
    const response = await page.goto(target.path);
    expect(response?.ok(), `${target.path} answers`).toBe(true);
    await expect(page.getByRole('heading', { level: 1, name: target.heading })).toBeVisible();
    await expect(page).toHaveTitle(`${target.heading} · CopyTrade`);
  }
});

test('an unknown address shows the not-found page, and it leads back to the dashboard', async ({ page }) => {
  await page.goto('/no/such/page');
  const notFound = page.getByTestId('not-found');
  await expect(notFound.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(notFound).toContainText('/no/such/page');
  // The shell still works around it.
  await expect(page.getByTestId('server-version')).toHaveText(/^v\d+\.\d+\.\d+/);

  await notFound.getByRole('link', { name: 'Back to the dashboard' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
});
