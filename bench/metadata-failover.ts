// Measures, on real node processes with the local cluster's timeouts (election 500 ms, heartbeat
// 500 ms, session 3000 ms): how long after kill -9 of the metadata leader a new leader is known, and
// how long after a topic create returns the topic is visible on every node.
//
//   npm run bench:failover -- [--rounds 5]
//
// Not a test: it prints figures and asserts nothing about them.
import { parseArgs } from 'node:util';
import { ProcessCluster, waitFor } from '../test/integration/process-cluster.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const LOCAL_TIMEOUTS = {
  'controller.quorum.election.timeout.ms': '500',
  'broker.heartbeat.interval.ms': '500',
  'broker.session.timeout.ms': '3000',
};

const cluster = await ProcessCluster.create({ controllers: 3, overrides: LOCAL_TIMEOUTS });
const failoverMs: number[] = [];
const visibleMs: number[] = [];
try {
  await cluster.startAll();
  for (let round = 0; round < rounds; round++) {
    const via = (round % 3) + 1;
    const created = await cluster.http(via, 'POST', cluster.topicsPath(), {
      topic_name: `t${round}`,
      partitions_count: 3,
    });
    if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
    const answeredAt = performance.now();
    await Promise.all(
      [1, 2, 3].map((id) =>
        waitFor(
          `t${round} on node ${id}`,
          async () => (await cluster.get(id, `${cluster.topicsPath()}/t${round}`)).status === 200,
        ),
      ),
    );
    visibleMs.push(performance.now() - answeredAt);

    const leader = await waitFor('leader', async () => {
      const answer = await cluster.quorum(via);
      return answer.body?.leader_id > 0 ? (answer.body.leader_id as number) : undefined;
    });
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    const killedAt = performance.now();
    await cluster.stop(leader, 'SIGKILL');
    await waitFor('new leader', async () => {
      const answer = await cluster.quorum(survivor);
      return answer.status === 200 && answer.body.leader_id > 0 && answer.body.leader_id !== leader;
    });
    failoverMs.push(performance.now() - killedAt);
    cluster.start(leader);
    await cluster.waitReady();
  }
} finally {
  await cluster.destroy();
}
const summary = (list: number[]) => ({
  min: Math.round(Math.min(...list)),
  median: Math.round(list.toSorted((a, b) => a - b)[Math.floor(list.length / 2)]!),
  max: Math.round(Math.max(...list)),
});
console.log(
  JSON.stringify({
    benchmark: 'metadata failover and visibility (local-cluster timeouts, real processes)',
    rounds,
    newLeaderAfterKillMs: { ...summary(failoverMs), all: failoverMs.map(Math.round) },
    topicVisibleOnAllNodesMs: { ...summary(visibleMs), all: visibleMs.map((ms) => Number(ms.toFixed(1))) },
  }),
);
