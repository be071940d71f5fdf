import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../src/http/records/embedded.ts';

/** What strict base64 means, by definition: the text is the (optionally unpadded) encoding of its bytes. */
function reference(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : null;
}

function decoded(text: string): Buffer | null {
  try {
    return decodeBase64(text, 'value');
  } catch {
    return null;
  }
}

const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

describe('decodeBase64', () => {
  it('accepts exactly the canonical encodings (padding optional), as a re-encoding check would', () => {
    const base64ish = fc
      .array(fc.constantFrom(...digits, '=', '-', '_', ' '), { maxLength: 24 })
      .map((chars) => chars.join(''));
    const encodings = fc
      .uint8Array({ maxLength: 40 })
      .chain((bytes) =>
        fc.constantFrom(
          Buffer.from(bytes).toString('base64'),
          Buffer.from(bytes).toString('base64').replace(/=+$/, ''),
        ),
      );
    fc.assert(
      fc.property(fc.oneof(base64ish, encodings), (text) => {
        expect(decoded(text)).toEqual(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a last digit with bits no byte sets, and a length no bytes encode to', () => {
    expect(decoded('QQ==')).toEqual(Buffer.from('A'));
    expect(decoded('QQ')).toEqual(Buffer.from('A'));
    expect(decoded('QR==')).toBeNull();
    expect(decoded('QUI=')).toEqual(Buffer.from('AB'));
    expect(decoded('QUJ=')).toBeNull();
    expect(decoded('QUJDR')).toBeNull();
    expect(decoded('')).toEqual(Buffer.alloc(0));
  });
});
