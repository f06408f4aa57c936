// One signal, every venue: as a trader with a Tradovate login, an Apex login, a TopstepX
// login, a Bybit key and a paper account, I link them all on the Accounts page (the form asks
// each venue for exactly its credentials and says how to make them safe; the prop firms also
// point me to their rules), make them the followers of one copy group, send one TradingView
// alert, and watch five fills arrive live on the Dashboard, one per account. Each venue got
// exactly one order per login.
//
// The venues are brokersim (started by playwright.config.ts); this test makes its logins there
// through the simulator's control API, as they would exist at the real venues.
import { APIRequestContext, Locator, Page } from '@playwright/test';
import { signUp, uniqueEmail } from './support/accounts';
import {
  createBybitKey,
  createProjectXLogin,
  createTradovateLogin,
  postedBodies,
  received,
  uniqueSuffix,
  Venue,
} from './support/brokersim';
import { expect, test } from './support/fixtures';
import { Account, BUY_SIGNAL, createWebhook, sendWithCurl, tradingAccounts } from './support/trading';

const WEBHOOK = 'TradingView ES';
const GROUP = 'ES everywhere';

/** The credential inputs of a Tradovate login (Apex's too), in the order the form shows them. */
const TRADOVATE_FIELDS = [
  'credential-username',
  'credential-password',
  'credential-appId',
  'credential-cid',
  'credential-sec',
  'credential-appVersion',
  'credential-deviceId',
];

/** One venue as the link form should present it, and what the trader types into it. */
interface VenueLink {
  /** The broker's radio in the form, and its name on the connection card. */
  broker: string;
  label: string;
  /** The `data-testid`s of the credential inputs, in order; empty for none. */
  fields: string[];
  /** Phrases the guidance must hold: the server's advice, then the app's. */
  guidance: string[];
  /** The prop firm's rules notice: its link's name and address. */
  rules?: { link: string; href: string };
  /** Credential input label → value. */
  credentials: Record<string, string>;
  /** The names of the trading accounts the card lists once linked, and of some it must not. */
  accounts: string[];
  notAccounts?: string[];
}

/** The `data-testid`s of the credential inputs shown, in order. */
async function credentialInputs(form: Locator): Promise<(string | null)[]> {
  return form
    .getByTestId('credential-fields')
    .locator('input')
    .evaluateAll((inputs) => inputs.map((input) => input.getAttribute('data-testid')));
}

/** Links one venue from the Accounts page, checking the form shows its fields and guidance. */
async function linkVenue(page: Page, venue: VenueLink): Promise<void> {
  await page.getByRole('button', { name: 'Link an account', exact: true }).click();
  const form = page.getByTestId('link-form');
  await form.getByRole('radio', { name: venue.broker }).check();

  const fields = form.getByTestId('credential-fields');
  if (venue.fields.length === 0) {
    await expect(fields).toHaveCount(0);
  } else {
    await expect(fields).toBeVisible();
    expect(await credentialInputs(form), `${venue.broker}'s fields`).toEqual(venue.fields);
  }
  const guidance = form.getByTestId('broker-guidance');
  for (const phrase of venue.guidance) await expect(guidance).toContainText(phrase);
  const rules = guidance.getByTestId('prop-firm-rules');
  if (venue.rules) {
    await expect(rules).toContainText('sets its own rules on automated and copied trading');
    const link = rules.getByRole('link', { name: venue.rules.link });
    await expect(link).toHaveAttribute('href', venue.rules.href);
    await expect(link).toHaveAttribute('target', '_blank');
  } else {
    await expect(rules).toHaveCount(0);
  }

  await form.getByLabel('Label').fill(venue.label);
  for (const [label, value] of Object.entries(venue.credentials)) {
    await fields.getByLabel(label).fill(value);
  }
  await form.getByRole('button', { name: 'Link account' }).click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`“${venue.label}” is linked`);

  // The broker answered the login: the card lists exactly the accounts it should copy.
  const card = page
    .getByTestId('connection')
    .filter({ has: page.getByRole('heading', { name: venue.label, exact: true }) });
  await expect(card.getByTestId('connection-broker')).toHaveText(venue.broker);
  await expect(card.getByTestId('connection-status')).toHaveText('Connected');
  const accounts = card.getByTestId('trading-account');
  await expect(accounts).toHaveCount(venue.accounts.length);
  for (const name of venue.accounts) await expect(accounts.filter({ hasText: name })).toHaveCount(1);
  for (const name of venue.notAccounts ?? []) await expect(card).not.toContainText(name);
}

