// Reads samples out of Prometheus' text exposition format (version 0.0.4, what prom-client writes):
// `name{label="value",...} value [timestamp]` per line, comments and blank lines skipped. Only what the
// cluster traffic needs: the samples of a few metric names, with their labels.

export interface Sample {
  readonly name: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** A malformed line: the exposition is not what prom-client writes. */
export class PrometheusTextError extends Error {
  override readonly name = 'PrometheusTextError';
}

function parseLabels(line: string, from: number): { labels: Map<string, string>; end: number } {
  const labels = new Map<string, string>();
  let at = from + 1; // after '{'
  for (;;) {
    if (line[at] === '}') return { labels, end: at + 1 };
    const name = LABEL_NAME.exec(line.slice(at))?.[0];
    if (name === undefined || line[at + name.length] !== '=' || line[at + name.length + 1] !== '"')
      throw new PrometheusTextError(`bad label at column ${at}: ${line}`);
    at += name.length + 2;
    let value = '';
    for (;;) {
      const char = line[at];
      if (char === undefined) throw new PrometheusTextError(`unterminated label value: ${line}`);
      at += 1;
      if (char === '"') break;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = line[at];
      at += 1;
      value += escaped === 'n' ? '\n' : (escaped ?? '');
    }
    labels.set(name, value);
    if (line[at] === ',') at += 1;
  }
}

function sampleValue(token: string, line: string): number {
  if (token === '+Inf') return Number.POSITIVE_INFINITY;
  if (token === '-Inf') return Number.NEGATIVE_INFINITY;
  if (token === 'NaN') return Number.NaN;
  const value = token === '' ? Number.NaN : Number(token);
  if (Number.isNaN(value)) throw new PrometheusTextError(`bad value: ${line}`);
  return value;
}

/** The samples of the metrics named in `names`, in the order they appear. */
export function samplesOf(text: string, names: ReadonlySet<string>): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new PrometheusTextError(`no metric name: ${line}`);
    if (!names.has(name)) continue;
    let labels = new Map<string, string>();
    let end = name.length;
    if (line[end] === '{') ({ labels, end } = parseLabels(line, end));
    samples.push({ name, labels, value: sampleValue(line.slice(end).trim().split(/\s+/)[0] ?? '', line) });
  }
  return samples;
}
