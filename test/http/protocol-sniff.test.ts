import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HTTP2_PREFACE, sniffProtocol } from '../../src/http/protocol-sniff.ts';

describe('sniffProtocol', () => {
  it('waits while the bytes are a proper prefix of the HTTP/2 preface', () => {
    for (let length = 0; length < HTTP2_PREFACE.length; length += 1) {
      expect(sniffProtocol(HTTP2_PREFACE.subarray(0, length))).toBeNull();
    }
  });

  it('says http2 for the preface and whatever follows it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (rest) => {
        expect(sniffProtocol(Buffer.concat([HTTP2_PREFACE, rest]))).toBe('http2');
      }),
    );
  });

  it('says http1 as soon as one byte differs from the preface', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: HTTP2_PREFACE.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (at, delta, rest) => {
          const head = Buffer.concat([HTTP2_PREFACE.subarray(0, at + 1), rest]);
          head[at] = (head[at]! + delta) % 256;
          expect(sniffProtocol(head)).toBe('http1');
        },
      ),
    );
  });

  it.each(['GET / HTTP/1.1\r\n', 'POST /v3/clusters HTTP/1.1\r\n', 'PRI * HTTP/1.1\r\n', 'P'])(
    '%j',
    (text) => {
      expect(sniffProtocol(Buffer.from(text))).toBe(text === 'P' ? null : 'http1');
    },
  );
});
