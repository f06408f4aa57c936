// As a trader, I build a copy group: it copies my TradingView webhook's signals to two of my
// accounts, one at twice the size and trading micros (ES → MES), the other one contract
// against the signal. I see each follower's settings, get told what is wrong next to the
// field, change a follower, pause and resume the group, remove a follower and delete the group.
import { Locator } from '@playwright/test';
import { signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';
import { createWebhook, linkPaperAccount } from './support/trading';

const GROUP = 'ES to followers';
const WEBHOOK = 'TradingView ES';

/** Chooses the account of the connection labelled `label` in an account list. */
async function chooseAccount(select: Locator, label: string): Promise<void> {
  const option = ((await select.locator('option', { hasText: `${label}:` }).textContent()) ?? '').trim();
  expect(option).toMatch(new RegExp(`^${label}: Paper \\S+ \\(Paper trading\\)$`));
  await select.selectOption({ label: option });
}

test('a copy group copies a webhook to two followers, each with its own settings', async ({ page }) => {
  // Signing up, linking two accounts and a webhook come first.
  test.setTimeout(60_000);
  await signUp(page, uniqueEmail('copy-groups'));

  // With nothing to copy yet, the page says what to make first.
  await page.goto('/copy-groups');
  await expect(page.getByRole('heading', { level: 1, name: 'Copy groups' })).toBeVisible();
  const empty = page.getByTestId('copy-groups-empty');
  await expect(empty.getByRole('heading', { name: 'No copy groups yet' })).toBeVisible();
  await expect(empty.getByRole('link', { name: 'Create a webhook' })).toHaveAttribute('href', '/webhooks');
  await expect(empty.getByRole('link', { name: 'Link an account' })).toHaveAttribute('href', '/accounts');

  await linkPaperAccount(page, 'Alpha');
  await linkPaperAccount(page, 'Bravo');
  await createWebhook(page, WEBHOOK);
  await expect(page.getByTestId('webhook').getByRole('heading', { name: WEBHOOK })).toBeVisible();

  // A group led by the webhook.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Copy groups', exact: true }).click();
  await expect(page).toHaveURL((url) => url.pathname === '/copy-groups');
  await page.getByTestId('copy-groups-empty').getByRole('button', { name: 'Create your first copy group' }).click();
  const create = page.getByTestId('create-copy-group-form');
  await expect(create.getByRole('radio', { name: 'A webhook' })).toBeChecked();
  await expect(create.getByText('Mirror the trades you place yourself on one linked account')).toBeVisible();
  await create.getByLabel('Name').fill(GROUP);
  await create.getByRole('combobox', { name: 'Webhook', exact: true }).selectOption({ label: WEBHOOK });
  await create.getByRole('button', { name: 'Create copy group' }).click();
  await expect(page.getByTestId('copy-groups-notice')).toContainText(`“${GROUP}” is created and active`);
  await expect(create).toHaveCount(0);

  const group = page.getByTestId('copy-group');
  await expect(group).toHaveCount(1);
  await expect(group.getByRole('heading', { name: GROUP })).toBeVisible();
  await expect(group.getByTestId('copy-group-source')).toHaveText(`Signals from webhook “${WEBHOOK}”`);
  await expect(group.getByTestId('copy-group-status')).toHaveText('Active');
  await expect(group.getByTestId('followers-empty')).toBeVisible();

  // Follower 1: twice the signal's size, trading the micro contract.
  await group.getByRole('button', { name: 'Add follower' }).click();
  let form = group.getByTestId('add-follower-form');
  await chooseAccount(form.getByRole('combobox', { name: 'Account', exact: true }), 'Alpha');
  await expect(form.getByLabel('Multiplier')).toHaveValue('1');
  await form.getByLabel('Multiplier').fill('2');
  await form.getByRole('button', { name: 'Add a symbol mapping' }).click();
  await form.getByLabel('Signal symbol 1').fill('ES');
  await form.getByLabel('Traded as 1').fill('MES');
  await form.getByRole('button', { name: 'Add follower' }).click();
  await expect(group.getByTestId('copy-group-notice')).toContainText(`now copies “${GROUP}”`);
  await expect(form).toHaveCount(0);

  const rows = group.getByTestId('follower');
  const alpha = rows.filter({ hasText: 'Alpha · Paper trading' });
  await expect(rows).toHaveCount(1);
  await expect(alpha.getByTestId('follower-size')).toHaveText('× 2');
  await expect(alpha.getByTestId('follower-symbols')).toHaveText('ES → MES');
  await expect(alpha.getByTestId('follower-invert')).toHaveText('No');
  await expect(alpha.getByTestId('follower-max-order')).toHaveText('No limit');
  await expect(alpha.getByTestId('follower-hours')).toHaveText('Any time');

  // Follower 2: one contract against each signal. The account already following is not
  // offered again, and the server's word on bad trading hours shows next to them.
  await group.getByRole('button', { name: 'Add follower' }).click();
  form = group.getByTestId('add-follower-form');
  const accounts = form.getByRole('combobox', { name: 'Account', exact: true });
  await expect(accounts.locator('option', { hasText: 'Alpha:' })).toHaveCount(0);
  await chooseAccount(accounts, 'Bravo');
  await form.getByLabel('Fixed quantity').fill('1');
  await form.getByRole('checkbox', { name: 'Invert' }).check();
  await form.getByLabel('From (UTC)').fill('9');
  await form.getByLabel('Until (UTC)').fill('5');
  await form.getByRole('button', { name: 'Add follower' }).click();
  const hours = form.getByRole('group', { name: 'Trading hours (UTC)' });
  await expect(hours.getByTestId('trading-hours-error')).toHaveText('`9-5` is not a window like 13:30-20:00 (UTC).');
  await expect(form.getByTestId('form-error')).toHaveCount(0);
  await expect(rows).toHaveCount(1);
  await form.getByLabel('From (UTC)').fill('13:30');
  await form.getByLabel('Until (UTC)').fill('20:00');
  await form.getByRole('button', { name: 'Add follower' }).click();
  await expect(form).toHaveCount(0);

  const bravo = rows.filter({ hasText: 'Bravo · Paper trading' });
  await expect(rows).toHaveCount(2);
  await expect(bravo.getByTestId('follower-size')).toHaveText('Fixed 1');
  await expect(bravo.getByTestId('follower-invert')).toHaveText('Yes');
  await expect(bravo.getByTestId('follower-symbols')).toHaveText('None');
  await expect(bravo.getByTestId('follower-hours')).toHaveText('13:30–20:00');
  await expect(bravo.getByTestId('follower-loss-limit')).toHaveText('No limit');
  await expect(alpha.getByTestId('follower-size')).toHaveText('× 2');

  // Editing starts from the saved settings and changes only what was changed.
  await alpha.getByRole('button', { name: /^Edit/ }).click();
  form = group.getByTestId('edit-follower-form');
  await expect(form.getByLabel('Multiplier')).toHaveValue('2');
  await expect(form.getByLabel('Signal symbol 1')).toHaveValue('ES');
  await expect(form.getByLabel('Traded as 1')).toHaveValue('MES');
  await form.getByLabel('Multiplier').fill('3');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await expect(group.getByTestId('copy-group-notice')).toContainText('settings are saved');
  await expect(form).toHaveCount(0);
  await page.reload();
  await expect(alpha.getByTestId('follower-size')).toHaveText('× 3');
  await expect(alpha.getByTestId('follower-symbols')).toHaveText('ES → MES');
  await expect(bravo.getByTestId('follower-size')).toHaveText('Fixed 1');

  // Pausing the group stops all copying; the server keeps it paused until resumed.
  const copying = group.getByRole('switch', { name: 'Copying', exact: true });
  await expect(copying).toBeChecked();
  await copying.uncheck();
  await expect(group.getByTestId('copy-group-status')).toHaveText('Paused');
  await expect(group).toHaveAttribute('data-enabled', 'false');
  await page.reload();
  await expect(group.getByTestId('copy-group-status')).toHaveText('Paused');
  await expect(copying).not.toBeChecked();
  await copying.check();
  await expect(group.getByTestId('copy-group-status')).toHaveText('Active');
  await page.reload();
  await expect(copying).toBeChecked();

  // One follower can be paused on its own.
  const bravoCopying = bravo.getByRole('switch', { name: /^Copying to / });
  await bravoCopying.uncheck();
  await expect(bravo).toHaveAttribute('data-enabled', 'false');
  await page.reload();
  await expect(bravoCopying).not.toBeChecked();

  // Removing asks first; cancelling keeps the follower.
  await bravo.getByRole('button', { name: /^Remove…/ }).click();
  const confirm = group.getByTestId('remove-follower-confirm');
  await expect(confirm).toContainText(`from “${GROUP}”? Copying to it stops at once`);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(rows).toHaveCount(2);
  await bravo.getByRole('button', { name: /^Remove…/ }).click();
  await confirm.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(group.getByTestId('copy-group-notice')).toContainText(`no longer copies “${GROUP}”`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Alpha · Paper trading');

  // Deleting the group asks first and says the trade log stays.
  await group.getByRole('button', { name: 'Delete group…' }).click();
  const deleteConfirm = group.getByTestId('delete-group-confirm');
  await expect(deleteConfirm).toContainText(`Delete “${GROUP}”?`);
  await expect(deleteConfirm).toContainText('The trade log keeps every signal and copy the group made.');
  await deleteConfirm.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page.getByTestId('copy-groups-notice')).toContainText(`“${GROUP}” is deleted`);
  await expect(page.getByRole('heading', { name: 'No copy groups yet' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'No copy groups yet' })).toBeVisible();
  await expect(page.getByTestId('copy-group')).toHaveCount(0);
});
