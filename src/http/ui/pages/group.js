// One consumer group: state, members and their assignments, per partition the committed offset, log end
// and lag; and resetting its offsets (earliest, latest or a given offset) while it has no members, as
// kafka-consumer-groups --reset-offsets does (POST .../consumer-groups/{g}/offsets).
import { brokerIdOf, list, mapLimited, v3 } from '../api.js';
import { errorBox, formatNumber, h, onSubmit, replace, table } from '../dom.js';
import { stateBadge } from './groups.js';

const REFRESH_MS = 5000;

async function members(groupId) {
  const consumers = await list(['consumer-groups', groupId, 'consumers']);
  return mapLimited(consumers, 6, async (consumer) => ({
    ...consumer,
    assignments: await list([
      'consumer-groups',
      groupId,
      'consumers',
      consumer.consumer_id,
      'assignments',
    ]).catch(() => []),
  }));
}

/** The offset each partition is reset to: its log start, its high watermark, or the one given. */
async function targetOffsets(partitions, to, given) {
  return mapLimited(partitions, 6, async ({ topic_name, partition_id }) => {
    if (to === 'offset') return { topic_name, partition_id, offset: given };
    const bounds = await v3.get(['topics', topic_name, 'partitions', partition_id, 'records'], {
      max_records: 0,
    });
    return {
      topic_name,
      partition_id,
      offset: to === 'earliest' ? bounds.log_start_offset : bounds.high_watermark,
    };
  });
}

function resetForm(groupId, group, lags, reload, status) {
  const topics = [...new Set(lags.map((lag) => lag.topic_name))].sort();
  const empty = group.state === 'EMPTY';
  const offsetInput = h('input', { name: 'offset', size: 10, placeholder: 'offset' });
  const toSelect = h(
    'select',
    { name: 'to' },
    h('option', { value: 'earliest' }, 'Earliest'),
    h('option', { value: 'latest' }, 'Latest'),
    h('option', { value: 'offset' }, 'Offset'),
  );
  const showOffset = () => {
    offsetInput.parentElement.hidden = toSelect.value !== 'offset';
  };
  toSelect.addEventListener('change', showOffset);
  const form = h(
    'form',
    { class: 'inline', id: 'reset-offsets' },
    h(
      'label',
      {},
      'Topic',
      h(
        'select',
        { name: 'topic' },
        h('option', { value: '' }, 'All topics with commits'),
        topics.map((t) => h('option', { value: t }, t)),
      ),
    ),
    h('label', {}, 'Reset to', toSelect),
    h('label', {}, 'Offset', offsetInput),
    h('button', { type: 'submit', disabled: !empty }, 'Reset offsets'),
  );
  onSubmit(form, status, async ({ topic, to, offset }) => {
    // As kafka-consumer-groups: every topic with commits, or every partition of the topic named.
    const partitions =
      topic === ''
        ? lags
        : (await list(['topics', topic, 'partitions'])).map((p) => ({
            topic_name: topic,
            partition_id: p.partition_id,
          }));
    if (partitions.length === 0) throw new Error('The group has no committed offsets to reset.');
    if (to === 'offset' && !/^\d+$/.test(offset)) throw new Error('The offset must be a whole number.');
    const offsets = await targetOffsets(partitions, to, Number(offset));
    await v3.post(['consumer-groups', groupId, 'offsets'], { offsets });
    await reload();
    return `Reset ${offsets.length} partition(s) of ${groupId} to ${to === 'offset' ? `offset ${offset}` : to}.`;
  });
  queueMicrotask(showOffset);
  return [
    empty
      ? null
      : h(
          'p',
          { class: 'muted' },
          'Offsets can be reset only while the group has no members (state EMPTY): stop its consumers first.',
        ),
    form,
    status,
  ];
}

export async function renderGroup(main, groupId) {
  const body = h('div');
  const status = h('div');
  // Kept across re-renders: the outcome of a reset outlives the reload it causes.
  const resetStatus = h('div');
  const reload = async () => {
    const [group, consumers, lags] = await Promise.all([
      v3.get(['consumer-groups', groupId]),
      members(groupId),
      list(['consumer-groups', groupId, 'lags']),
    ]);
    lags.sort((a, b) => a.topic_name.localeCompare(b.topic_name) || a.partition_id - b.partition_id);
    const totalLag = lags.reduce((sum, lag) => sum + lag.lag, 0);
    replace(
      body,
      h(
        'p',
        { id: 'group-state' },
        'State ',
        stateBadge(group.state),
        ` assignor ${group.partition_assignor || '—'}, coordinator broker ${brokerIdOf(group.coordinator) ?? '—'}, ${consumers.length} member(s), total lag ${formatNumber(totalLag)}.`,
      ),
      h('h2', {}, 'Members'),
      table(
        [
          ['Member', (c) => c.consumer_id],
          ['Client id', (c) => c.client_id],
          ['Host', (c) => c.host ?? '—'],
          [
            'Assigned',
            (c) => c.assignments.map((a) => `${a.topic_name}-${a.partition_id}`).join(', ') || '—',
          ],
        ],
        consumers,
        { empty: 'No members.' },
      ),
      h('h2', {}, 'Offsets and lag'),
      table(
        [
          ['Topic', (l) => h('a', { href: `#/topics/${encodeURIComponent(l.topic_name)}` }, l.topic_name)],
          ['Partition', (l) => String(l.partition_id), { num: true }],
          ['Committed offset', (l) => formatNumber(l.current_offset), { num: true }],
          ['Log end offset', (l) => formatNumber(l.log_end_offset), { num: true }],
          ['Lag', (l) => formatNumber(l.lag), { num: true }],
          ['Member', (l) => l.consumer_id || '—'],
        ],
        lags,
        {
          empty: 'No committed offsets.',
          rowProps: (l) => ({ 'data-lag': `${l.topic_name}-${l.partition_id}` }),
        },
      ),
      h('h2', {}, 'Reset offsets'),
      resetForm(groupId, group, lags, reload, resetStatus),
    );
  };
  replace(main, h('h1', {}, h('a', { href: '#/groups' }, 'Consumer groups'), ' / ', groupId), status, body);
  await reload();
  // Members come and go and lag moves: refresh, unless the user is in the middle of the reset form.
  const timer = setInterval(() => {
    if (body.querySelector('#reset-offsets')?.contains(document.activeElement)) return;
    reload().then(
      () => replace(status),
      (error) => replace(status, errorBox(error)),
    );
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
