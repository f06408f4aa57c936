// The venue simulator the test server trades on (brokersim, started by playwright.config.ts):
// tests make their own logins at the simulated venues through its control API, as a trader
// would have them at the real ones, and read back what each venue received.
//
// One simulator serves the whole run, so every login, key and account name made here is
// unique, and what a test reads back is narrowed to its own logins.
import { APIRequestContext, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';

/** The simulator's address: `simListen` in playwright.config.ts. */
export const SIM = 'http://127.0.0.1:18091';

/** The venues the simulator plays, by their prefix under `/_sim`. */
export type Venue = 'tradovate' | 'projectx' | 'bybit';

/** A short random suffix that keeps names apart across tests and runs. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Calls the control API; fails the test unless the simulator took the call. */
async function control<T>(request: APIRequestContext, venue: Venue, path: string, body: unknown): Promise<T> {
  const response = await request.post(`${SIM}/_sim/${venue}${path}`, { data: body });
  const text = await response.text();
  expect(response.ok(), `POST /_sim/${venue}${path}: ${response.status()} ${text}`).toBe(true);
  return JSON.parse(text) as T;
}

/** A simulated venue account: the venue's id for it and its name. */
export interface SimAccount {
  id: number;
  name: string;
}

/** What a trader types to link a Tradovate (or Apex) login. */
export interface TradovateLogin {
  username: string;
  password: string;
  appId: string;
  cid: string;
  sec: string;
  accounts: SimAccount[];
}

/** Makes a Tradovate login with its own API app (`cid`, `sec`) and the accounts named. */
export async function createTradovateLogin(
  request: APIRequestContext,
  label: string,
  accountNames: string[],
): Promise<TradovateLogin> {
  const suffix = uniqueSuffix();
  const login = {
    username: `${label}-${suffix}`,
    password: `pw-${suffix}-${randomBytes(6).toString('hex')}`,
    appId: 'CopyTrade',
    // Tradovate gives each API app a number; any unique one does here.
    cid: String(1_000 + parseInt(suffix.slice(0, 5), 16)),
    sec: `sec-${randomBytes(8).toString('hex')}`,
  };
  const made = await control<{ accounts: SimAccount[] }>(request, 'tradovate', '/users', {
    name: login.username,
    password: login.password,
    cid: Number(login.cid),
    sec: login.sec,
    appId: login.appId,
    accounts: accountNames.map((name) => ({ name })),
  });
  expect(made.accounts.map((account) => account.name)).toEqual(accountNames);
  return { ...login, accounts: made.accounts };
}

/** What a trader types to link a TopstepX login. */
export interface ProjectXLogin {
  username: string;
  apiKey: string;
  accounts: SimAccount[];
}

/** Makes a TopstepX (ProjectX) user with the API add-on and the accounts named. */
export async function createProjectXLogin(
  request: APIRequestContext,
  label: string,
  accountNames: string[],
): Promise<ProjectXLogin> {
  const suffix = uniqueSuffix();
  const login = { username: `${label}-${suffix}`, apiKey: `px-${randomBytes(12).toString('hex')}` };
  const made = await control<{ accounts: SimAccount[] }>(request, 'projectx', '/users', {
    userName: login.username,
    apiKey: login.apiKey,
    accounts: accountNames.map((name) => ({ name })),
  });
  expect(made.accounts.map((account) => account.name)).toEqual(accountNames);
  return { ...login, accounts: made.accounts };
}

/** What a trader types to link a Bybit key, and the account (UID) the key trades. */
export interface BybitKey {
  apiKey: string;
  apiSecret: string;
  /** The account's UID, as the venue writes it. */
  accountId: string;
}

/** Makes a Bybit API key, on an account of its own, with exactly the permissions given. */
export async function createBybitKey(
  request: APIRequestContext,
  permissions: Record<string, string[]>,
): Promise<BybitKey> {
  const key = { apiKey: `BYBIT${uniqueSuffix().toUpperCase()}`, apiSecret: randomBytes(16).toString('hex') };
  const made = await control<{ apiKey: string; accountId: string }>(request, 'bybit', '/users', {
    ...key,
    permissions,
  });
  expect(made.apiKey).toBe(key.apiKey);
  return { ...key, accountId: made.accountId };
}

/** One request (or stream frame, method `WS`) a venue received, from its journal. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The requests a venue received whose path contains `path` (any case). */
export async function received(request: APIRequestContext, venue: Venue, path: string): Promise<Received[]> {
  const response = await request.get(`${SIM}/_sim/${venue}/requests`, { params: { path } });
  expect(response.ok(), `GET /_sim/${venue}/requests`).toBe(true);
  const journal = (await response.json()) as { requests: Received[] };
  return journal.requests;
}

/** The JSON bodies of the POSTs among `requests`. */
export function postedBodies(requests: Received[]): Record<string, unknown>[] {
  return requests
    .filter((entry) => entry.method === 'POST')
    .map((entry) => JSON.parse(entry.body) as Record<string, unknown>);
}
