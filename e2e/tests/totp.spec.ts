// The tests' authenticator (support/totp.ts) is itself tested: RFC 6238 Appendix B and
// RFC 4226 Appendix D give the codes for known secrets and times.
import { expect, test } from '@playwright/test';
import { base32Decode, hotp, stepAt, totp } from './support/totp';

// The RFC's SHA-1 key: the ASCII digits "1234567890" twice.
const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');

test('HOTP matches RFC 4226 Appendix D', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  expect(expected.map((_, counter) => hotp(RFC_KEY, counter))).toEqual(expected);
});

test('TOTP matches RFC 6238 Appendix B (SHA-1, 8 digits)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [seconds, code] of vectors) {
    expect(hotp(RFC_KEY, stepAt(seconds * 1000), 8), `T = ${seconds}`).toBe(code);
  }
});

test('base32 secrets decode as authenticator apps read them', () => {
  // RFC 4648 §10, and the RFC key in base32 with the spacing the app shows.
  expect(base32Decode('MZXW6YTB').toString('ascii')).toBe('fooba');
  expect(base32Decode('MZXW6YTBOI======').toString('ascii')).toBe('foobar');
  expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(RFC_KEY);
  expect(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', stepAt(59_000))).toBe('287082');
  expect(() => base32Decode('not base32!')).toThrow();
});
