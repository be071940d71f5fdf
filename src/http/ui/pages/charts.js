// Live charts (uPlot): produce and consume rates in records/s and bytes/s, and each consumer group's
// total lag, from the sampler (metrics-sampler.js), which keeps sampling while the console is open.
import { errorBox, h, replace } from '../dom.js';
import { SAMPLE_MS, subscribe } from '../metrics-sampler.js';
import uPlot from '../vendor/uplot.js';

const COLORS = ['#1f4e79', '#c0504d', '#2e8b57', '#8064a2', '#d4a017', '#4bacc6', '#7f6000', '#e36c09'];

function chartWidth(container) {
  return Math.max(360, Math.floor(container.getBoundingClientRect().width) - 4);
}

/** A uPlot over `seriesNames` in `container`; rebuilt when the names change (groups come and go). */
function liveChart(container, title, unit) {
  let plot = null;
  let names = [];
  return (times, series) => {
    const seriesNames = series.map(([name]) => name);
    if (plot === null || seriesNames.join('\n') !== names.join('\n')) {
      plot?.destroy();
      names = seriesNames;
      plot = new uPlot(
        {
          title,
          width: chartWidth(container),
          height: 240,
          scales: { x: { time: true } },
          axes: [{}, { label: unit, size: 70 }],
          series: [
            {},
            ...seriesNames.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 2 })),
          ],
        },
        [times, ...series.map(([, values]) => values)],
        container,
      );
    } else {
      plot.setData([times, ...series.map(([, values]) => values)]);
    }
    const points = series.reduce(
      (most, [, values]) => Math.max(most, values.filter((v) => v !== null).length),
      0,
    );
    container.dataset.points = String(points);
  };
}

export async function renderCharts(main) {
  const status = h('div');
  const unreadable = h('div');
  const boxes = {
    records: h('section', { class: 'card', 'data-chart': 'records' }),
    bytes: h('section', { class: 'card', 'data-chart': 'bytes' }),
    lag: h('section', { class: 'card', 'data-chart': 'lag' }),
  };
  replace(
    main,
    h('h1', {}, 'Charts'),
    h(
      'p',
      { class: 'muted' },
      `Sampled every ${SAMPLE_MS / 1000} s while the console is open: records and bytes appended and read by the partition leaders of every broker (internal topics left out), and each consumer group's total lag.`,
    ),
    status,
    unreadable,
    h('div', { class: 'charts' }, boxes.records, boxes.bytes, boxes.lag),
  );
  const draw = {
    records: liveChart(boxes.records, 'Throughput (records/s)', 'records/s'),
    bytes: liveChart(boxes.bytes, 'Throughput (bytes/s)', 'bytes/s'),
    lag: liveChart(boxes.lag, 'Consumer group lag (records)', 'records'),
  };
  const unsubscribe = subscribe((state) => {
    replace(status, state.error === null ? null : errorBox(state.error));
    replace(
      unreadable,
      state.unreadable.map((broker) =>
        h(
          'div',
          { class: 'error' },
          `Broker ${broker.broker_id} left out: error ${broker.error.error_code}: ${broker.error.message}`,
        ),
      ),
    );
    draw.records(state.times, [
      ['produced', state.produceRecords],
      ['consumed', state.consumeRecords],
    ]);
    draw.bytes(state.times, [
      ['in', state.bytesIn],
      ['out', state.bytesOut],
    ]);
    draw.lag(
      state.times,
      [...state.lags].sort(([a], [b]) => a.localeCompare(b)),
    );
  });
  return unsubscribe;
}
