// Steps the trading tests share: linking paper accounts and making a webhook through the UI,
// and calling the GraphQL API as the logged-in page (same origin, the session cookie sent).
import { expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** A TradingView-style signal: buy one ES at market. */
export const BUY_SIGNAL = '{"ticker":"ES1!","action":"buy","quantity":1}';

/** Links a paper trading account on the Accounts page, as a user would. */
export async function linkPaperAccount(page: Page, label: string): Promise<void> {
  await page.goto('/accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
  await page.getByRole('button', { name: 'Link an account', exact: true }).click();
  const form = page.getByTestId('link-form');
  await form.getByRole('radio', { name: 'Paper trading' }).check();
  await form.getByLabel('Label').fill(label);
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`“${label}” is linked`);
}

/** Makes a webhook on the Webhooks page; returns its URL, read from the one-time panel. */
export async function createWebhook(page: Page, name: string): Promise<string> {
  await page.goto('/webhooks');
  await page.getByRole('button', { name: 'New webhook' }).click();
  const form = page.getByTestId('create-webhook-form');
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Create webhook' }).click();
  const panel = page.getByTestId('webhook-secret');
  await expect(panel).toContainText('shown only this once');
  const url = ((await panel.getByTestId('webhook-url').textContent()) ?? '').trim();
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:18080\/hooks\/[A-Za-z0-9_-]{20,}$/);
  await panel.getByRole('button', { name: 'I have saved the URL' }).click();
  await expect(panel).toHaveCount(0);
  return url;
}

/** Runs a GraphQL operation from the page, as the logged-in user; fails the test on errors. */
export async function graphql<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await page.evaluate(
    async ({ query, variables }) => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
    { query, variables },
  );
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  return answer.data as T;
}

/** A trading account of the user, with its connection's label. */
export interface Account {
  id: string;
  name: string;
  label: string;
}

/** The user's trading accounts, from `brokerConnections`, in the order they were linked. */
export async function tradingAccounts(page: Page): Promise<Account[]> {
  const data = await graphql<{
    brokerConnections: { label: string; accounts: { id: string; name: string }[] }[];
  }>(page, 'query { brokerConnections { label accounts { id name } } }');
  return data.brokerConnections.flatMap((connection) =>
    connection.accounts.map((account) => ({ ...account, label: connection.label })),
  );
}

/**
 * Makes a copy group of the webhook named `webhookName` with one follower per account (size
 * as the signal), through the API. Returns the group's id.
 */
export async function createCopyGroup(
  page: Page,
  name: string,
  webhookName: string,
  followers: Account[],
): Promise<string> {
  const { webhooks } = await graphql<{ webhooks: { id: string; name: string }[] }>(
    page,
    'query { webhooks { id name } }',
  );
  const webhook = webhooks.find((candidate) => candidate.name === webhookName);
  expect(webhook, `webhook ${webhookName}`).toBeDefined();
  const { createCopyGroup: group } = await graphql<{ createCopyGroup: { id: string; enabled: boolean } }>(
    page,
    'mutation ($input: CreateCopyGroupInput!) { createCopyGroup(input: $input) { id enabled } }',
    { input: { name, webhookId: webhook?.id } },
  );
  expect(group.enabled).toBe(true);
  for (const account of followers) {
    await graphql(
      page,
      'mutation ($input: AddFollowerInput!) { addFollower(input: $input) { id } }',
      { input: { copyGroupId: group.id, tradingAccountId: account.id, multiplier: 1, symbolMap: [] } },
    );
  }
  return group.id;
}

/** Sends `body` to a webhook URL with the real curl, as a script outside the browser would. */
export function sendWithCurl(url: string, body: string): string {
  return execFileSync('curl', ['-sS', '-X', 'POST', '-H', 'content-type: text/plain', '--data', body, url], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}
