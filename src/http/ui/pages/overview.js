// Cluster overview: the nodes (brokers from their registrations, controllers from the metadata quorum's
// voters), the quorum with each replica's log end and lag, and partition health counted from every
// topic's partitions (under-replicated: ISR smaller than the replicas; offline: no leader).
import { list, mapLimited, v3 } from '../api.js';
import { badge, errorBox, formatNumber, formatTime, h, replace, table } from '../dom.js';

const REFRESH_MS = 5000;

async function partitionHealth() {
  const topics = await list(['topics']);
  const partitions = (
    await mapLimited(topics, 6, (topic) => list(['topics', topic.topic_name, 'partitions']))
  ).flat();
  return {
    topics: topics.length,
    partitions: partitions.length,
    underReplicated: partitions.filter((p) => p.isr.length < p.replica_ids.length).length,
    offline: partitions.filter((p) => p.leader_id === -1).length,
  };
}

function nodes(brokers, quorum) {
  const byId = new Map();
  for (const broker of brokers)
    byId.set(broker.broker_id, { id: broker.broker_id, broker, roles: ['broker'] });
  for (const voter of quorum?.voters ?? []) {
    const entry = byId.get(voter.replica_id) ?? { id: voter.replica_id, broker: null, roles: [] };
    entry.roles.push('controller');
    byId.set(voter.replica_id, entry);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function brokerState(broker) {
  if (broker === null) return badge('controller only');
  if (broker.fenced) return badge('fenced', 'bad');
  if (broker.in_controlled_shutdown) return badge('shutting down', 'warn');
  return badge('unfenced', 'good');
}

function quorumTable(quorum) {
  const rows = [
    ...quorum.voters.map((replica) => ({ ...replica, kind: 'voter' })),
    ...quorum.observers.map((replica) => ({ ...replica, kind: 'observer' })),
  ];
  return table(
    [
      [
        'Replica',
        (r) => [`${r.replica_id} `, r.replica_id === quorum.leader_id ? badge('leader', 'good') : null],
      ],
      ['Kind', (r) => r.kind],
      ['Log end offset', (r) => formatNumber(r.log_end_offset), { num: true }],
      ['Lag', (r) => formatNumber(r.lag), { num: true }],
      ['Last fetch', (r) => formatTime(r.last_fetch_timestamp)],
      ['Last caught up', (r) => formatTime(r.last_caught_up_timestamp)],
    ],
    rows,
  );
}

async function draw(main) {
  const [brokers, quorum, health] = await Promise.all([
    list(['brokers']),
    v3.get(['metadata-quorum']).catch((error) => ({ error })),
    partitionHealth().catch((error) => ({ error })),
  ]);
  const healthy = health.error === undefined;
  const quorumOk = quorum.error === undefined;
  replace(
    main,
    h('h1', {}, 'Cluster overview'),
    healthy
      ? h(
          'div',
          { class: 'stats' },
          stat('Unfenced brokers', brokers.filter((b) => !b.fenced).length, `of ${brokers.length}`),
          stat('Topics', health.topics),
          stat('Partitions', health.partitions),
          stat(
            'Under-replicated',
            health.underReplicated,
            'partitions',
            health.underReplicated > 0,
            'under-replicated',
          ),
          stat('Offline', health.offline, 'partitions', health.offline > 0, 'offline'),
        )
      : errorBox(health.error),
    h('h2', {}, 'Nodes'),
    table(
      [
        ['Id', (n) => String(n.id)],
        ['Address', (n) => (n.broker?.host ? `${n.broker.host}:${n.broker.port}` : '—')],
        ['Roles', (n) => n.roles.join(', ')],
        ['State', (n) => brokerState(n.broker)],
        ['Rack', (n) => n.broker?.rack ?? '—'],
        ['Metadata', (n) => (quorumOk && n.id === quorum.leader_id ? badge('quorum leader', 'good') : '')],
      ],
      nodes(brokers, quorumOk ? quorum : null),
      { rowProps: (n) => ({ 'data-node': n.id }) },
    ),
    h('h2', {}, 'Metadata quorum'),
    quorumOk
      ? [
          h(
            'p',
            {},
            `Leader ${quorum.leader_id}, epoch ${quorum.leader_epoch}, high watermark ${formatNumber(quorum.high_watermark)}, largest follower lag ${formatNumber(quorum.max_follower_lag)}.`,
          ),
          quorumTable(quorum),
        ]
      : errorBox(quorum.error),
  );
}

function stat(label, value, detail, bad, key) {
  return h(
    'div',
    { class: bad ? 'stat bad' : 'stat', 'data-stat': key },
    h('div', { class: 'value' }, formatNumber(value)),
    h('div', { class: 'label' }, detail ? `${label} ${detail}` : label),
  );
}

export async function renderOverview(main) {
  await draw(main);
  let stopped = false;
  const timer = setInterval(() => {
    draw(main).catch((error) => {
      if (!stopped) replace(main, h('h1', {}, 'Cluster overview'), errorBox(error));
    });
  }, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
