// RFC 6238 time-based one-time passwords (HMAC-SHA-1, 6 digits, 30-second steps): what an
// authenticator app computes, so the tests can log in with two-factor login on exactly as a
// user would. Checked against the RFC's own test vectors in ../totp.spec.ts.
import { createHmac } from 'node:crypto';

export const STEP_SECONDS = 30;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The bytes of an RFC 4648 base32 text; spaces, padding and case are ignored. */
export function base32Decode(text: string): Buffer {
  const symbols = text.replace(/[\s=]/g, '').toUpperCase();
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const symbol of symbols) {
    const value = BASE32.indexOf(symbol);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(symbol)}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 4226 HOTP: the code for one counter value. */
export function hotp(key: Buffer, counter: number, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  // Dynamic truncation (RFC 4226 §5.3): four bytes at the offset the last nibble names.
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step of a moment (milliseconds since the epoch). */
export function stepAt(millis: number): number {
  return Math.floor(millis / 1000 / STEP_SECONDS);
}

/** The code of a time step for a base32 secret. */
export function totp(secret: string, step: number, digits = 6): string {
  return hotp(base32Decode(secret), step, digits);
}

/** The code of the current step, and the step. */
export function currentCode(secret: string): { code: string; step: number } {
  const step = stepAt(Date.now());
  return { code: totp(secret, step), step };
}

/**
 * A code the server has not seen: it accepts each step once, so after a code of `usedStep` the
 * next one is only valid from the following step on. Waits for it (at most one step).
 */
export async function codeAfter(secret: string, usedStep: number): Promise<{ code: string; step: number }> {
  const nextStepAt = (usedStep + 1) * STEP_SECONDS * 1000;
  const wait = nextStepAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 250));
  return currentCode(secret);
}