/** Adds an account as a follower of `group` through its follower editor. */
async function addFollower(
  group: Locator,
  account: Account,
  broker: string,
  settings: { symbolMap?: [string, string]; fixedQuantity?: string } = {},
): Promise<void> {
  await group.getByRole('button', { name: 'Add follower' }).click();
  const form = group.getByTestId('add-follower-form');
  await form
    .getByRole('combobox', { name: 'Account', exact: true })
    .selectOption({ label: `${account.label}: ${account.name} (${broker})` });
  if (settings.symbolMap) {
    await form.getByRole('button', { name: 'Add a symbol mapping' }).click();
    await form.getByLabel('Signal symbol 1').fill(settings.symbolMap[0]);
    await form.getByLabel('Traded as 1').fill(settings.symbolMap[1]);
  }
  if (settings.fixedQuantity) await form.getByLabel('Fixed quantity').fill(settings.fixedQuantity);
  await form.getByRole('button', { name: 'Add follower' }).click();
  await expect(group.getByTestId('copy-group-notice')).toContainText(`now copies “${GROUP}”`);
  await expect(form).toHaveCount(0);
}

/** Marks the page, so the test can tell it was never reloaded (a reload drops the mark). */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { notReloaded?: boolean }).notReloaded = true;
  });
}

async function wasNotReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
}

/** The order bodies a venue received on `path` for which `mine` holds. */
async function ordersAt(
  request: APIRequestContext,
  venue: Venue,
  path: string,
  mine: (entry: { headers: Record<string, string>; body: Record<string, unknown> }) => boolean,
): Promise<Record<string, unknown>[]> {
  const entries = (await received(request, venue, path)).filter((entry) => entry.method === 'POST');
  const bodies = postedBodies(entries);
  return bodies.filter((body, index) => mine({ headers: entries[index].headers, body }));
}

