import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConnectionRefusal,
  ConnectionLimiter,
  NO_CONNECTION_LIMITS,
  normalizeIp,
  parsePerIpOverrides,
} from '../../src/common/connection-limits.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

describe('parsePerIpOverrides', () => {
  it("reads Kafka's host:count list, IPv6 included", () => {
    expect([...parsePerIpOverrides(' 10.0.0.1:5, [::1]:7,fe80::1:3 ,')]).toEqual([
      ['10.0.0.1', 5],
      ['::1', 7],
      ['fe80::1', 3],
    ]);
    expect(parsePerIpOverrides('').size).toBe(0);
  });

  it('names a bad item', () => {
    expect(() => parsePerIpOverrides('10.0.0.1')).toThrow(/"10.0.0.1" is not host:count/);
    expect(() => parsePerIpOverrides('10.0.0.1:x')).toThrow(/10.0.0.1:x/);
    expect(() => parsePerIpOverrides(':5')).toThrow(/":5"/);
    expect(() => parsePerIpOverrides('h:-1')).toThrow(/h:-1/);
  });

  it('maps IPv4-mapped IPv6 to IPv4', () => {
    expect(normalizeIp('::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('[::1]')).toBe('::1');
  });
});

describe('ConnectionLimiter', () => {
  it('refuses the connection over max.connections.per.ip, and takes one again once a slot is released', () => {
    const refused: ConnectionRefusal[] = [];
    const limiter = new ConnectionLimiter(
      'CLIENT',
      { ...NO_CONNECTION_LIMITS, maxConnectionsPerIp: 2, perIpOverrides: new Map([['10.0.0.9', 0]]) },
      (_listener, reason) => refused.push(reason),
    );
    const first = limiter.admit('127.0.0.1');
    const second = limiter.admit('::ffff:127.0.0.1');
    expect(first.admitted && second.admitted).toBe(true);
    expect(limiter.admit('127.0.0.1')).toEqual({ admitted: false, reason: 'max_connections_per_ip' });
    expect(limiter.admit('10.0.0.2').admitted).toBe(true);
    expect(limiter.admit('10.0.0.9')).toEqual({ admitted: false, reason: 'max_connections_per_ip' });
    if (!first.admitted) throw new Error('unreachable');
    first.release();
    first.release();
    expect(limiter.openFrom('127.0.0.1')).toBe(1);
    expect(limiter.admit('127.0.0.1').admitted).toBe(true);
    expect(refused).toEqual(['max_connections_per_ip', 'max_connections_per_ip']);
  });

  it('refuses over max.connections whatever the IP', () => {
    const limiter = new ConnectionLimiter('PLAINTEXT', { ...NO_CONNECTION_LIMITS, maxConnections: 1 });
    expect(limiter.admit('10.0.0.1').admitted).toBe(true);
    expect(limiter.admit('10.0.0.2')).toEqual({ admitted: false, reason: 'max_connections' });
  });

  it('rejects limits that are not counts', () => {
    expect(() => new ConnectionLimiter('X', { ...NO_CONNECTION_LIMITS, maxConnections: -1 })).toThrow(
      /max.connections of X/,
    );
  });

  it(`never holds more than the limits, and counts back to zero (seed ${SEED})`, () => {
    const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 2 }), fc.nat()), { maxLength: 200 }),
        (maxConnections, maxConnectionsPerIp, steps) => {
          const limiter = new ConnectionLimiter('L', {
            maxConnections,
            maxConnectionsPerIp,
            perIpOverrides: new Map(),
          });
          const held: { ip: string; release: () => void }[] = [];
          for (const [open, ipIndex, pick] of steps) {
            const ip = ips[ipIndex]!;
            if (open) {
              const admission = limiter.admit(ip);
              const fromIp = held.filter((h) => h.ip === ip).length;
              // Admitted exactly when both limits leave room.
              expect(admission.admitted).toBe(fromIp < maxConnectionsPerIp && held.length < maxConnections);
              if (admission.admitted) held.push({ ip, release: admission.release });
            } else if (held.length > 0) {
              const [gone] = held.splice(pick % held.length, 1);
              gone!.release();
            }
            expect(limiter.open).toBe(held.length);
            for (const each of ips)
              expect(limiter.openFrom(each)).toBe(held.filter((h) => h.ip === each).length);
          }
          for (const h of held) h.release();
          expect(limiter.open).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
