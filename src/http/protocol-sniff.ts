// Which protocol a plain-text connection speaks, from its first bytes. An HTTP/2 client with prior
// knowledge (RFC 9113 §3.3) starts with the connection preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`;
// anything else is HTTP/1.x ("PRI" is no HTTP/1 method).

export const HTTP2_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export type SniffedProtocol = 'http1' | 'http2';

/** The protocol of a connection whose first bytes are `head`, or null while `head` could still be either. */
export function sniffProtocol(head: Uint8Array): SniffedProtocol | null {
  const length = Math.min(head.length, HTTP2_PREFACE.length);
  for (let i = 0; i < length; i += 1) {
    if (head[i] !== HTTP2_PREFACE[i]) return 'http1';
  }
  return head.length >= HTTP2_PREFACE.length ? 'http2' : null;
}
