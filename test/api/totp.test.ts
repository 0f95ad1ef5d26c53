import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, generateTotpSecret, matchTotp, totpCode, totpStep } from '../../modules/identity/totp.ts';

// RFC 6238 Appendix B, SHA-1 rows: the secret is the ASCII string "12345678901234567890"; the RFC prints eight
// digits, an authenticator shows the last six.
const rfcSecret = base32Encode(Buffer.from('12345678901234567890', 'ascii'));
const rfcVectors: [seconds: number, eightDigits: string][] = [
  [59, '94287082'],
  [1_111_111_109, '07081804'],
  [1_111_111_111, '14050471'],
  [1_234_567_890, '89005924'],
  [2_000_000_000, '69279037'],
  [20_000_000_000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(rfcVectors)('at %i s the code is the last six digits of %s', (seconds, eightDigits) => {
    expect(totpCode(rfcSecret, totpStep(new Date(seconds * 1000)))).toBe(eightDigits.slice(-6));
  });

  it('accepts the code of the current step and one step either side, nothing further', () => {
    const secret = generateTotpSecret();
    const now = new Date(1_700_000_000_000);
    const step = totpStep(now);
    expect(matchTotp(secret, totpCode(secret, step), now)).toBe(step);
    expect(matchTotp(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
    expect(matchTotp(secret, totpCode(secret, step + 1), now)).toBe(step + 1);
    expect(matchTotp(secret, totpCode(secret, step + 2), now)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now)).toBeNull();
  });

  it('round-trips secrets through base32', () => {
    const bytes = Buffer.from('a secret of twenty b', 'ascii');
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(() => base32Decode('not base32!')).toThrow(RangeError);
  });
});
