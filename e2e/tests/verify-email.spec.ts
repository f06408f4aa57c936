// As a new trader, I am asked on every page to confirm my email address until I open the link
// CopyTrade mailed me, on this browser or another; I can have the link sent again; and a live
// broker account waits until my address is confirmed. On a server that sends no email nothing
// asks, and Settings says why the address stays unconfirmed.
import { confirmEmail, PASSWORD, signUp, uniqueEmail, VERIFY_SUBJECT } from './support/accounts';
import { createBybitKey } from './support/brokersim';
import { expect, test } from './support/fixtures';
import { linkFrom, MAIL_OFF_SERVER, waitForMail } from './support/mail';

/** The banner's words for `email`. */
function bannerText(email: string): string {
  return `Confirm your email address: we sent a link to ${email}.`;
}

test('signing up asks me to confirm my address, and the link from the mail does it', async ({ page }) => {
  const email = uniqueEmail('verify');
  await signUp(page, email);
  const banner = page.getByTestId('verify-email-banner');
  await expect(banner).toContainText(bannerText(email));
  // On every page, and Settings says the same.
  await page.goto('/settings');
  await expect(banner).toContainText(bannerText(email));
  await expect(page.getByTestId('account-email-state')).toHaveText('Not confirmed');

  const mail = await waitForMail(email, VERIFY_SUBJECT);
  expect(mail.from).toBe('CopyTrade <mail@copytrade.test>');
  const link = linkFrom(mail, '/verify-email');
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:18080\/verify-email\?token=[^&\s]+$/);

  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Your email address is confirmed' })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(banner).toHaveCount(0);

  await page.goto('/settings');
  await expect(page.getByTestId('account-email-state')).toHaveText('Confirmed');
  await expect(banner).toHaveCount(0);
  const events = page.getByTestId('security-events');
  await expect(events.locator('[data-kind="EMAIL_VERIFIED"]')).toContainText('Email address confirmed');
  await expect(
    events.locator('[data-kind="EMAIL_SENT"]').filter({ hasText: 'Email sent: the link to confirm the email address' }),
  ).toHaveCount(1);

  // A link works once; the page sees there is nothing left to do.
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'This link does not work' })).toBeVisible();
  await expect(page.getByTestId('already-confirmed')).toContainText(email);
});

test('"Send the link again" mails a new link, which confirms the address', async ({ page }) => {
  const email = uniqueEmail('verify-resend');
  await signUp(page, email);
  await waitForMail(email, VERIFY_SUBJECT);

  const banner = page.getByTestId('verify-email-banner');
  await banner.getByRole('button', { name: 'Send the link again' }).click();
  await expect(banner.getByTestId('resend-outcome')).toHaveText('Sent. Check your inbox.');
  const second = await waitForMail(email, VERIFY_SUBJECT, 2);

  await page.goto(linkFrom(second, '/verify-email'));
  await expect(page.getByRole('heading', { level: 1, name: 'Your email address is confirmed' })).toBeVisible();
  await expect(banner).toHaveCount(0);
});

test('the link works in a browser that is not logged in, and the app I left open follows', async ({
  page,
  browser,
  clientIp,
}) => {
  const email = uniqueEmail('verify-elsewhere');
  await signUp(page, email);
  const mail = await waitForMail(email, VERIFY_SUBJECT);

  // Another device, opening the mail: no session there.
  const phone = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': clientIp } });
  const phonePage = await phone.newPage();
  await phonePage.goto(linkFrom(mail, '/verify-email'));
  await expect(phonePage.getByRole('heading', { level: 1, name: 'Your email address is confirmed' })).toBeVisible();
  await expect(phonePage.getByRole('main').getByRole('link', { name: 'Log in' })).toBeVisible();
  await phone.close();

  await page.reload();
  await expect(page.getByTestId('nav-user')).toHaveText(email);
  await expect(page.getByTestId('verify-email-banner')).toHaveCount(0);
});

test('a link that does not work offers a new one', async ({ page }) => {
  await page.goto('/verify-email?token=not-a-real-token');
  await expect(page.getByRole('heading', { level: 1, name: 'This link does not work' })).toBeVisible();
  await expect(page.getByTestId('link-invalid')).toContainText('unknown, was already used, or has expired');

  const email = uniqueEmail('verify-bad-link');
  await signUp(page, email);
  await page.goto('/verify-email');
  await expect(page.getByRole('heading', { level: 1, name: 'This link does not work' })).toBeVisible();
  await expect(page.getByTestId('verify-email-banner').getByRole('button', { name: 'Send the link again' })).toBeVisible();
});

test('a live broker account waits until my address is confirmed', async ({ page, request }) => {
  const email = uniqueEmail('verify-live');
  const key = await createBybitKey(request, { ContractTrade: ['Order', 'Position'] });
  await signUp(page, email);

  const link = async () => {
    await page.goto('/accounts');
    await page.getByRole('button', { name: 'Link an account', exact: true }).click();
    const form = page.getByTestId('link-form');
    await form.getByRole('radio', { name: 'Bybit' }).check();
    await form.getByRole('radio', { name: 'Live' }).check();
    await form.getByLabel('Label').fill('Bybit live');
    const fields = form.getByTestId('credential-fields');
    await fields.getByLabel('API key').fill(key.apiKey);
    await fields.getByLabel('API secret').fill(key.apiSecret);
    await form.getByRole('button', { name: 'Link account' }).click();
    return form;
  };

  const form = await link();
  await expect(form.getByTestId('form-error')).toContainText('Confirm your email address first');
  await expect(page.getByTestId('connection')).toHaveCount(0);

  await confirmEmail(page, email);
  await link();
  await expect(page.getByTestId('accounts-notice')).toContainText('“Bybit live” is linked');
  await expect(page.getByTestId('connection-environment')).toHaveText('Live');
});

test('on a server that sends no email, nothing asks to confirm, and Settings says why', async ({ page }) => {
  const email = uniqueEmail('mail-off');
  await page.goto(`${MAIL_OFF_SERVER}/signup`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('nav-user')).toHaveText(email);
  await expect(page.getByTestId('verify-email-banner')).toHaveCount(0);

  await page.goto(`${MAIL_OFF_SERVER}/settings`);
  await expect(page.getByTestId('account-email-state')).toHaveText('Not confirmed');
  await expect(page.getByTestId('account-email-note')).toHaveText(
    'This server sends no email, so the address cannot be confirmed.',
  );
  await expect(page.getByTestId('verify-email-banner')).toHaveCount(0);
});
