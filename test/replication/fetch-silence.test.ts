import { describe, expect, it } from 'vitest';
import { brokerId } from '../../src/metadata/ids.ts';
import { FetchSilence } from '../../src/replication/fetch-silence.ts';

const [B2, B3] = [brokerId(2), brokerId(3)];

describe('FetchSilence', () => {
  it('says a broker is silent once it has sent no fetch for the minimum silence', () => {
    const silence = new FetchSilence(1_000);
    for (let now = 0; now <= 500; now += 50) silence.fetched(B2, now);
    expect(silence.silent(B2, 1_500)).toBe(false);
    expect(silence.silent(B2, 1_501)).toBe(true);
    silence.fetched(B2, 1_600);
    expect(silence.silent(B2, 1_700)).toBe(false);
  });

  it('never calls a broker it has not heard from silent (it may not follow anything led here yet)', () => {
    const silence = new FetchSilence(1_000);
    silence.fetched(B2, 0);
    expect(silence.silent(B3, 1_000_000)).toBe(false);
  });

  it('lets a broker that fetches slowly be silent for twice its longest recent gap', () => {
    const silence = new FetchSilence(1_000);
    // A busy follower: a fetch every 800 ms.
    for (let now = 0; now <= 8_000; now += 800) silence.fetched(B2, now);
    expect(silence.allowedMs(B2)).toBe(1_600);
    expect(silence.silent(B2, 8_000 + 1_600)).toBe(false);
    expect(silence.silent(B2, 8_000 + 1_601)).toBe(true);
    // Only the recent gaps count: back to a quick pace, back to the minimum.
    for (let now = 8_050; now <= 9_000; now += 50) silence.fetched(B2, now);
    expect(silence.allowedMs(B2)).toBe(1_000);
  });
});
