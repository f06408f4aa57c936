// As a user, I can reach every part of CopyTrade from the menu or straight from an address.
import { expect, test } from '@playwright/test';

const PAGES = [
  { link: 'Dashboard', path: '/', heading: 'Dashboard' },
  { link: 'Accounts', path: '/accounts', heading: 'Accounts' },
  { link: 'Copy groups', path: '/copy-groups', heading: 'Copy groups' },
  { link: 'Trade log', path: '/trade-log', heading: 'Trade log' },
  { link: 'Settings', path: '/settings', heading: 'Settings' },
  { link: 'Log in', path: '/login', heading: 'Log in to CopyTrade' },
];

test('the menu reaches every page, marks the current one, and never reloads the app', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('live-status')).toHaveText('Live');
  // A reload would wipe this, and reopen the live connection.
  await page.evaluate(() => ((window as unknown as { spaMarker: string }).spaMarker = 'still here'));
  const nav = page.getByRole('navigation', { name: 'Main' });

  // Start away from the dashboard so every click is a real navigation.
  for (const target of [...PAGES.slice(1), PAGES[0]]) {
    const link = nav.getByRole('link', { name: target.link, exact: true });
    await link.click();
    await expect(page).toHaveURL((url) => url.pathname === target.path);
    await expect(page.getByRole('heading', { level: 1, name: target.heading })).toBeVisible();
    await expect(link).toHaveAttribute('aria-current', 'page');
    await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
  }

  expect(await page.evaluate(() => (window as unknown as { spaMarker?: string }).spaMarker)).toBe('still here');
  await expect(page.getByTestId('live-status')).toHaveText('Live');
});

test('every page opens directly from its address', async ({ page }) => {
  for (const target of PAGES) {
    const response = await page.goto(target.path);
    expect(response?.ok(), `${target.path} answers`).toBe(true);
    await expect(page.getByRole('heading', { level: 1, name: target.heading })).toBeVisible();
    await expect(page).toHaveTitle(new RegExp(`CopyTrade`));
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

test('the log-in form is there but cannot be submitted until sign-in exists', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByLabel('Email')).toBeEditable();
  await expect(page.getByLabel('Password')).toBeEditable();
  const submit = page.getByRole('button', { name: 'Log in' });
  await expect(submit).toBeDisabled();
  await expect(page.getByTestId('login-unavailable')).toContainText('Sign-in arrives with user accounts');

  // Enter in a field must not submit the form (a real submission would leave the page).
  await page.getByLabel('Email').fill('trader@example.com');
  await page.getByLabel('Password').press('Enter');
  await expect(page).toHaveURL((url) => url.pathname === '/login' && url.search === '');
});
