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

describe('admin timeouts', () => {
  it("takes Kafka's AdminClient default.api.timeout.ms and retry.backoff.ms", () => {
    const properties = new Map([
      ['default.api.timeout.ms', '5000'],
      ['retry.backoff.ms', '250'],
    ]);
    expect(clientConfigFrom(properties, read)).toEqual({
      scheme: 'http',
      security: {},
      apiTimeoutMs: 5000,
      retryBackoffMs: 250,
    });
    expect(() => clientConfigFrom(new Map([['retry.backoff.ms', '1s']]), read)).toThrow(
      '--command-config: retry.backoff.ms=1s is not a number of milliseconds',
    );
  });
});

describe('parseBootstrapServers', () => {
  it('turns host:port lists into base URLs', () => {
    expect(parseBootstrapServers('127.0.0.1:8081, localhost:8082,,https://kafka.example:443')).toEqual([
      'http://127.0.0.1:8081',
      'http://localhost:8082',
      'https://kafka.example',
    ]);
    expect(parseBootstrapServers('[::1]:8081')).toEqual(['http://[::1]:8081']);
  });

  it("refuses entries without a port, as Kafka's client does", () => {
    expect(() => parseBootstrapServers('localhost')).toThrow(UsageError);
    expect(() => parseBootstrapServers('localhost')).toThrow('Invalid url in bootstrap.servers: localhost');
    expect(() => parseBootstrapServers(' , ')).toThrow(
      'No resolvable bootstrap urls given in bootstrap.servers',
    );
  });
});
