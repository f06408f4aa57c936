// As the operator, I know the app runs under the server's strict Content-Security-Policy:
// no page needs an inline style, an inline script of ours, or another origin.
import { Page } from '@playwright/test';
import { enableTwoFactor, signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

// Logged out, the private pages show the log-in page instead; both kinds are checked.
const PATHS = [
  '/',
  '/accounts',
  '/webhooks',
  '/copy-groups',
  '/trade-log',
  '/settings',
  '/login',
  '/signup',
  '/forgot-password',
  '/reset-password',
  '/verify-email',
  '/no/such/page',
];

/** Collects CSP violations, console errors and uncaught exceptions of the page. */
async function watchForProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  await page.exposeFunction('reportCspViolation', (report: string) => problems.push(`CSP: ${report}`));
  // Injected by the browser's debugging protocol, so the CSP does not apply to it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`;
      (window as unknown as { reportCspViolation: (r: string) => void }).reportCspViolation(report);
    });
  });
  return problems;
}

/** Opens every path by address, checking the policy it is served with. */
async function visitAll(page: Page): Promise<void> {
  for (const path of PATHS) {
    const response = await page.goto(path);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy, `${path} is served with the strict policy`).toContain("default-src 'none'");
    expect(policy).not.toContain("'unsafe-inline'");
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.getByTestId('live-status')).toHaveText('Live');
    await expect(page.getByTestId('server-time')).toHaveText(/UTC$/);
  }
}

test('every page renders under the CSP without a violation or a console error', async ({ page }) => {
  const problems = await watchForProblems(page);
  await visitAll(page);

  // Client-side navigation renders the pages again, without a document load in between.
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const name of ['Dashboard', 'Accounts', 'Webhooks', 'Copy groups', 'Trade log', 'Settings', 'Log in', 'Sign up']) {
    await nav.getByRole('link', { name, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  }

  expect(problems).toEqual([]);
});

test('the account pages render under the CSP too, the QR code and backup codes included', async ({ page }) => {
  const problems = await watchForProblems(page);
  await signUp(page, uniqueEmail('csp'));
  await visitAll(page);

  await page.goto('/settings');
  await page.getByRole('button', { name: 'Set up two-factor login' }).click();
  // The QR code is an SVG image from a data: URL, which the policy's img-src allows.
  const qr = page.getByTestId('totp-qr');
  await expect(qr).toBeVisible();
  await expect.poll(() => qr.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await enableTwoFactor(page);
  await expect(page.getByTestId('security-events')).toBeVisible();

  expect(problems).toEqual([]);
});

test('the watch notices a violation, so the test above can fail', async ({ page }) => {
  const problems = await watchForProblems(page);
  await page.goto('/');
  await expect(page.getByTestId('live-status')).toHaveText('Live');

  // An inline style attribute is exactly what the policy forbids.
  await page.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
  await expect.poll(() => problems.some((problem) => problem.startsWith('CSP: style-src'))).toBe(true);
});
