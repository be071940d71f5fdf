// The message browser: a partition's records from the newest, the oldest, an offset or a time, newest or
// oldest first, with key, value (pretty JSON when it is), headers, timestamp and offset; and a produce
// form. The choice lives in the hash (#/messages?topic=t&partition=0&from=offset&at=5&order=oldest&count=50)
// so a view can be linked and reloaded. A record of a dead-letter topic shows where it came from and its
// attempts; a final one (no retry is coming) can be sent back to its topic, without the dlq.* headers,
// to be delivered again from its first attempt.
import { list, utf8Base64, v3 } from '../api.js';
import { errorBox, formatNumber, formatTime, h, onSubmit, parsePairs, replace, table } from '../dom.js';
import { headerText, showBytes } from '../record-format.js';

const COUNT_DEFAULT = 50;
const COUNT_MAX = 1000;

/** The offsets [start, end) of the records to show, and whether they end at `end` (read backwards). */
async function readWindow(path, choice) {
  const count = choice.count;
  const forwardFrom = async (query) => (await v3.get(path, { ...query, max_records: count })).data;
  const backwardTo = async (end) => {
    const first = Math.max(0, end - count);
    const answer = await v3.get(path, { offset: first, max_records: count });
    return answer.data.filter((record) => record.offset < end);
  };
  const bounds = async (query) => v3.get(path, { ...query, max_records: 0 });
  switch (choice.from) {
    case 'oldest':
      return forwardFrom({});
    case 'newest':
      return backwardTo((await bounds({})).high_watermark);
    case 'offset':
      return choice.order === 'oldest' ? forwardFrom({ offset: choice.at }) : backwardTo(choice.at + 1);
    case 'timestamp':
      // Newest first from a time: the records stamped up to it, i.e. before the first one after it.
      return choice.order === 'oldest'
        ? forwardFrom({ timestamp: choice.at })
        : backwardTo((await bounds({ timestamp: choice.at + 1 })).start_offset);
    default:
      throw new Error(`Unknown start: ${choice.from}`);
  }
}

function parseChoice(query) {
  const from = ['newest', 'oldest', 'offset', 'timestamp'].includes(query.get('from'))
    ? query.get('from')
    : 'newest';
  const order = query.get('order') === 'oldest' ? 'oldest' : 'newest';
  const count = Math.min(Math.max(Number(query.get('count')) || COUNT_DEFAULT, 1), COUNT_MAX);
  return {
    topic: query.get('topic') ?? '',
    partition: query.get('partition') ?? '0',
    from,
    atText: query.get('at') ?? '',
    order,
    count,
  };
}

/** The offset or epoch ms the start names, from the text of its input. */
function startValue(choice) {
  if (choice.from === 'offset') {
    if (!/^\d+$/.test(choice.atText)) throw new Error('The offset must be a whole number.');
    return Number(choice.atText);
  }
  if (choice.from === 'timestamp') {
    const ms = new Date(choice.atText).getTime();
    if (Number.isNaN(ms)) throw new Error('Pick a date and time to start from.');
    return ms;
  }
  return undefined;
}

function bytesCell(embedded) {
  const shown = showBytes(embedded);
  return h('pre', { class: `data ${shown.kind}`, 'data-kind': shown.kind }, shown.text);
}

const DLQ_PREFIX = 'dlq.';

/** The dlq.* headers of a record as a map of text values; null when it is not a dead letter. */
function deadLetterOf(record) {
  const found = new Map(
    record.headers
      .filter((header) => header.name.startsWith(DLQ_PREFIX) && header.value !== null)
      .map((header) => [header.name, headerText(header.value)]),
  );
  return found.has('dlq.origin.topic') ? found : null;
}

