// Sessions as the server issues them (backend/src/auth/token.rs): HS256 JWTs with the claims
// `sub iat exp iss aud ver`, signed with the server's JWT secret. The test server generated that
// secret into its data dir (COPYTRADE_E2E_DATA_DIR, made by playwright.config.ts) as base64, so a
// test can re-sign its own session with another `iat`: an old log-in, as if the browser had been
// left open for hours. Nothing else about the session changes.
import { BrowserContext, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The web app's session cookie over plain HTTP (the test server's). */
const SESSION_COOKIE = 'copytrade_session';
const SESSION_DAYS = 30;

interface Claims {
  sub: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  ver: number;
}

function jwtSecret(): Buffer {
  const dir = process.env.COPYTRADE_E2E_DATA_DIR;
  if (!dir) throw new Error('COPYTRADE_E2E_DATA_DIR is unset: run the tests through playwright.config.ts');
  return Buffer.from(readFileSync(path.join(dir, 'jwt-secret.key'), 'utf8').trim(), 'base64');
}

function part(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The claims of a session token (its signature is the server's business). */
export function claimsOf(token: string): Claims {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
}

/** An HS256 session token with these claims, signed as the server signs. */
export function signSession(claims: Claims): string {
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = createHmac('sha256', jwtSecret()).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** The browser's session token. */
export async function sessionToken(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  expect(cookie, 'the browser holds a session cookie').toBeDefined();
  return cookie?.value ?? '';
}

/**
 * Replaces the browser's session with the same one logged in `hours` ago: same user and token
 * version, an `iat` that far back, and the usual 30 days from it.
 */
export async function ageSession(context: BrowserContext, hours: number): Promise<void> {
  const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie) throw new Error('no session cookie to age: log in first');
  const current = claimsOf(cookie.value);
  expect(current.iss).toBe('copytrade');
  expect(current.aud).toBe('copytrade-session');
  const iat = Math.floor(Date.now() / 1000) - hours * 3600;
  const aged = signSession({
    sub: current.sub,
    iat,
    exp: iat + SESSION_DAYS * 86_400,
    iss: current.iss,
    aud: current.aud,
    ver: current.ver,
  });
  await context.addCookies([{ ...cookie, value: aged }]);
}
