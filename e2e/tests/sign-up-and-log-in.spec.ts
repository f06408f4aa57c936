// As a trader, I create my account, log out and in again, and the app sends me where I was
// going; every mistake is explained next to what caused it.
import { accountNav, logOut, PASSWORD, signUp, submitPassword, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

test('signing up logs me in, and the sidebar shows who I am', async ({ page }) => {
  const email = uniqueEmail('signup');
  await signUp(page, email);

  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(accountNav(page).getByRole('button', { name: 'Log out' })).toBeVisible();
  await expect(accountNav(page).getByRole('link', { name: 'Log in' })).toHaveCount(0);
  await expect(page.getByTestId('overview')).toContainText('Your trading overview will live here');

  // The session is the server's cookie, kept across a reload; scripts cannot read it.
  await page.reload();
  await expect(page.getByTestId('nav-user')).toHaveText(email);
  expect(await page.evaluate(() => document.cookie)).not.toContain('copytrade_session');
});

test('sign-up mistakes are shown at the field they are about', async ({ page }) => {
  const email = uniqueEmail('signup-errors');
  await page.goto('/signup');
  const form = page.getByTestId('signup-form');

  await form.getByLabel('Email').fill('not-an-email');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(form.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('Email must be an email address like name@example.com.')).toBeVisible();

  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill('short');
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(form.getByText('Password must be at least 10 characters.')).toBeVisible();
  await expect(form.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Email')).not.toHaveAttribute('aria-invalid', 'true');

  await form.getByLabel('Password').fill('password123');
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(form.getByText(/^Password is too common/)).toBeVisible();

  await signUp(page, email);
  await logOut(page);
  await page.goto('/signup');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(form.getByText('An account with this email already exists.')).toBeVisible();
  await form.getByRole('link', { name: 'Log in to that account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Log in to CopyTrade' })).toBeVisible();
});

test('logging out and in again', async ({ page }) => {
  const email = uniqueEmail('login');
  await signUp(page, email);
  await logOut(page);

  // Nothing private is reachable once logged out.
  await page.goto('/settings');
  await expect(page).toHaveURL((url) => url.pathname === '/login');

  await submitPassword(page, email, 'not the password');
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL((url) => url.pathname === '/login');

  await submitPassword(page, email);
  await expect(page).toHaveURL((url) => url.pathname === '/settings');
  await expect(page.getByTestId('nav-user')).toHaveText(email);
});

test('a private page sends me to log in, and back to it afterwards', async ({ page }) => {
  const email = uniqueEmail('return');
  await signUp(page, email);
  await logOut(page);

  await page.goto('/trade-log');
  await expect(page).toHaveURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/trade-log');
  await submitPassword(page, email);
  await expect(page).toHaveURL((url) => url.pathname === '/trade-log' && url.search === '');
  await expect(page.getByRole('heading', { level: 1, name: 'Trade log' })).toBeVisible();

  // Back does not return to the log-in form of a session that exists.
  await page.goBack();
  await expect(page).not.toHaveURL((url) => url.pathname === '/login');
});

test('a log-in link cannot send me to another site', async ({ page }) => {
  const email = uniqueEmail('next');
  await signUp(page, email);
  await logOut(page);

  await page.goto('/login?next=//evil.example/phish');
  await submitPassword(page, email);
  await expect(page).toHaveURL((url) => url.host === '127.0.0.1:18080' && url.pathname === '/');
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
});

test('after too many attempts the form says when to try again', async ({ page }) => {
  const email = uniqueEmail('limited');
  await page.goto('/login');
  // The server allows 10 attempts per client in 15 minutes; this test is its own client.
  for (let attempt = 1; attempt <= 10; attempt += 1) {
    await submitPassword(page, email, `wrong password ${attempt}`);
    await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  }
  await submitPassword(page, email, 'wrong password 11');
  await expect(page.getByTestId('form-error')).toHaveText(/^Too many attempts\. Try again in (15|14) minutes\.$/);
});
