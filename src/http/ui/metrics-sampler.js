// Samples for the live charts, every 2 s while the console is open (from the first visit of the charts
// page): the cluster's produce and consume rates from every broker's traffic counters (GET
// .../broker-traffic: records and bytes in and out of the partitions each broker leads) and each consumer
// group's total lag (its lag summary). Rates are counter differences over time, per broker; a counter
// that went down is a broker that restarted and counts from 0 again.
import { list, mapLimited, v3 } from './api.js';

export const SAMPLE_MS = 2000;
/** Five minutes of history. */
const POINTS_MAX = 150;

const state = {
  times: [],
  produceRecords: [],
  consumeRecords: [],
  bytesIn: [],
  bytesOut: [],
  /** By group id: lag per sample, null where the group was not there. */
  lags: new Map(),
  /** The last answer of each broker: its counters and when. */
  previous: new Map(),
  /** Brokers whose metrics could not be read at the last sample, with the reason. */
  unreadable: [],
  error: null,
};

const listeners = new Set();
let timer = null;

/** The counters' increase per second since the broker's previous answer; null on its first answer. */
function rates(brokers) {
  const sum = { produceRecords: null, consumeRecords: null, bytesIn: null, bytesOut: null };
  const fields = [
    ['produceRecords', 'messages_in_total'],
    ['consumeRecords', 'messages_out_total'],
    ['bytesIn', 'bytes_in_total'],
    ['bytesOut', 'bytes_out_total'],
  ];
  for (const broker of brokers) {
    if (broker.error !== null) continue;
    const before = state.previous.get(broker.broker_id);
    state.previous.set(broker.broker_id, broker);
    if (before === undefined) continue;
    const seconds = (broker.scraped_at - before.scraped_at) / 1000;
    if (seconds <= 0) continue;
    for (const [key, field] of fields) {
      const now = broker[field];
      const increase = now >= before[field] ? now - before[field] : now;
      sum[key] = (sum[key] ?? 0) + increase / seconds;
    }
  }
  return sum;
}

async function groupLags() {
  const groups = await list(['consumer-groups']);
  const lags = await mapLimited(groups, 6, async (group) => {
    const summary = await v3
      .get(['consumer-groups', group.consumer_group_id, 'lag-summary'])
      .catch(() => null);
    return [group.consumer_group_id, summary?.total_lag ?? null];
  });
  return new Map(lags);
}

function push(series, value) {
  series.push(value);
  if (series.length > POINTS_MAX) series.shift();
}

async function sample() {
  try {
    const [traffic, lags] = await Promise.all([v3.get(['broker-traffic']), groupLags()]);
    const rate = rates(traffic.data);
    state.unreadable = traffic.data.filter((b) => b.error !== null);
    const length = state.times.length;
    push(state.times, Date.now() / 1000);
    for (const key of ['produceRecords', 'consumeRecords', 'bytesIn', 'bytesOut'])
      push(state[key], rate[key]);
    for (const group of lags.keys()) {
      if (!state.lags.has(group)) state.lags.set(group, new Array(length).fill(null));
    }
    for (const [group, series] of state.lags) {
      push(series, lags.get(group) ?? null);
      if (series.every((value) => value === null)) state.lags.delete(group);
    }
    state.error = null;
  } catch (error) {
    state.error = error;
  }
  for (const listener of listeners) listener(state);
}

/** Calls `listener` after every sample (and at once with what there is); returns the unsubscribe. */
export function subscribe(listener) {
  listeners.add(listener);
  if (timer === null) {
    sample();
    timer = setInterval(sample, SAMPLE_MS);
  }
  listener(state);
  return () => listeners.delete(listener);
}
