// As a trader who forgot my password, I ask for a link on the log-in page, open it from the
// mail, and set a new password: I am logged in, every other device is logged out, and the link
// is spent. With two-factor login on, the link alone is not enough: my authenticator must agree.
// On a server that sends no email, the page says so instead of pretending.
import { Browser, Page } from '@playwright/test';
import { enableTwoFactor, logOut, PASSWORD, signUp, submitPassword, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';
import { linkFrom, MAIL_OFF_SERVER, waitForMail } from './support/mail';
import { codeAfter } from './support/totp';

const NEW_PASSWORD = 'a fresh start for my account';
// The reset mail's subject starts so ("Reset your CopyTrade password"); the notice that follows
// a reset ("Your CopyTrade password was reset") does not.
const RESET_SUBJECT = 'Reset your';

/** The page's answer to a request for a link, the same whether or not the address has an account. */
function requestedText(email: string): string {
  return `If an account uses ${email}, a link to reset its password is on its way. It works once, for 30 minutes.`;
}

/** Asks for a reset link from the log-in page, as a user who forgot their password would. */
async function askForResetLink(page: Page, email: string): Promise<void> {
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/forgot-password');
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByTestId('reset-requested')).toHaveText(requestedText(email));
}

/** The reset link from the newest reset mail to `email` (the `nth` one). */
async function resetLink(email: string, nth = 1): Promise<string> {
  const mail = await waitForMail(email, RESET_SUBJECT, nth);
  const link = linkFrom(mail, '/reset-password');
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:18080\/reset-password\?token=[^&\s]+$/);
  return link;
}

/** A second device logged in as `email`: its own browser context, on Settings. */
async function otherDevice(browser: Browser, clientIp: string, email: string) {
  const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': clientIp } });
  const page = await context.newPage();
  await page.goto('/login?next=/settings');
  await submitPassword(page, email);
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  return { context, page };
}

test('a link from the mail sets a new password, logs me in, logs out my other devices, and works once', async ({
  page,
  browser,
  clientIp,
}) => {
  const email = uniqueEmail('forgot');
  await signUp(page, email);
  const other = await otherDevice(browser, clientIp, email);
  await logOut(page);

  await askForResetLink(page, email);
  const link = await resetLink(email);
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Set a new password' })).toBeVisible();
  const newPassword = page.getByLabel('New password', { exact: true });
  await expect(page.getByText('At least 10 characters, and not one of the common passwords')).toBeVisible();

  // The sign-up rules hold here too; a refused password does not spend the link.
  await newPassword.fill('short');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(newPassword).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('New password must be at least 10 characters.')).toBeVisible();

  await newPassword.fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByTestId('dashboard-notice')).toHaveText(
    'Your password was changed and you are logged in. Every other browser and device was logged out.',
  );
  await expect(page.getByTestId('nav-user')).toHaveText(email);
  // The message was for that arrival only.
  await page.reload();
  await expect(page.getByTestId('nav-user')).toHaveText(email);
  await expect(page.getByTestId('dashboard-notice')).toHaveCount(0);

  // The other device is told at once: the server closed its session.
  await expect(other.page).toHaveURL((url) => url.pathname === '/login');
  await expect(other.page.getByTestId('session-notice')).toContainText('Your session has ended');
  await other.context.close();

  await page.goto('/settings');
  const events = page.getByTestId('security-events');
  await expect(events.locator('[data-kind="PASSWORD_RESET_REQUESTED"]')).toContainText('Password reset link requested');
  await expect(events.locator('[data-kind="PASSWORD_RESET"]')).toContainText('Password set from a reset link');
  await expect(events.locator('[data-kind="EMAIL_SENT"]').filter({ hasText: 'a password reset link' })).toHaveCount(1);

  // Only the new password opens the account now.
  await logOut(page);
  await submitPassword(page, email, PASSWORD);
  await expect(page.getByTestId('form-error')).toHaveText('Wrong email or password.');
  await submitPassword(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByTestId('nav-user')).toHaveText(email);

  // The link is spent: the page says so and leads to a new one.
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill('yet another new password');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'This link does not work' })).toBeVisible();
  await expect(page.getByTestId('link-invalid')).toContainText('was already used');
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/forgot-password');
  await expect(page.getByTestId('nav-user')).toHaveText(email);
});

test('with two-factor login on, the reset link also asks for my authenticator code', async ({ page }) => {
  // Up to one 30-second TOTP step is waited out below.
  test.setTimeout(90_000);
  const email = uniqueEmail('forgot-2fa');
  await signUp(page, email);
  const twoFactor = await enableTwoFactor(page);
  await logOut(page);

  await askForResetLink(page, email);
  await page.goto(await resetLink(email));
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();

  const secondStep = page.getByTestId('reset-second-step');
  await expect(secondStep).toContainText('Two-factor login is on for this account');
  const codeInput = secondStep.getByLabel('Authentication code');
  await expect(codeInput).toBeFocused();
  await codeInput.fill('000000');
  await secondStep.getByRole('button', { name: 'Verify and set password' }).click();
  await expect(secondStep.getByText('That code is wrong or was already used.', { exact: false })).toBeVisible();
  await expect(codeInput).toHaveAttribute('aria-invalid', 'true');

  // The setup's code cannot be replayed: wait for the authenticator's next one.
  const { code } = await codeAfter(twoFactor.secret, twoFactor.usedStep);
  await codeInput.fill(code);
  await secondStep.getByRole('button', { name: 'Verify and set password' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByTestId('dashboard-notice')).toContainText('Your password was changed');
  await expect(page.getByTestId('nav-user')).toHaveText(email);

  await logOut(page);
  await submitPassword(page, email, NEW_PASSWORD);
  await expect(page.getByTestId('login-second-step')).toBeVisible();
});

test('the answer never tells whether an account uses the address', async ({ page }) => {
  const nobody = uniqueEmail('nobody');
  await page.goto('/login');
  await askForResetLink(page, nobody);
  await page.getByRole('button', { name: 'Use another address' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();
});

test('without a token, the reset page says the link does not work', async ({ page }) => {
  await page.goto('/reset-password');
  await expect(page.getByRole('heading', { level: 1, name: 'This link does not work' })).toBeVisible();
  await expect(page.getByLabel('New password', { exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '/forgot-password');
});

test('on a server that sends no email, the forgot-password page says so instead of showing a form', async ({
  page,
}) => {
  // This test's browser has no session: cookies ignore ports, so one from the other server
  // would be sent to this one too, which does not know it.
  await page.goto(`${MAIL_OFF_SERVER}/login`);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(`${MAIL_OFF_SERVER}/forgot-password`);
  await expect(page.getByTestId('mail-off-notice')).toHaveText(
    'This server sends no email, so a password cannot be reset by email. Ask whoever runs this server.',
  );
  await expect(page.getByLabel('Email')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Send reset link' })).toHaveCount(0);
});
