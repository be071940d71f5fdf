// The SDK's metadata cache (metadata.ts): concurrent refreshes for different topics share requests
// that ask for every one of them, rather than one request that asks for the first caller's topic only.

import { describe, expect, it } from 'vitest';
import { ClusterMetadata } from '../../src/client/metadata.ts';
import { decodeMetadataRequest, encodeMetadataResponse } from '../../src/http/native/codec.ts';

/** A broker stand-in that knows every topic (one partition led by broker 1) and counts the requests. */
function broker() {
  const asked: string[][] = [];
  const connections = {
    post: async (_origin: string, path: string, body: Buffer): Promise<Buffer> => {
      expect(path).toBe('/v1/metadata');
      const { topics } = decodeMetadataRequest(body);
      asked.push([...topics]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return encodeMetadataResponse({
        clusterId: 'c',
        brokers: [{ id: 1, host: '127.0.0.1', port: 8081, fenced: false }],
        topics: topics.map((name) => ({
          name,
          errorCode: 0,
          partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }],
        })),
      });
    },
  };
  return { asked, connections };
}

describe('ClusterMetadata.refresh', () => {
  it('answers 100 concurrent first refreshes of 100 topics with two requests', async () => {
    const { asked, connections } = broker();
    const metadata = new ClusterMetadata(connections, ['http://127.0.0.1:8081'], 1_000);
    const topics = Array.from({ length: 100 }, (_, i) => `t${i}`);
    await Promise.all(topics.map((topic) => metadata.refresh([topic])));
    expect(asked).toHaveLength(2);
    expect(asked[0]).toEqual(['t0']);
    expect(asked[1]!.toSorted()).toEqual(topics.toSorted());
    for (const topic of topics) expect(metadata.partitions(topic)?.[0]?.origin).toBe('http://127.0.0.1:8081');
  });

  it('shares the refresh in flight with a caller whose topics it asks for', async () => {
    const { asked, connections } = broker();
    const metadata = new ClusterMetadata(connections, ['http://127.0.0.1:8081'], 1_000);
    await Promise.all([metadata.refresh(['a']), metadata.refresh(['a']), metadata.refresh([])]);
    expect(asked).toEqual([['a']]);
  });
});
