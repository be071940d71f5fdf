// One topic: its partitions (leader, replicas, ISR, log start and end), adding partitions, its configs
// (set or reset one), and deleting it after typing its name.
import { list, mapLimited, v3 } from '../api.js';
import { badge, errorBox, formatNumber, h, notice, onSubmit, replace, table } from '../dom.js';

async function partitionsWithOffsets(name) {
  const partitions = await list(['topics', name, 'partitions']);
  return mapLimited(partitions, 6, async (partition) => {
    try {
      const bounds = await v3.get(['topics', name, 'partitions', partition.partition_id, 'records'], {
        max_records: 0,
      });
      return { ...partition, start: bounds.log_start_offset, end: bounds.high_watermark };
    } catch {
      // No leader right now: the row still shows replicas and ISR.
      return { ...partition, start: null, end: null };
    }
  });
}

function partitionsTable(name, partitions) {
  return table(
    [
      ['Partition', (p) => String(p.partition_id)],
      ['Leader', (p) => (p.leader_id === -1 ? badge('offline', 'bad') : String(p.leader_id))],
      ['Replicas', (p) => p.replica_ids.join(', ')],
      [
        'ISR',
        (p) => [
          p.isr.join(', '),
          p.isr.length < p.replica_ids.length ? badge('under-replicated', 'warn') : null,
        ],
      ],
      ['Log start', (p) => formatNumber(p.start), { num: true }],
      ['Log end', (p) => formatNumber(p.end), { num: true }],
      [
        '',
        (p) =>
          h(
            'a',
            { href: `#/messages?topic=${encodeURIComponent(name)}&partition=${p.partition_id}` },
            'messages',
          ),
      ],
    ],
    partitions,
    { rowProps: (p) => ({ 'data-partition': p.partition_id }) },
  );
}

function configsSection(name, configs, reload, status) {
  const form = h(
    'form',
    { class: 'inline', id: 'set-config' },
    h(
      'label',
      {},
      'Config',
      h('input', {
        name: 'name',
        list: 'config-names',
        required: true,
        placeholder: 'retention.ms',
        size: 28,
      }),
    ),
    h(
      'datalist',
      { id: 'config-names' },
      configs.map((c) => h('option', { value: c.name })),
    ),
    h('label', {}, 'Value', h('input', { name: 'value', required: true, size: 24 })),
    h('button', { type: 'submit' }, 'Set'),
  );
  onSubmit(form, status, async ({ name: config, value }) => {
    await v3.put(['topics', name, 'configs', config], { value });
    await reload();
    return `${config} set to ${value}.`;
  });
  const reset = async (config) => {
    replace(status);
    try {
      await v3.delete(['topics', name, 'configs', config]);
      await reload();
      replace(status, notice(`${config} reset to its default.`));
    } catch (error) {
      replace(status, errorBox(error));
    }
  };
  return [
    form,
    status,
    table(
      [
        ['Name', (c) => c.name],
        ['Value', (c) => (c.is_sensitive ? '(sensitive)' : (c.value ?? '—'))],
        ['Source', (c) => c.source],
        [
          '',
          (c) =>
            c.is_default || c.is_read_only || c.source !== 'DYNAMIC_TOPIC_CONFIG'
              ? ''
              : h('button', { type: 'button', class: 'secondary', onclick: () => reset(c.name) }, 'Reset'),
        ],
      ],
      configs,
      { rowProps: (c) => ({ 'data-config': c.name }) },
    ),
  ];
}

function addPartitionsForm(name, topic, reload, status) {
  const form = h(
    'form',
    { class: 'inline', id: 'add-partitions' },
    h(
      'label',
      {},
      'New partition count',
      h('input', { name: 'count', required: true, size: 8, value: String(topic.partitions_count + 1) }),
    ),
    h('button', { type: 'submit' }, 'Add partitions'),
  );
  onSubmit(form, status, async ({ count }) => {
    if (!/^\d+$/.test(count)) throw new Error('The partition count must be a whole number.');
    await v3.patch(['topics', name], { partitions_count: Number(count) });
    await reload();
    return `${name} has ${count} partitions now.`;
  });
  return [form, status];
}

function deleteSection(name) {
  const status = h('div');
  const confirmation = h('input', { name: 'confirm', placeholder: name, size: 24, autocomplete: 'off' });
  const button = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Delete topic');
  confirmation.addEventListener('input', () => {
    button.disabled = confirmation.value !== name;
  });
  const form = h(
    'form',
    { class: 'inline', id: 'delete-topic' },
    h('label', {}, `Type the topic name to confirm`, confirmation),
    button,
  );
  onSubmit(form, status, async ({ confirm }) => {
    if (confirm !== name) throw new Error('The name typed is not the topic name.');
    await v3.delete(['topics', name]);
    location.hash = '#/topics';
  });
  // onSubmit enables the buttons again after a failure; the confirmation still decides.
  form.addEventListener('submit', () => setTimeout(() => (button.disabled = confirmation.value !== name), 0));
  return [
    h('p', { class: 'muted' }, 'Deleting a topic deletes its records and its committed offsets.'),
    form,
    status,
  ];
}

export async function renderTopic(main, name) {
  const body = h('div');
  // Kept across re-renders: a form's outcome outlives the reload it causes.
  const partitionsStatus = h('div');
  const configsStatus = h('div');
  const reload = async () => {
    const [topic, partitions, configs] = await Promise.all([
      v3.get(['topics', name]),
      partitionsWithOffsets(name),
      list(['topics', name, 'configs']),
    ]);
    replace(
      body,
      h(
        'p',
        {},
        `${topic.partitions_count} partitions, replication factor ${topic.replication_factor}`,
        topic.is_internal ? ' (internal)' : '',
        topic.topic_id ? `, id ${topic.topic_id}` : '',
        '. ',
        h('a', { href: `#/messages?topic=${encodeURIComponent(name)}` }, 'Browse messages'),
      ),
      h('h2', {}, 'Partitions'),
      partitionsTable(name, partitions),
      addPartitionsForm(name, topic, reload, partitionsStatus),
      h('h2', {}, 'Configs'),
      configsSection(name, configs, reload, configsStatus),
      h('h2', {}, 'Delete'),
      deleteSection(name),
    );
  };
  replace(main, h('h1', {}, h('a', { href: '#/topics' }, 'Topics'), ' / ', name), body);
  await reload();
}