function deadLetterCell(record) {
  const letter = deadLetterOf(record);
  if (letter === null) return h('span', { class: 'muted' }, '—');
  const origin = `${letter.get('dlq.origin.topic')}-${letter.get('dlq.origin.partition')}@${letter.get('dlq.origin.offset')}`;
  const retryAt = letter.get('dlq.retry.at');
  const status = h('div', { class: 'muted' });
  const sendBack = async (event) => {
    event.target.disabled = true;
    try {
      const report = await v3.post(['topics', letter.get('dlq.origin.topic'), 'records'], {
        headers: record.headers.filter((header) => !header.name.startsWith(DLQ_PREFIX)),
        ...(record.key !== null ? { key: record.key } : {}),
        ...(record.value !== null ? { value: record.value } : {}),
      });
      replace(status, `Sent back: ${report.topic_name}-${report.partition_id}@${report.offset}`);
    } catch (error) {
      event.target.disabled = false;
      replace(status, errorBox(error));
    }
  };
  return h(
    'div',
    { class: 'dead-letter' },
    h('div', {}, `from ${origin}`),
    h(
      'div',
      {},
      `attempts ${letter.get('dlq.attempts') ?? '?'}${letter.has('dlq.reason') ? `: ${letter.get('dlq.reason')}` : ''}`,
    ),
    retryAt !== undefined
      ? h('div', { class: 'muted' }, `retry at ${formatTime(Number(retryAt))}`)
      : h('button', { type: 'button', class: 'send-back', onclick: sendBack }, 'Send back'),
    status,
  );
}

function recordsTable(records) {
  const anyDeadLetter = records.some((record) => deadLetterOf(record) !== null);
  return table(
    [
      ['Offset', (r) => String(r.offset), { num: true }],
      [
        'Timestamp',
        (r) => [
          formatTime(r.timestamp),
          r.timestamp_type === 'LOG_APPEND_TIME' ? h('div', { class: 'muted' }, 'log append time') : null,
        ],
      ],
      ['Key', (r) => bytesCell(r.key)],
      ['Value', (r) => bytesCell(r.value)],
      [
        'Headers',
        (r) =>
          r.headers.length === 0
            ? h('span', { class: 'muted' }, '—')
            : h(
                'pre',
                { class: 'data headers' },
                r.headers.map((header) => `${header.name}: ${headerText(header.value)}`).join('\n'),
              ),
      ],
      ...(anyDeadLetter ? [['Dead letter', deadLetterCell]] : []),
    ],
    records,
    { empty: 'No records here.', rowProps: (r) => ({ 'data-offset': r.offset }) },
  );
}

