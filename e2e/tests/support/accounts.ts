// Steps the account tests share, done through the UI as a user would.
import { expect, Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { linkFrom, waitForMail } from './mail';
import { currentCode } from './totp';

/** A password the server accepts: long enough and on no list. */
export const PASSWORD = 'correct horse battery staple';

/** An email no other test (or earlier run) uses. */
export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.com`;
}

/** The sidebar's account section (the sidebar is a menu on phones: open it first there). */
export function accountNav(page: Page) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('list', { name: 'Your account' });
}

/** Creates an account on /signup; the app lands logged in on the dashboard. */
export async function signUp(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByTestId('nav-user')).toHaveText(email);
}

/** The subject of the mail sign-up sends (and "Send the link again" sends again). */
export const VERIFY_SUBJECT = 'Confirm your email';

/**
 * Confirms the address of the account logged in on `page` as its owner would: opens the link
 * from the mail sign-up sent. Linking a live broker account waits for this.
 */
export async function confirmEmail(page: Page, email: string): Promise<void> {
  const mail = await waitForMail(email, VERIFY_SUBJECT);
  await page.goto(linkFrom(mail, '/verify-email'));
  await expect(page.getByRole('heading', { level: 1, name: 'Your email address is confirmed' })).toBeVisible();
  await expect(page.getByTestId('verify-email-banner')).toHaveCount(0);
}

/** Fills the log-in form's first step (on /login, wherever it came from). */
export async function submitPassword(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Logs out from the sidebar; the app shows the log-in page. */
export async function logOut(page: Page): Promise<void> {
  await accountNav(page).getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/login');
  await expect(page.getByTestId('session-notice')).toHaveText('You are logged out.');
  await expect(accountNav(page).getByRole('link', { name: 'Log in' })).toBeAttached();
}

/** What turning on two-factor login leaves the test with. */
export interface TwoFactor {
  secret: string;
  /** The time step whose code confirmed the setup: the server will not take it again. */
  usedStep: number;
  backupCodes: string[];
}

/**
 * Turns on two-factor login on /settings like a user with an authenticator app: reads the key
 * shown for typing in, computes the current code, confirms it with the password, and keeps the
 * backup codes.
 */
export async function enableTwoFactor(page: Page, password = PASSWORD): Promise<TwoFactor> {
  await page.goto('/settings');
  const card = page.getByTestId('two-factor');
  await card.getByRole('button', { name: 'Set up two-factor login' }).click();
  const secret = ((await card.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const { code, step } = currentCode(secret);
  await card.getByLabel('Authentication code').fill(code);
  await card.getByLabel('Password', { exact: true }).fill(password);
  await card.getByRole('button', { name: 'Turn on two-factor login' }).click();
  const list = card.getByTestId('backup-code-list').getByRole('listitem');
  await expect(list).toHaveCount(10);
  const backupCodes = (await list.allTextContents()).map((text) => text.trim());
  return { secret, usedStep: step, backupCodes };
}

/** The text of a download the page starts with `click`. */
export async function downloadText(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const download = page.waitForEvent('download');
  await click();
  const file = await download;
  const path = await file.path();
  return { name: file.suggestedFilename(), text: await readFile(path, 'utf8') };
}
