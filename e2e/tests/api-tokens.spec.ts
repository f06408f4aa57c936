// As a trader with my own trading bot, I make an API token on Settings that may only read,
// copy it (it is shown once), and my bot uses it instead of my password: reading works, the kill
// switch is refused. Settings shows when it was last used, and once I revoke it, it stops
// working.
//
// The bot is Playwright's request context: a client outside the browser with no cookie, so
// only the token says who it is.
import { APIRequestContext } from '@playwright/test';
import { signUp, uniqueEmail } from './support/accounts';
import { expect, test } from './support/fixtures';

const DAY_MS = 86_400_000;

interface GraphQlAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs one GraphQL operation as the bot, with the token as its Bearer credential. */
async function asBot(request: APIRequestContext, token: string, query: string): Promise<GraphQlAnswer> {
  const response = await request.post('/graphql', {
    headers: { Authorization: `Bearer ${token}` },
    data: { query },
  });
  return (await response.json()) as GraphQlAnswer;
}

function codes(answer: GraphQlAnswer): (string | undefined)[] {
  return (answer.errors ?? []).map((error) => error.extensions?.code);
}

test('a read-only API token is shown once, reads but cannot trade, shows its last use and dies when revoked', async ({
  page,
  context,
  request,
  baseURL,
}) => {
  const email = uniqueEmail('api-token');
  await signUp(page, email);
  await page.goto('/settings');
  const card = page.getByTestId('api-tokens');
  await expect(card.getByRole('heading', { name: 'No API tokens yet' })).toBeVisible();

  // Make it: read only, 30 days.
  await card.getByRole('button', { name: 'New API token' }).click();
  const form = card.getByTestId('create-api-token-form');
  await form.getByLabel('Name').fill('Read-only bot');
  await expect(form.getByRole('checkbox', { name: 'Read', exact: true })).toBeChecked();
  await expect(form.getByRole('checkbox', { name: 'Trade', exact: true })).not.toBeChecked();
  await expect(form.getByRole('checkbox', { name: 'Manage', exact: true })).not.toBeChecked();
  await expect(form.getByText('The kill switch, and turning copy groups and followers on or off.')).toBeVisible();
  await form.getByRole('radio', { name: '30 days', exact: true }).check();
  const madeAt = Date.now();
  await form.getByRole('button', { name: 'Create token' }).click();

  // Shown once, with a warning and a copy button.
  const secret = card.getByTestId('api-token-secret');
  await expect(secret).toContainText('it is shown only this once');
  const token = ((await secret.getByTestId('api-token-value').textContent()) ?? '').trim();
  expect(token).toMatch(/^ctk_[A-Za-z0-9_-]{43}$/);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await secret.getByRole('button', { name: 'Copy token' }).click();
  await expect(secret.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

  // Listed by name, scope, hint and dates; never used yet.
  const item = card.getByTestId('api-token');
  await expect(item).toHaveCount(1);
  await expect(item.getByRole('heading', { name: 'Read-only bot' })).toBeVisible();
  await expect(item.getByTestId('api-token-scopes')).toHaveText('Read');
  await expect(item.getByTestId('api-token-hint')).toHaveText(token.slice(-4));
  await expect(item.getByTestId('api-token-last-used')).toHaveText('never used');
  const expires = Date.parse((await item.getByTestId('api-token-expires').locator('time').getAttribute('datetime')) ?? '');
  expect(Math.abs(expires - (madeAt + 30 * DAY_MS))).toBeLessThan(5 * 60_000);

  await secret.getByRole('button', { name: 'I have saved the token' }).click();
  await expect(secret).toHaveCount(0);
  await page.reload();
  await expect(card.getByTestId('api-token')).toHaveCount(1);
  await expect(page.getByText(token)).toHaveCount(0);

  // The bot reads with it...
  const read = await asBot(request, token, '{ me { email } webhooks { id } }');
  expect(read.errors ?? []).toEqual([]);
  expect(read.data).toEqual({ me: { email }, webhooks: [] });
  // ...but a read-only token cannot pull the kill switch.
  const kill = await asBot(request, token, 'mutation { killSwitch(flatten: false) { groupsPaused } }');
  expect(codes(kill)).toEqual(['FORBIDDEN']);
  expect(kill.data ?? null).toBeNull();

  // Settings shows the use.
  await page.reload();
  const lastUsed = card.getByTestId('api-token-last-used');
  await expect(lastUsed).not.toHaveText('never used');
  const usedAt = Date.parse((await lastUsed.locator('time').getAttribute('datetime')) ?? '');
  expect(Math.abs(usedAt - Date.now())).toBeLessThan(5 * 60_000);

  // Revoked, after asking: the bot is a visitor again.
  await card.getByRole('button', { name: 'Revoke…' }).click();
  const confirm = card.getByTestId('revoke-confirm');
  await expect(confirm).toContainText('Revoke “Read-only bot”?');
  await confirm.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(card.getByTestId('api-token-notice')).toContainText('“Read-only bot” is revoked');
  await expect(card.getByRole('heading', { name: 'No API tokens yet' })).toBeVisible();
  const after = await asBot(request, token, '{ me { email } }');
  expect(codes(after)).toEqual(['UNAUTHENTICATED']);
});

test('an API token needs a name and at least one scope', async ({ page }) => {
  await signUp(page, uniqueEmail('api-token-form'));
  await page.goto('/settings');
  const card = page.getByTestId('api-tokens');
  await card.getByRole('button', { name: 'New API token' }).click();
  const form = card.getByTestId('create-api-token-form');

  await form.getByRole('button', { name: 'Create token' }).click();
  await expect(form.getByText('Name the token.')).toBeVisible();

  await form.getByLabel('Name').fill('Nothing allowed');
  await form.getByRole('checkbox', { name: 'Read', exact: true }).uncheck();
  await form.getByRole('button', { name: 'Create token' }).click();
  await expect(form.getByText('Choose what the token may do.')).toBeVisible();
  await expect(card.getByTestId('api-token-secret')).toHaveCount(0);

  // Cancel leaves nothing made.
  await form.getByRole('button', { name: 'Cancel' }).click();
  await expect(form).toHaveCount(0);
  await expect(card.getByRole('heading', { name: 'No API tokens yet' })).toBeVisible();
});
