// Topics: the list with a search box, and the create form (name, partitions, replication factor,
// configs as name=value lines; an empty count or factor is the cluster's default).
import { list, v3 } from '../api.js';
import { badge, errorBox, formatNumber, h, onSubmit, parsePairs, replace, table } from '../dom.js';

function positiveOrDefault(text, what) {
  if (text === '') return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a positive whole number.`);
  return Number(text);
}

function createForm(onCreated) {
  const status = h('div');
  const form = h(
    'form',
    { class: 'inline', id: 'create-topic' },
    h('label', {}, 'Name', h('input', { name: 'name', required: true, placeholder: 'orders', size: 24 })),
    h('label', {}, 'Partitions', h('input', { name: 'partitions', placeholder: 'default', size: 8 })),
    h(
      'label',
      {},
      'Replication factor',
      h('input', { name: 'replication', placeholder: 'default', size: 8 }),
    ),
    h(
      'label',
      {},
      'Configs (name=value per line)',
      h('textarea', { name: 'configs', placeholder: 'retention.ms=86400000' }),
    ),
    h('button', { type: 'submit' }, 'Create topic'),
  );
  onSubmit(form, status, async (values) => {
    const body = {
      topic_name: values.name,
      partitions_count: positiveOrDefault(values.partitions, 'Partitions'),
      replication_factor: positiveOrDefault(values.replication, 'Replication factor'),
      configs: parsePairs(values.configs, 'config'),
    };
    await v3.post(['topics'], body);
    form.reset();
    onCreated(values.name);
    return `Topic ${values.name} created.`;
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Create a topic'), form, status);
}

export async function renderTopics(main) {
  const search = h('input', { type: 'search', placeholder: 'Search topics', id: 'topic-search', size: 30 });
  const showInternal = h('input', { type: 'checkbox', id: 'show-internal' });
  const listing = h('div');
  let topics = [];

  const draw = () => {
    const needle = search.value.trim().toLowerCase();
    const shown = topics
      .filter((t) => showInternal.checked || !t.is_internal)
      .filter((t) => t.topic_name.toLowerCase().includes(needle));
    replace(
      listing,
      table(
        [
          [
            'Name',
            (t) => [
              h('a', { href: `#/topics/${encodeURIComponent(t.topic_name)}` }, t.topic_name),
              t.is_internal ? badge('internal') : null,
            ],
          ],
          ['Partitions', (t) => formatNumber(t.partitions_count), { num: true }],
          ['Replication factor', (t) => formatNumber(t.replication_factor), { num: true }],
          [
            'Messages',
            (t) => h('a', { href: `#/messages?topic=${encodeURIComponent(t.topic_name)}` }, 'browse'),
          ],
        ],
        shown,
        {
          empty: needle === '' ? 'No topics yet.' : 'No topic matches.',
          rowProps: (t) => ({ 'data-topic': t.topic_name }),
        },
      ),
    );
  };
  const load = async () => {
    try {
      topics = await list(['topics']);
      draw();
    } catch (error) {
      replace(listing, errorBox(error));
    }
  };
  search.addEventListener('input', draw);
  showInternal.addEventListener('change', draw);

  replace(
    main,
    h('h1', {}, 'Topics'),
    createForm(() => load()),
    h('div', { class: 'toolbar' }, search, h('label', {}, 'Show internal topics', showInternal)),
    listing,
  );
  await load();
}