function produceForm(topics, choice, onProduced) {
  const status = h('div');
  const topicSelect = h(
    'select',
    { name: 'topic', required: true },
    topics.map((t) => h('option', { value: t.topic_name }, t.topic_name)),
  );
  topicSelect.value = choice.topic;
  const form = h(
    'form',
    { class: 'inline', id: 'produce' },
    h('label', {}, 'Topic', topicSelect),
    h('label', {}, 'Partition (empty: by key)', h('input', { name: 'partition', size: 6 })),
    h('label', {}, 'Key (empty: null)', h('input', { name: 'key', size: 18 })),
    h('label', {}, 'Value (empty: null)', h('textarea', { name: 'value', placeholder: '{"amount": 42}' })),
    h(
      'label',
      {},
      'Headers (name=value per line)',
      h('textarea', { name: 'headers', placeholder: 'trace-id=abc' }),
    ),
    h('button', { type: 'submit' }, 'Produce'),
  );
  onSubmit(form, status, async (values) => {
    if (values.partition !== '' && !/^\d+$/.test(values.partition))
      throw new Error('The partition must be a whole number, or empty.');
    const raw = new FormData(form);
    const text = (name) => String(raw.get(name) ?? '');
    const body = {
      ...(values.partition !== '' ? { partition_id: Number(values.partition) } : {}),
      headers: parsePairs(text('headers'), 'header').map(({ name, value }) => ({
        name,
        value: utf8Base64(value),
      })),
      ...(text('key') !== '' ? { key: { type: 'STRING', data: text('key') } } : {}),
      ...(text('value') !== '' ? { value: { type: 'STRING', data: text('value') } } : {}),
    };
    const report = await v3.post(['topics', values.topic, 'records'], body);
    onProduced(report);
    return `Produced to ${report.topic_name} partition ${report.partition_id} at offset ${report.offset}.`;
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Produce a record'), form, status);
}

export async function renderMessages(main, query) {
  const choice = parseChoice(query);
  const topics = await list(['topics']);
  if (choice.topic === '' && topics.length > 0)
    choice.topic = (topics.find((t) => !t.is_internal) ?? topics[0]).topic_name;
  const results = h('div', { id: 'records' });

  const topicSelect = h(
    'select',
    { name: 'topic' },
    topics.map((t) => h('option', { value: t.topic_name }, t.topic_name)),
  );
  topicSelect.value = choice.topic;
  const partitionSelect = h('select', { name: 'partition' });
  const fillPartitions = (name, selected) => {
    const topic = topics.find((t) => t.topic_name === name);
    replace(
      partitionSelect,
      Array.from({ length: topic?.partitions_count ?? 0 }, (_, i) =>
        h('option', { value: String(i) }, String(i)),
      ),
    );
    partitionSelect.value = selected;
    if (partitionSelect.value === '') partitionSelect.value = '0';
  };
  fillPartitions(choice.topic, choice.partition);
  topicSelect.addEventListener('change', () => fillPartitions(topicSelect.value, '0'));

  const fromSelect = h(
    'select',
    { name: 'from' },
    h('option', { value: 'newest' }, 'Newest'),
    h('option', { value: 'oldest' }, 'Oldest'),
    h('option', { value: 'offset' }, 'Offset'),
    h('option', { value: 'timestamp' }, 'Timestamp'),
  );
  fromSelect.value = choice.from;
  const offsetInput = h('input', { name: 'offset', size: 10, placeholder: 'offset' });
  const timeInput = h('input', { name: 'time', type: 'datetime-local', step: '1' });
  if (choice.from === 'offset') offsetInput.value = choice.atText;
  if (choice.from === 'timestamp') timeInput.value = choice.atText;
  const showStart = () => {
    offsetInput.parentElement.hidden = fromSelect.value !== 'offset';
    timeInput.parentElement.hidden = fromSelect.value !== 'timestamp';
  };
  fromSelect.addEventListener('change', showStart);
  const orderSelect = h(
    'select',
    { name: 'order' },
    h('option', { value: 'newest' }, 'Newest first'),
    h('option', { value: 'oldest' }, 'Oldest first'),
  );
  orderSelect.value = choice.order;

  const browseStatus = h('div');
  const form = h(
    'form',
    { class: 'inline', id: 'browse' },
    h('label', {}, 'Topic', topicSelect),
    h('label', {}, 'Partition', partitionSelect),
    h('label', {}, 'Start', fromSelect),
    h('label', {}, 'Offset', offsetInput),
    h('label', {}, 'Time (local)', timeInput),
    h('label', {}, 'Order', orderSelect),
    h('label', {}, 'Count', h('input', { name: 'count', size: 5, value: String(choice.count) })),
    h('button', { type: 'submit' }, 'Show'),
  );

  const load = async (current) => {
    replace(results, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const at = startValue(current);
      const path = ['topics', current.topic, 'partitions', current.partition, 'records'];
      const records = await readWindow(path, { ...current, at });
      if (current.order === 'newest') records.sort((a, b) => b.offset - a.offset);
      else records.sort((a, b) => a.offset - b.offset);
      const bounds = await v3.get(path, { max_records: 0 });
      replace(
        results,
        h(
          'p',
          { class: 'muted' },
          `${current.topic} partition ${current.partition}: log start ${formatNumber(bounds.log_start_offset)}, high watermark ${formatNumber(bounds.high_watermark)}; ${records.length} record(s) shown.`,
        ),
        recordsTable(records),
      );
    } catch (error) {
      replace(results, errorBox(error));
    }
  };

  onSubmit(form, browseStatus, async (values) => {
    const params = new URLSearchParams({
      topic: values.topic,
      partition: values.partition,
      from: values.from,
      at: values.from === 'offset' ? values.offset : values.from === 'timestamp' ? values.time : '',
      order: values.order,
      count: values.count,
    });
    const hash = `#/messages?${params}`;
    if (location.hash === hash) await load(parseChoice(params));
    else location.hash = hash;
  });

  replace(
    main,
    h('h1', {}, 'Messages'),
    topics.length === 0
      ? h('p', { class: 'muted' }, 'No topics yet: create one on the Topics page.')
      : [
          h('section', { class: 'card' }, form, browseStatus, results),
          produceForm(topics, choice, (report) => {
            // The view shown is of `choice`: show the new record when it went there.
            if (report.topic_name === choice.topic && String(report.partition_id) === choice.partition)
              load(choice);
          }),
        ],
  );
  showStart();
  if (choice.topic !== '' && topics.length > 0) await load(choice);
  return undefined;
}
