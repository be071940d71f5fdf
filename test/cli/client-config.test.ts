import { describe, expect, it } from 'vitest';
import {
  clientConfigFrom,
  parseBootstrapServers,
  parseClientProperties,
  readClientConfig,
} from '../../src/cli/client-config.ts';
import { UsageError } from '../../src/cli/errors.ts';

const files: Record<string, string> = { '/ca.pem': 'CA PEM', '/client.pem': 'KEY AND CHAIN PEM' };
const read = (_key: string, path: string): string => {
  const text = files[path];
  if (text === undefined) throw new UsageError(`no ${path}`);
  return text;
};

describe('--command-config', () => {
  it('is plain HTTP without a file or with PLAINTEXT', () => {
    expect(readClientConfig(null)).toEqual({ scheme: 'http', security: {} });
    expect(clientConfigFrom(new Map([['security.protocol', 'PLAINTEXT']]), read)).toEqual({
      scheme: 'http',
      security: {},
    });
  });

  it('turns SSL into https with the PEM truststore and keystore', () => {
    const properties = parseClientProperties(
      [
        '# a Kafka client config',
        'security.protocol = SSL',
        'ssl.truststore.type=PEM',
        'ssl.truststore.location=/ca.pem',
        'ssl.keystore.location:/client.pem',
        'ssl.key.password=secret',
        'sasl.mechanism=SCRAM-SHA-256',
      ].join('\n'),
    );
    expect(clientConfigFrom(properties, read)).toEqual({
      scheme: 'https',
      security: {
        tls: { ca: 'CA PEM', cert: 'KEY AND CHAIN PEM', key: 'KEY AND CHAIN PEM', passphrase: 'secret' },
      },
    });
    expect(parseBootstrapServers('127.0.0.1:8081,http://h:1', 'https')).toEqual([
      'https://127.0.0.1:8081',
      'http://h:1',
    ]);
  });

  it('refuses what it cannot use, naming it', () => {
    expect(() => clientConfigFrom(new Map([['security.protocol', 'TLS']]), read)).toThrow(
      'unknown security.protocol TLS',
    );
    expect(() => clientConfigFrom(new Map([['ssl.truststore.type', 'JKS']]), read)).toThrow('only PEM');
    expect(() => clientConfigFrom(new Map([['ssl.truststore.location', '/missing.pem']]), read)).toThrow(
      'no /missing.pem',
    );
    expect(() => parseClientProperties('just words')).toThrow('is not key=value');
    expect(() => readClientConfig('/nonexistent/client.properties')).toThrow('Cannot read --command-config');
  });
});
