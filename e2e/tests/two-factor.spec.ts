// As a trader, I turn on two-factor login with my authenticator app, keep my backup codes,
// and from then on log in with a code, or a backup code when my phone is not at hand.
import {
  accountNav,
  downloadText,
  enableTwoFactor,
  logOut,
  PASSWORD,
  signUp,
  submitPassword,
  uniqueEmail,
} from './support/accounts';
import { expect, test } from './support/fixtures';
import { codeAfter, currentCode } from './support/totp';

const BACKUP_CODE = /^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/;

test('turning on two-factor login, then logging in with a code and with a backup code', async ({
  page,
  clientIp,
}) => {
  // Up to one 30-second TOTP step is waited out below.
  test.setTimeout(90_000);
  const email = uniqueEmail('two-factor');
  await signUp(page, email);

  const twoFactor = await enableTwoFactor(page);
  const card = page.getByTestId('two-factor');
  expect(twoFactor.backupCodes).toHaveLength(10);
  for (const code of twoFactor.backupCodes) expect(code).toMatch(BACKUP_CODE);
  expect(new Set(twoFactor.backupCodes).size).toBe(10);
  await expect(card.getByTestId('backup-codes')).toContainText('You will not see them again.');
  await expect(page.getByTestId('account-two-factor')).toHaveText('On');
  await card.getByRole('button', { name: 'I have saved them' }).click();
  await expect(card.getByTestId('backup-codes')).toHaveCount(0);
  await expect(card.getByTestId('two-factor-state')).toContainText('On');
  await expect(page.getByTestId('security-events').locator('[data-kind="TOTP_ENABLED"]')).toContainText(
    `IP ${clientIp}`,
  );

  await logOut(page);
  await submitPassword(page, email);
  const secondStep = page.getByTestId('login-second-step');
  await expect(secondStep).toContainText(`Two-factor login is on for ${email}.`);
  const codeInput = secondStep.getByLabel('Authentication code');
  await expect(codeInput).toBeFocused();

  await codeInput.fill('000000');
  await secondStep.getByRole('button', { name: 'Verify and log in' }).click();
  await expect(secondStep.getByText('That code is wrong or was already used.', { exact: false })).toBeVisible();
  await expect(codeInput).toHaveAttribute('aria-invalid', 'true');

  // The setup's code cannot be replayed: wait for the authenticator's next one.
  const { code } = await codeAfter(twoFactor.secret, twoFactor.usedStep);
  await codeInput.fill(code);
  await secondStep.getByRole('button', { name: 'Verify and log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(page.getByTestId('nav-user')).toHaveText(email);

  await logOut(page);
  await submitPassword(page, email);
  await page.getByRole('button', { name: 'Use a backup code instead' }).click();
  await page.getByLabel('Backup code').fill(twoFactor.backupCodes[3].toLowerCase());
  await page.getByRole('button', { name: 'Verify and log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await expect(accountNav(page).getByRole('button', { name: 'Log out' })).toBeAttached();

  // Each backup code works once.
  await logOut(page);
  await submitPassword(page, email);
  await page.getByRole('button', { name: 'Use a backup code instead' }).click();
  await page.getByLabel('Backup code').fill(twoFactor.backupCodes[3]);
  await page.getByRole('button', { name: 'Verify and log in' }).click();
  await expect(page.getByText('That backup code is wrong or was already used.')).toBeVisible();

  await page.getByLabel('Backup code').fill(twoFactor.backupCodes[4]);
  await page.getByRole('button', { name: 'Verify and log in' }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/');
  await page.goto('/settings');
  const events = page.getByTestId('security-events');
  await expect(events.locator('[data-kind="BACKUP_CODE_USED"]')).toHaveCount(2);
  await expect(events.locator('[data-kind="LOGIN_FAILED"]').first()).toContainText('Failed log-in attempt');
});

test('turning on two-factor login takes the password: a session alone cannot add an authenticator', async ({
  page,
}) => {
  await signUp(page, uniqueEmail('two-factor-password'));
  await page.goto('/settings');
  const card = page.getByTestId('two-factor');
  await card.getByRole('button', { name: 'Set up two-factor login' }).click();
  const secret = ((await card.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
  const { code } = currentCode(secret);
  await card.getByLabel('Authentication code').fill(code);
  const turnOn = card.getByRole('button', { name: 'Turn on two-factor login' });

  await turnOn.click();
  await expect(card.getByText('Enter your password.')).toBeVisible();

  await card.getByLabel('Password', { exact: true }).fill('not my password');
  await turnOn.click();
  const password = card.getByLabel('Password', { exact: true });
  await expect(card.getByText('That is not your current password.')).toBeVisible();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('account-two-factor')).toHaveText('Off');

  // The password is checked before the code, so the same code still works with the right one.
  await password.fill(PASSWORD);
  await turnOn.click();
  await expect(card.getByTestId('backup-code-list').getByRole('listitem')).toHaveCount(10);
  await expect(page.getByTestId('account-two-factor')).toHaveText('On');
});

test('backup codes can be copied and saved as a text file', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const email = uniqueEmail('backup-file');
  await signUp(page, email);
  const { backupCodes } = await enableTwoFactor(page);
  const codes = page.getByTestId('backup-codes');

  await codes.getByRole('button', { name: 'Copy' }).click();
  await expect(codes.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(backupCodes.join('\n'));

  const file = await downloadText(page, () => codes.getByRole('button', { name: 'Download .txt' }).click());
  expect(file.name).toBe('copytrade-backup-codes.txt');
  expect(file.text).toContain(`CopyTrade backup codes for ${email}`);
  expect(file.text.trim().split('\n').slice(-10)).toEqual(backupCodes);
});

test('new backup codes replace the old ones, and two-factor login can be turned off', async ({ page }) => {
  const email = uniqueEmail('two-factor-off');
  await signUp(page, email);
  const { backupCodes } = await enableTwoFactor(page);
  const card = page.getByTestId('two-factor');
  await card.getByRole('button', { name: 'I have saved them' }).click();

  // A backup code stands in for the authenticator here too, so no 30-second wait.
  await card.getByRole('button', { name: 'New backup codes' }).click();
  const regenerate = card.getByTestId('regenerate-form');
  await regenerate.getByLabel('Authentication code').fill(backupCodes[0]);
  await regenerate.getByRole('button', { name: 'Make new backup codes' }).click();
  const fresh = card.getByTestId('backup-code-list').getByRole('listitem');
  await expect(fresh).toHaveCount(10);
  const newCodes = (await fresh.allTextContents()).map((text) => text.trim());
  expect(newCodes.some((code) => backupCodes.includes(code))).toBe(false);
  await card.getByRole('button', { name: 'I have saved them' }).click();

  await card.getByRole('button', { name: 'Turn off' }).click();
  const disable = card.getByTestId('disable-form');
  await disable.getByLabel('Password', { exact: true }).fill('not my password');
  await disable.getByLabel('Authentication code').fill(backupCodes[1]);
  await disable.getByRole('button', { name: 'Turn off two-factor login' }).click();
  await expect(disable.getByText('That is not your current password.')).toBeVisible();

  // The old codes died with the regeneration.
  await disable.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await disable.getByRole('button', { name: 'Turn off two-factor login' }).click();
  await expect(disable.getByText('That code is wrong or was already used.', { exact: false })).toBeVisible();

  await disable.getByLabel('Authentication code').fill(newCodes[0]);
  await disable.getByRole('button', { name: 'Turn off two-factor login' }).click();
  await expect(card.getByTestId('two-factor-state')).toContainText('Off');
  await expect(page.getByTestId('account-two-factor')).toHaveText('Off');
  await expect(page.getByTestId('security-events').locator('[data-kind="TOTP_DISABLED"]')).toHaveCount(1);

  // Log-ins ask for the password only again.
  await logOut(page);
  await submitPassword(page, email);
  await expect(page).toHaveURL((url) => url.pathname === '/');
});
