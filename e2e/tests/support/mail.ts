// The mailbox of the test servers: mailsink (started by playwright.config.ts) takes every mail
// the server sends over real SMTP, and its control API (docs/mailsink.md) hands them to the
// tests, which open the links in them as a user would from their inbox.
//
// Waiting is the sink's: `GET /messages?to=…&min=N&timeout_ms=…` answers as soon as the Nth
// mail to that address arrives, so no test sleeps and hopes. One sink serves the whole run;
// each test's addresses are its own (uniqueEmail), so reading by recipient is enough.
import { expect } from '@playwright/test';

/** The sink's control API: `mailHttp` in playwright.config.ts. */
export const MAILSINK = 'http://127.0.0.1:18026';

/** The second test server, which sends no email: `mailOffListen` in playwright.config.ts. */
export const MAIL_OFF_SERVER = 'http://127.0.0.1:18081';

/** How long a mail may take to arrive. */
const MAIL_TIMEOUT_MS = 15_000;

/** One mail as the sink stored it (the fields the tests read). */
export interface Mail {
  id: number;
  subject: string | null;
  from: string | null;
  to: string | null;
  rcpt_to: string[];
  /** The plain-text body, decoded. */
  text: string | null;
}

/**
 * The mails to `to`, oldest first: at once, or once there are at least `wait.min` (or when
 * `wait.timeoutMs` is up, with what there is).
 */
async function mailsTo(to: string, wait?: { min: number; timeoutMs: number }): Promise<Mail[]> {
  const query = new URLSearchParams({ to });
  if (wait) {
    query.set('min', String(wait.min));
    query.set('timeout_ms', String(Math.max(1, Math.ceil(wait.timeoutMs))));
  }
  const response = await fetch(`${MAILSINK}/messages?${query}`);
  const text = await response.text();
  expect(response.ok, `GET /messages: ${response.status} ${text}`).toBe(true);
  return JSON.parse(text) as Mail[];
}

/**
 * Waits for the `nth` mail (1 = the first) to `to` whose subject contains `subjectPart`, and
 * returns it. Each round asks the sink for one mail more than the address has so far, so the
 * wait ends with the mail that arrives, whatever else the address gets meanwhile.
 */
export async function waitForMail(to: string, subjectPart: string, nth = 1): Promise<Mail> {
  const deadline = Date.now() + MAIL_TIMEOUT_MS;
  let min = 1;
  for (;;) {
    const mails = await mailsTo(to, { min, timeoutMs: deadline - Date.now() });
    const matching = mails.filter((mail) => (mail.subject ?? '').includes(subjectPart));
    if (matching.length >= nth) return matching[nth - 1];
    if (Date.now() >= deadline) {
      const subjects = mails.map((mail) => JSON.stringify(mail.subject)).join(', ') || 'none';
      throw new Error(`mail ${nth} to ${to} with "${subjectPart}" never came; subjects received: ${subjects}`);
    }
    min = mails.length + 1;
  }
}

/** How many mails to `to` have subjects containing `subjectPart`, now. */
export async function countMails(to: string, subjectPart: string): Promise<number> {
  const mails = await mailsTo(to);
  return mails.filter((mail) => (mail.subject ?? '').includes(subjectPart)).length;
}

/** The link in `mail`'s text to the page at `path` (`/reset-password`), as the user would click it. */
export function linkFrom(mail: Mail, path: string): string {
  const text = mail.text ?? '';
  // A URL ends at whitespace or at what mail text puts around it (<…>, quotes, brackets).
  const urls = text.match(/https?:\/\/[^\s<>"'()\[\]]+/g) ?? [];
  // Sentence punctuation after a link is not part of it.
  const link = urls.map((url) => url.replace(/[.,;:!?]+$/, '')).find((url) => new URL(url).pathname === path);
  if (!link) throw new Error(`no link to ${path} in mail ${JSON.stringify(mail.subject)}:\n${text}`);
  return link;
}