test('one signal to a group following Tradovate, Apex, TopstepX, Bybit and paper accounts fills on every venue, live on the Dashboard', async ({
  page,
  request,
}) => {
  // Five links, five followers and five fills, each through a simulated venue.
  test.setTimeout(240_000);

  // The trader's logins at the venues.
  const n = uniqueSuffix().toUpperCase();
  const tradovate = await createTradovateLogin(request, 'tv-trader', [`DEMO${n}`]);
  // An Apex login holds Apex accounts and may hold others: only the Apex ones are copied.
  const apex = await createTradovateLogin(request, 'apex-trader', [`APEX-${n}-01`, `SIM${n}`]);
  const topstep = await createProjectXLogin(request, 'topstep-trader', [`50KTC-V2-${n}`]);
  const bybit = await createBybitKey(request, { ContractTrade: ['Order', 'Position'] });

  await signUp(page, uniqueEmail('all-venues'));
  await page.goto('/accounts');
  await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
  const tradovateCredentials = (login: typeof tradovate) => ({
    Username: login.username,
    Password: login.password,
    'App ID': login.appId,
    'Client ID (cid)': login.cid,
    'Client secret (sec)': login.sec,
  });
  await linkVenue(page, {
    broker: 'Tradovate',
    label: 'Tradovate',
    fields: TRADOVATE_FIELDS,
    guidance: [
      'create a dedicated API app for CopyTrade with only the Orders, Positions, Account Information and Contract Library rights',
      'CopyTrade needs your username and password too',
    ],
    credentials: tradovateCredentials(tradovate),
    accounts: [tradovate.accounts[0].name],
  });
  await linkVenue(page, {
    broker: 'Apex Trader Funding',
    label: 'Apex',
    fields: TRADOVATE_FIELDS,
    guidance: ['the Tradovate login your Apex accounts trade under', "Only the login's Apex accounts are copied."],
    rules: { link: "Apex Trader Funding's rules", href: 'https://support.apextraderfunding.com' },
    credentials: tradovateCredentials(apex),
    accounts: [apex.accounts[0].name],
    notAccounts: [apex.accounts[1].name],
  });

  await linkVenue(page, {
    broker: 'Paper trading',
    label: 'Paper',
    fields: [],
    guidance: ['Simulated orders and fills inside CopyTrade'],
    credentials: {},
    accounts: ['Paper'],
  });
  await linkVenue(page, {
    broker: 'Bybit',
    label: 'Bybit',
    fields: ['credential-apiKey', 'credential-apiSecret'],
    guidance: [
      'with Read-Write access to Contracts (Derivatives) only, no Wallet withdrawal rights',
      'Trade-only key, withdrawals off, IP whitelist if offered.',
    ],
    credentials: { 'API key': bybit.apiKey, 'API secret': bybit.apiSecret },
    accounts: [bybit.accountId],
  });
  await linkVenue(page, {
    broker: 'TopstepX',
    label: 'TopstepX',
    fields: ['credential-username', 'credential-apiKey'],
    guidance: [
      "TopstepX's API add-on, create an API key for CopyTrade alone",
      'API access is a paid TopstepX add-on.',
    ],
    rules: { link: "Topstep's rules", href: 'https://help.topstep.com' },
    credentials: { Username: topstep.username, 'API key': topstep.apiKey },
    accounts: [topstep.accounts[0].name],
  });
  const accounts = await tradingAccounts(page);
  expect(accounts.map((account) => account.label)).toEqual(['Tradovate', 'Apex', 'Paper', 'Bybit', 'TopstepX']);
  // Each fill names its account: the five names must tell them apart.
  expect(new Set(accounts.map((account) => account.name)).size).toBe(5);
  const [tradovateAccount, apexAccount, paperAccount, bybitAccount, topstepAccount] = accounts;

  const url = await createWebhook(page, WEBHOOK);
  await page.goto('/copy-groups');
  await page.getByTestId('copy-groups-empty').getByRole('button', { name: 'Create your first copy group' }).click();
  const create = page.getByTestId('create-copy-group-form');
  await create.getByLabel('Name').fill(GROUP);
  await create.getByRole('combobox', { name: 'Webhook', exact: true }).selectOption({ label: WEBHOOK });
  await create.getByRole('button', { name: 'Create copy group' }).click();
  await expect(page.getByTestId('copy-groups-notice')).toContainText(`“${GROUP}” is created and active`);
  const group = page.getByTestId('copy-group');
  await addFollower(group, tradovateAccount, 'Tradovate');
  await addFollower(group, apexAccount, 'Apex Trader Funding');
  await addFollower(group, topstepAccount, 'TopstepX');
  // Bybit lists no ES: its follower trades a hundredth of a bitcoin on each ES signal.
  await addFollower(group, bybitAccount, 'Bybit', { symbolMap: ['ES', 'BTCUSDT'], fixedQuantity: '0.01' });
  await addFollower(group, paperAccount, 'Paper trading');
  const rows = group.getByTestId('follower');
  await expect(rows).toHaveCount(5);
  const bybitRow = rows.filter({ hasText: 'Bybit · Bybit' });
  await expect(bybitRow.getByTestId('follower-size')).toHaveText('Fixed 0.01');
  await expect(bybitRow.getByTestId('follower-symbols')).toHaveText('ES → BTCUSDT');

  await page.goto('/');
  const feed = page.getByTestId('fills');
  await expect(feed.getByTestId('fills-live')).toHaveAttribute('data-state', 'live');
  await expect(feed.getByTestId('fills-empty')).toBeVisible();
  const groupStatus = page.getByTestId('group-status').getByTestId('group');
  await expect(groupStatus.getByTestId('group-followers')).toHaveText('5 followers');
  await markPage(page);

  // `{"ticker":"ES1!","action":"buy","quantity":1}`, sent with curl as TradingView would.
  expect(sendWithCurl(url, BUY_SIGNAL)).toContain('"status":"accepted"');

  // Five fills, one per account, as each venue reported it: no reload, no click.
  const fills = feed.getByTestId('fill');
  await expect(fills).toHaveCount(5, { timeout: 30_000 });
  // The futures venues fill the front-month ES contract, named as traders name it (`ESZ6`), on
  // TopstepX too (whose API speaks in contract ids such as `CON.F.US.EP.Z26`).
  const esContract = /^ES[FGHJKMNQUVXZ]\d$/;
  const oneAtPrice = /^1 @ \d{1,3}(,\d{3})*\.\d{2,8}$/;
  const expected: [Account, RegExp | string, RegExp][] = [
    [tradovateAccount, esContract, oneAtPrice],
    [apexAccount, esContract, oneAtPrice],
    [topstepAccount, esContract, oneAtPrice],
    [bybitAccount, 'BTCUSDT', /^0\.01 @ \d{1,3}(,\d{3})*\.\d{2,8}$/],
    [paperAccount, 'ES', oneAtPrice],
  ];
  for (const [account, symbol, size] of expected) {
    const fill = fills.filter({ has: page.getByTestId('fill-account').getByText(account.name, { exact: true }) });
    await expect(fill, account.label).toHaveCount(1);
    await expect(fill.getByTestId('fill-side')).toHaveText('Buy');
    await expect(fill.getByTestId('fill-symbol')).toHaveText(symbol);
    await expect(fill.getByTestId('fill-size')).toHaveText(size);
  }
  expect(await wasNotReloaded(page)).toBe(true);

  // Exactly one order reached each venue login, for the account that follows.
  const accountIdIs = (id: number) => ({ body }: { body: Record<string, unknown> }) => body.accountId === id;
  const tradovateOrders = await ordersAt(request, 'tradovate', '/order/place', accountIdIs(tradovate.accounts[0].id));
  expect(tradovateOrders).toHaveLength(1);
  expect(tradovateOrders[0]).toMatchObject({ action: 'Buy', orderQty: 1, orderType: 'Market', isAutomated: true });
  const apexOrders = await ordersAt(request, 'tradovate', '/order/place', accountIdIs(apex.accounts[0].id));
  expect(apexOrders).toHaveLength(1);
  expect(apexOrders[0]).toMatchObject({ action: 'Buy', orderQty: 1, orderType: 'Market' });
  expect(await ordersAt(request, 'tradovate', '/order/place', accountIdIs(apex.accounts[1].id))).toHaveLength(0);
  const topstepOrders = await ordersAt(request, 'projectx', '/api/order/place', accountIdIs(topstep.accounts[0].id));
  expect(topstepOrders).toHaveLength(1);
  expect(topstepOrders[0]).toMatchObject({ side: 0, size: 1, type: 2 });
  const bybitOrders = await ordersAt(
    request,
    'bybit',
    '/v5/order/create',
    ({ headers }) => headers['x-bapi-api-key'] === bybit.apiKey,
  );
  expect(bybitOrders).toHaveLength(1);
  expect(bybitOrders[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Buy', qty: '0.01', orderType: 'Market' });

  // One session per login, whatever the pages read: Tradovate allows 10 logins a minute and then
  // asks for a captcha for an hour.
  for (const login of [tradovate, apex]) {
    const logins = postedBodies(await received(request, 'tradovate', '/auth/accesstokenrequest')).filter(
      (body) => body.name === login.username,
    );
    expect(logins, login.username).toHaveLength(1);
  }
});
